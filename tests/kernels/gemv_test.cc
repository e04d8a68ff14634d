// Decode GEMV: every compiled target and format against the double reference over edge sizes
// and misaligned pointers; blocking, thread partition, work models and registration.
#include "kernels/gemv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hwy/detect_targets.h"
#include "kernels/touch_counter.h"
#include "kernels/workload.h"
#include "src/error.h"
#include "src/targets.h"
#include "tests/test_util.h"

namespace roofprof {
namespace {

using testing_util::DotTolerance;
using testing_util::kEpsF32;

constexpr WeightFormat kFormats[] = {WeightFormat::kF32, WeightFormat::kBF16, WeightFormat::kQ8_0,
                                     WeightFormat::kQ4_0};

struct FreeBytes {
  void operator()(unsigned char* p) const { std::free(p); }
};
using Bytes = std::unique_ptr<unsigned char[], FreeBytes>;

Bytes Allocate(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64 + 64;
  return Bytes(static_cast<unsigned char*>(std::aligned_alloc(64, rounded)));
}

int TestThreads() { return 2; }

// One GEMV problem with deliberately misaligned A, W and C and strided A and C, plus a sentinel
// around C to catch stray writes.
class Problem {
 public:
  Problem(WeightFormat f, int64_t m, int64_t n, int64_t k, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const size_t row = RowBytes(f, static_cast<size_t>(k));
    // W: one element past 64-byte alignment (one byte for the block formats, whose blocks are
    // 34 or 18 bytes and never aligned anyway).
    const size_t w_offset = f == WeightFormat::kF32 ? 4 : (f == WeightFormat::kBF16 ? 2 : 1);
    w_ = Allocate(w_offset + static_cast<size_t>(n) * row);
    std::vector<float> x(static_cast<size_t>(k));
    for (int64_t r = 0; r < n; ++r) {
      for (float& v : x) v = dist(rng);
      EncodeRow(f, x.data(), static_cast<size_t>(k), w_.get() + w_offset + r * row);
    }
    lda_ = k + 3;
    a_ = Allocate(sizeof(float) * static_cast<size_t>(1 + m * lda_));
    float* a = reinterpret_cast<float*>(a_.get()) + 1;
    for (int64_t i = 0; i < m * lda_; ++i) a[i] = dist(rng);
    ldc_ = n + 5;
    c_ = Allocate(sizeof(float) * static_cast<size_t>(1 + m * ldc_ + 1));
    c_floats_ = static_cast<size_t>(1 + m * ldc_ + 1);
    float* cbuf = reinterpret_cast<float*>(c_.get());
    for (size_t i = 0; i < c_floats_; ++i) cbuf[i] = kSentinel;
    call_.format = f;
    call_.m = m;
    call_.n = n;
    call_.k = k;
    call_.a = a;
    call_.lda = lda_;
    call_.w = w_.get() + w_offset;
    call_.c = cbuf + 1;
    call_.ldc = ldc_;
  }

  // Runs on `target` and returns the largest |error| / DotTolerance over all outputs; fails
  // the test if anything outside C[m x n] was written.
  double Check(int64_t target, int threads) {
    call_.threads = threads;
    const GemvBlocking b = ChooseGemvBlocking(call_.m, call_.k, GemvVectorRegisters(target));
    Bytes ws = Allocate(GemvWorkspaceBytes(b, threads));
    // Fill the workspace with NaN so that any read of an unwritten scratch value shows.
    std::memset(ws.get(), 0xFF, GemvWorkspaceBytes(b, threads));
    Gemv(target, call_, ws.get());
    const float* cbuf = reinterpret_cast<const float*>(c_.get());
    double worst = 0;
    for (size_t i = 0; i < c_floats_; ++i) {
      const int64_t off = static_cast<int64_t>(i) - 1;
      const bool inside = off >= 0 && off < call_.m * ldc_ && off % ldc_ < call_.n;
      if (!inside) {
        EXPECT_EQ(cbuf[i], kSentinel) << "stray write at C offset " << off;
        continue;
      }
      double sum_abs = 0;
      const double want = GemvReference(call_, off / ldc_, off % ldc_, &sum_abs);
      const double err = std::fabs(static_cast<double>(cbuf[i]) - want);
      worst = WorseError(worst, err / DotTolerance(call_.k, sum_abs, kEpsF32));
    }
    return worst;
  }

  // f32, bf16: also hand the kernel W packed into panels (targets that use them read those).
  void UsePanels() {
    panels_ = Allocate(GemvPanelBytes(call_.format, call_.n, call_.k));
    PackGemvPanels(call_.format, call_.w, call_.n, call_.k, 0,
                   (call_.n + kGemvPanelRows - 1) / kGemvPanelRows, panels_.get());
    call_.panels = panels_.get();
  }

  const GemvCall& call() const { return call_; }

 private:
  static constexpr float kSentinel = -12345.0f;
  Bytes w_, a_, c_, panels_;
  int64_t lda_ = 0, ldc_ = 0;
  size_t c_floats_ = 0;
  GemvCall call_;
};

std::string Label(int64_t target, WeightFormat f, int64_t m, int64_t n, int64_t k, int threads) {
  return TargetName(target) + " " + WeightFormatName(f) + " m=" + std::to_string(m) +
         " n=" + std::to_string(n) + " k=" + std::to_string(k) +
         " threads=" + std::to_string(threads);
}

// k values per format: around the lane counts (1, 3, 4, 8, 16, +1) and odd ones for f32/bf16;
// multiples of the 32-weight block (one, two, three blocks and 4096 + 32) for q8_0/q4_0.
std::vector<int64_t> KSizes(WeightFormat f) {
  if (IsBlockFormat(f)) return {32, 64, 96, 4128};
  return {1, 3, 4, 8, 16, 17, 31, 33, 96, 257, 4128, 4099};
}

TEST(Gemv, EveryTargetFormatAndEdgeSize) {
  const int64_t tokens[] = {1, 2, 3, 4, 9, 16, 17, 64};
  uint32_t seed = 1;
  for (const int64_t target : testing_util::Targets()) {
    for (const WeightFormat f : kFormats) {
      for (const int64_t k : KSizes(f)) {
        for (const int64_t m : tokens) {
          // Large k with many tokens costs the reference m * n * k: keep n small there.
          const std::vector<int64_t> ns =
              k > 1000 ? std::vector<int64_t>{3} : std::vector<int64_t>{1, 51};
          for (const int64_t n : ns) {
            if (k > 1000 && m > 4 && m != 64) continue;
            // Two threads on one case per k only: on a busy machine every parallel region
            // costs a scheduling round trip (PanelsWithTailRowsAndManyThreads covers threads).
            const int threads = n == 51 && m == 17 ? TestThreads() : 1;
            Problem p(f, m, n, k, seed++);
            EXPECT_LE(p.Check(target, threads), 1.0) << Label(target, f, m, n, k, threads);
          }
        }
      }
    }
  }
}

TEST(Gemv, PanelsWithTailRowsAndManyThreads) {
  // 16 tokens run two token groups through panels and k-blocks; n = 100 leaves partial panels
  // and one-row tiles; 3 threads split rows unevenly (and one may own none when n is small).
  for (const int64_t target : testing_util::Targets()) {
    for (const WeightFormat f : kFormats) {
      for (const int64_t n : {2, 100}) {
        for (const int threads : {1, 3}) {
          Problem p(f, 16, n, 1024, 99);
          EXPECT_LE(p.Check(target, threads), 1.0) << Label(target, f, 16, n, 1024, threads);
        }
      }
    }
  }
}

TEST(Gemv, PanelsOnEveryTargetAndEdgeSize) {
  // n around the 16-row block and the 3- and 4-block tiles; tokens 1..9 (one group, every
  // tile width), 16, 17 and 64 (several groups, so k chunks from k = 1025 on); k = 1 and odd
  // k (bf16 pads the last pair), and k around the 1024-weight chunk. Targets without panels
  // read W and must agree too.
  uint32_t seed = 500;
  for (const int64_t target : testing_util::Targets()) {
    for (const WeightFormat f : {WeightFormat::kF32, WeightFormat::kBF16}) {
      for (const int64_t n : {1, 15, 16, 17, 47, 48, 49, 65, 100}) {
        for (const int64_t m : {1, 2, 4, 5, 8, 9, 16, 17, 64}) {
          for (const int64_t k : {1, 17, 34}) {
            const int threads = (n + m) % 3 == 0 ? 2 : 1;
            Problem p(f, m, n, k, seed++);
            p.UsePanels();
            EXPECT_LE(p.Check(target, threads), 1.0)
                << Label(target, f, m, n, k, threads) << " panels";
          }
        }
      }
      for (const int64_t k : {1024, 1025, 2100}) {
        for (const int64_t m : {1, 9, 17}) {
          for (const int threads : {1, 3}) {
            Problem p(f, m, 49, k, seed++);
            p.UsePanels();
            EXPECT_LE(p.Check(target, threads), 1.0)
                << Label(target, f, m, 49, k, threads) << " panels";
          }
        }
      }
    }
  }
}

TEST(Gemv, PanelLayoutAndWhichTargetsUseIt) {
  const int64_t n = 20, k = 3;
  std::vector<float> w(static_cast<size_t>(n * k));
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i + 1);
  std::vector<float> panels(GemvPanelBytes(WeightFormat::kF32, n, k) / 4, -1.0f);
  ASSERT_EQ(panels.size(), static_cast<size_t>(32 * k));
  PackGemvPanels(WeightFormat::kF32, w.data(), n, k, 0, 2, panels.data());
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t j = 0; j < k; ++j) {
      for (int64_t i = 0; i < 16; ++i) {
        const int64_t row = b * 16 + i;
        EXPECT_EQ(panels[static_cast<size_t>((b * k + j) * 16 + i)],
                  row < n ? w[static_cast<size_t>(row * k + j)] : 0.0f)
            << "block " << b << " k " << j << " row " << i;
      }
    }
  }
  // bf16: u32 lane i of step s holds row i's weights 2s (low half) and 2s + 1 (high half);
  // k = 3 pads the second step's high half with zero.
  std::vector<uint16_t> w16(w.size());
  for (size_t i = 0; i < w16.size(); ++i) w16[i] = static_cast<uint16_t>(1000 + i);
  ASSERT_EQ(GemvPanelBytes(WeightFormat::kBF16, n, k), static_cast<size_t>(2 * 2 * 16 * 4));
  std::vector<uint32_t> pairs(GemvPanelBytes(WeightFormat::kBF16, n, k) / 4, 0xDEADBEEFu);
  PackGemvPanels(WeightFormat::kBF16, w16.data(), n, k, 0, 2, pairs.data());
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t step = 0; step < 2; ++step) {
      for (int64_t i = 0; i < 16; ++i) {
        const int64_t row = b * 16 + i;
        const auto weight = [&](int64_t j) -> uint32_t {
          return row < n && j < k ? w16[static_cast<size_t>(row * k + j)] : 0u;
        };
        EXPECT_EQ(pairs[static_cast<size_t>((b * 2 + step) * 16 + i)],
                  weight(2 * step) | (weight(2 * step + 1) << 16))
            << "bf16 block " << b << " step " << step << " row " << i;
      }
    }
  }
  // q4_0 (q8_0): per 16-row block and 32-weight block a 288 (544)-byte record: in 32-bit lane i
  // of group g (64 bytes each, 4 or 8 groups), qs bytes 4g..4g+3 of row i; then the 16 rows'
  // fp16 d. Rows past n: zero.
  const int64_t qk = 64, qblocks = 2;
  for (const WeightFormat f : {WeightFormat::kQ4_0, WeightFormat::kQ8_0}) {
    const int64_t block = f == WeightFormat::kQ4_0 ? 18 : 34;
    const int64_t groups = f == WeightFormat::kQ4_0 ? 4 : 8;
    const int64_t record = groups * 64 + 32;
    std::vector<unsigned char> wq(static_cast<size_t>(n * qblocks * block));
    for (size_t i = 0; i < wq.size(); ++i) wq[i] = static_cast<unsigned char>(i * 7 + 1);
    ASSERT_EQ(GemvPanelBytes(f, n, qk), static_cast<size_t>(2 * qblocks * record));
    std::vector<unsigned char> rec(GemvPanelBytes(f, n, qk), 0xAB);
    PackGemvPanels(f, wq.data(), n, qk, 0, 2, rec.data());
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t j = 0; j < qblocks; ++j) {
        const unsigned char* r = rec.data() + (b * qblocks + j) * record;
        for (int64_t i = 0; i < 16; ++i) {
          const int64_t row = b * 16 + i;
          const auto src = [&](int64_t byte) -> unsigned char {  // byte of the GGUF block
            return row < n ? wq[static_cast<size_t>((row * qblocks + j) * block + byte)] : 0;
          };
          for (int64_t g = 0; g < groups; ++g) {
            for (int64_t e = 0; e < 4; ++e) {
              EXPECT_EQ(r[g * 64 + i * 4 + e], src(2 + 4 * g + e))
                  << WeightFormatName(f) << " block " << b << " k-block " << j << " row " << i
                  << " group " << g;
            }
          }
          EXPECT_EQ(r[groups * 64 + 2 * i], src(0)) << WeightFormatName(f);
          EXPECT_EQ(r[groups * 64 + 2 * i + 1], src(1)) << WeightFormatName(f);
        }
      }
    }
  }
  // f32/bf16 panels serve the fixed-length targets with 16 f32 lanes (64-byte vectors) and 32
  // registers, and those with 8 lanes and 16 registers (AVX2: two vectors per block); scalable
  // SVE/RVV vectors (SVE at 512 bits has 16 lanes too), NEON and SSE4 keep the row loop.
  // q4_0 and q8_0 panels serve every token count where the integer path runs.
  for (const int64_t target : testing_util::Targets()) {
    const bool scalable = (target & (HWY_SVE | HWY_SVE2 | HWY_RVV)) != 0;
    const int bytes = TargetVectorBytes(target), regs = GemvVectorRegisters(target);
    const bool wide = !scalable && ((bytes == 64 && regs == 32) || (bytes == 32 && regs == 16));
    for (const int64_t m : {1, 2, 16}) {
      EXPECT_EQ(GemvReadsPanels(WeightFormat::kF32, m, target), wide) << TargetName(target);
      EXPECT_EQ(GemvReadsPanels(WeightFormat::kBF16, m, target), wide) << TargetName(target);
      for (const WeightFormat f : {WeightFormat::kQ4_0, WeightFormat::kQ8_0}) {
        EXPECT_EQ(GemvReadsPanels(f, m, target), GemvIntegerDot(f, m, target))
            << TargetName(target) << " " << WeightFormatName(f);
        EXPECT_EQ(GemvIntegerDot(f, m, target), GemvIntegerDot(f, 1, target))
            << TargetName(target) << " " << WeightFormatName(f) << " m=" << m;
      }
    }
  }
}

// Encodes w (n x k) in format f and runs C = A W^T for dense A (m x k) on `target`, 1 thread;
// with `panels`, the call also carries W packed into panels (formats that have them).
// RunEncoded takes W already encoded (n rows of RowBytes(f, k)).
std::vector<float> RunEncoded(int64_t target, WeightFormat f, int64_t m, int64_t n, int64_t k,
                              const std::vector<unsigned char>& wq, const std::vector<float>& a,
                              bool panels) {
  std::vector<float> c(static_cast<size_t>(m * n), -1.0f);
  GemvCall call;
  call.format = f;
  call.m = m;
  call.n = n;
  call.k = k;
  call.a = a.data();
  call.lda = k;
  call.w = wq.data();
  call.c = c.data();
  call.ldc = n;
  Bytes packed;
  if (panels) {
    packed = Allocate(GemvPanelBytes(f, n, k));
    PackGemvPanels(f, wq.data(), n, k, 0, (n + kGemvPanelRows - 1) / kGemvPanelRows, packed.get());
    call.panels = packed.get();
  }
  const GemvBlocking b = ChooseGemvBlocking(m, k, GemvVectorRegisters(target));
  Bytes ws = Allocate(GemvWorkspaceBytes(b, 1));
  Gemv(target, call, ws.get());
  return c;
}

std::vector<float> RunDense(int64_t target, WeightFormat f, int64_t m, int64_t n, int64_t k,
                            const std::vector<float>& w, const std::vector<float>& a,
                            bool panels = false) {
  const size_t row = RowBytes(f, static_cast<size_t>(k));
  std::vector<unsigned char> wq(static_cast<size_t>(n) * row);
  for (int64_t r = 0; r < n; ++r) {
    EncodeRow(f, w.data() + r * k, static_cast<size_t>(k), wq.data() + r * row);
  }
  return RunEncoded(target, f, m, n, k, wq, a, panels);
}

// Expects C (m x n, from RunDense) to equal A W^T exactly: the sums of the inputs' products in
// double (exact for the small integers these tests use).
void ExpectExactProduct(const std::vector<float>& c, const std::vector<float>& a,
                        const std::vector<float>& w, int64_t m, int64_t n, int64_t k,
                        const std::string& label) {
  for (int64_t t = 0; t < m; ++t) {
    for (int64_t r = 0; r < n; ++r) {
      double want = 0;
      for (int64_t i = 0; i < k; ++i) {
        want += static_cast<double>(a[static_cast<size_t>(t * k + i)]) *
                w[static_cast<size_t>(r * k + i)];
      }
      EXPECT_EQ(c[static_cast<size_t>(t * n + r)], want) << label << " t=" << t << " r=" << r;
    }
  }
}

TEST(Gemv, BlockFormatsQuantizeActivationsAsGgml) {
  // q8_0 and q4_0 meet their activations as q8_0 blocks, rounded as ggml rounds them (halves
  // away from zero). With 127 in every block d_a = 1, so each activation becomes round(a)
  // exactly and, with integer weights of d = 1, C is an exact integer that half-to-even
  // rounding (2.5 -> 2) or truncation would miss. k = 96: three blocks (the integer tile pairs
  // the third with a zero block); n = 9: an 8-row tile and a one-row tile; from the GGUF rows
  // m = 1 (integer dot products where the target has VNNI) and m = 2 (f32 decode); from panels
  // (one partial 16-row block), which VNNI reads for both.
  const int64_t n = 9, k = 96;
  const float halves[] = {2.5f, -2.5f, 0.5f, -0.5f, 1.5f, -1.5f, 3.49f, -7.5f, 0.25f, 6.5f};
  for (const int64_t target : testing_util::Targets()) {
    for (const WeightFormat f : {WeightFormat::kQ8_0, WeightFormat::kQ4_0}) {
      for (const int64_t m : {1, 2}) {
        // d = 1: q8_0 needs 127 in every block, q4_0 the -8 extreme.
        const float extreme = f == WeightFormat::kQ8_0 ? 127.0f : -8.0f;
        std::vector<float> w(static_cast<size_t>(n * k)), a(static_cast<size_t>(m * k));
        for (size_t i = 0; i < w.size(); ++i) {
          w[i] = i % 32 == 0 ? extreme : static_cast<float>(static_cast<int>(i % 13) - 6);
        }
        for (size_t i = 0; i < a.size(); ++i) a[i] = i % 32 == 5 ? 127.0f : halves[i % 10];
        // What C must be: the activations rounded half away from zero (exact in f32).
        std::vector<float> rounded(a.size());
        for (size_t i = 0; i < a.size(); ++i) rounded[i] = std::round(a[i]);
        for (const bool panels : {false, true}) {
          const std::vector<float> c = RunDense(target, f, m, n, k, w, a, panels);
          ExpectExactProduct(c, rounded, w, m, n, k,
                             TargetName(target) + " " + WeightFormatName(f) +
                                 " m=" + std::to_string(m) + (panels ? " panels" : ""));
        }
      }
    }
  }
}

TEST(Gemv, BlockFormatsOneTokenAcrossKBlocks) {
  // One token with k past the streaming limit (kGemvStreamABytes of packed A) runs k-blocks:
  // the integer tile parks its accumulators between them, and k = 8224 leaves a last k-block
  // of one block (paired with a zero block). Rows 9 and 51 leave one-row tiles.
  uint32_t seed = 7;
  for (const int64_t target : testing_util::Targets()) {
    for (const WeightFormat f : {WeightFormat::kQ8_0, WeightFormat::kQ4_0}) {
      for (const int64_t k : {8224, 12320}) {
        for (const int64_t n : {9, 51}) {
          const int threads = n == 51 ? TestThreads() : 1;
          Problem p(f, 1, n, k, seed++);
          EXPECT_LE(p.Check(target, threads), 1.0) << Label(target, f, 1, n, k, threads);
        }
      }
    }
  }
}

TEST(Gemv, ExactOnSmallIntegers) {
  // Integer-valued weights and activations: every product and partial sum is an exact f32
  // integer, so each format must reproduce the reference exactly on every target.
  const int64_t m = 5, n = 7, k = 96;
  for (const int64_t target : testing_util::Targets()) {
    for (const WeightFormat f : kFormats) {
      std::vector<float> w(static_cast<size_t>(n * k)), a(static_cast<size_t>(m * k));
      for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i % 15) - 7);
      // q8_0 needs absmax 127 per block for d = 1; q4_0 needs the -8 extreme for d = 1.
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t b = 0; b < k / 32; ++b) {
          w[static_cast<size_t>(r * k + b * 32)] = f == WeightFormat::kQ8_0 ? 127.0f : -8.0f;
        }
      }
      for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(static_cast<int>(i % 9) - 4);
      // Block formats quantize the activations to q8_0 blocks: absmax 127 per block keeps them
      // exact.
      if (IsBlockFormat(f)) {
        for (size_t b = 0; b < a.size() / 32; ++b) a[b * 32 + 1] = 127.0f;
      }
      const std::vector<float> c = RunDense(target, f, m, n, k, w, a);
      ExpectExactProduct(c, a, w, m, n, k, TargetName(target) + " " + WeightFormatName(f));
    }
  }
}

TEST(Gemv, IntegerPanelsOnEveryTargetAndEdgeSize) {
  // q4_0 and q8_0 panels serve targets with int8 dot products; the others read the GGUF rows
  // and must agree. n around the 16-row block and the 4-, 2- and 1-vector tiles (AVX2: around
  // the 8-row vector, tiles of 2 and 1), k from one block to 4096 (a long run of records), 1-3
  // threads (n = 17 on 3 threads: a thread without rows); m = 1 to 17 (ChooseGemvIntGroups):
  // q4_0 in tiles of 4 vectors x 1 token, 3 x 2, 2 x 3 (m = 3, 5, 9: 2 and 3 groups, one padded
  // token), 2 x 4 (m = 8, 17: 5 groups, 3 padded); q8_0 also 1 x 5 (m = 5, 9: 2 groups, one
  // padded), 1 x 6 (m = 17: 3 groups) and 1 x 8 (AVX2: at most 4 tokens, as q4_0); at k = 4096
  // only m = 1 and 9.
  uint32_t seed = 900;
  for (const int64_t target : testing_util::Targets()) {
    for (const WeightFormat f : {WeightFormat::kQ4_0, WeightFormat::kQ8_0}) {
      for (const int64_t n : {1, 7, 9, 15, 16, 17, 24, 25, 63, 64, 65, 100}) {
        for (const int64_t k : {32, 96, 4096}) {
          for (const int64_t m : k == 4096 ? std::vector<int64_t>{1, 9}
                                           : std::vector<int64_t>{1, 2, 3, 5, 8, 9, 17}) {
            const int threads = 1 + static_cast<int>((n + k / 32) % 3);
            Problem p(f, m, n, k, seed++);
            p.UsePanels();
            EXPECT_LE(p.Check(target, threads), 1.0)
                << Label(target, f, m, n, k, threads) << " panels";
          }
        }
      }
    }
  }
}

TEST(Gemv, IntegerPanelsExactOnSmallIntegers) {
  // Integer weights (d = 1: q4_0's -8 or q8_0's 127 in every block) and activations (127 in
  // every block: d_a = 1): the panel path's integer sums and one FMA per block are exact, for
  // every tile shape (m = 1, 3, 6) and across token groups (m = 11: 6 + 5 and one padding).
  const int64_t n = 37, k = 160;
  for (const WeightFormat f : {WeightFormat::kQ4_0, WeightFormat::kQ8_0}) {
    for (const int64_t m : {1, 3, 6, 11}) {
      std::vector<float> w(static_cast<size_t>(n * k)), a(static_cast<size_t>(m * k));
      for (size_t i = 0; i < w.size(); ++i) {
        w[i] = i % 32 == 0 ? (f == WeightFormat::kQ4_0 ? -8.0f : 127.0f)
                           : static_cast<float>(static_cast<int>(i % 15) - 7);
      }
      for (size_t i = 0; i < a.size(); ++i) {
        a[i] = i % 32 == 3 ? 127.0f : static_cast<float>(static_cast<int>(i % 11) - 5);
      }
      for (const int64_t target : testing_util::Targets()) {
        const std::vector<float> c = RunDense(target, f, m, n, k, w, a, true);
        ExpectExactProduct(
            c, a, w, m, n, k,
            TargetName(target) + " " + WeightFormatName(f) + " m=" + std::to_string(m));
      }
    }
  }
}

TEST(Gemv, ExtremeBytesDoNotSaturate) {
  // Raw blocks with d = 1 whose weights are the format's extremes (q8_0: -128, -127, 127; q4_0:
  // -8 and 7) next to each other, against activations of +-127 (d_a = 1): the largest pair sums
  // the byte dot products meet (q8_0 as |q| x signed activation: 2 x 128 x 127 = 32512, one
  // below what vpmaddubsw saturates at 32767). Exact on every target, from panels and rows,
  // across 8-row vectors and tiles (n = 21) and token counts.
  const int64_t n = 21, k = 64;
  const uint16_t one_f16 = 0x3C00;
  for (const WeightFormat f : {WeightFormat::kQ4_0, WeightFormat::kQ8_0}) {
    const size_t row = RowBytes(f, static_cast<size_t>(k));
    std::vector<unsigned char> wq(static_cast<size_t>(n) * row);
    std::vector<float> w(static_cast<size_t>(n * k));
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t blk = 0; blk < k / 32; ++blk) {
        unsigned char* b = wq.data() + r * row + blk * (row / (k / 32));
        std::memcpy(b, &one_f16, 2);
        for (int64_t j = 0; j < 32; ++j) {
          // Pairs of equal extremes, the pattern shifting with the row.
          const int64_t pick = (j / 2 + r + blk) % 3;
          int q;
          if (f == WeightFormat::kQ8_0) {
            q = pick == 0 ? -128 : pick == 1 ? 127 : -127;
            b[2 + j] = static_cast<unsigned char>(static_cast<int8_t>(q));
          } else {
            q = pick == 1 ? 7 : -8;
            const int64_t byte = j % 16;
            const auto nib = static_cast<unsigned char>(q + 8);
            b[2 + byte] = static_cast<unsigned char>(j < 16 ? (b[2 + byte] & 0xF0) | nib
                                                            : (b[2 + byte] & 0x0F) | (nib << 4));
          }
          w[static_cast<size_t>(r * k + blk * 32 + j)] = static_cast<float>(q);
        }
      }
    }
    for (const int64_t m : {1, 2, 3, 5}) {
      std::vector<float> a(static_cast<size_t>(m * k));
      for (size_t i = 0; i < a.size(); ++i) a[i] = (i / 2 + i / 7) % 2 == 0 ? 127.0f : -127.0f;
      for (const int64_t target : testing_util::Targets()) {
        for (const bool panels : {false, true}) {
          const std::vector<float> c = RunEncoded(target, f, m, n, k, wq, a, panels);
          ExpectExactProduct(c, a, w, m, n, k,
                             TargetName(target) + " " + WeightFormatName(f) +
                                 " m=" + std::to_string(m) + (panels ? " panels" : ""));
        }
      }
    }
  }
}

TEST(GemvBlocking, TilesFitRegistersAndPadding) {
  for (const int regs : {16, 32}) {
    for (int64_t m = 1; m <= 256; ++m) {
      for (const int64_t k : {1, 31, 4096}) {
        const GemvBlocking b = ChooseGemvBlocking(m, k, regs);
        ASSERT_LE(b.tokens, GemvMaxTileTokens(regs));
        ASSERT_GE(b.padded_m, m);
        ASSERT_LT(b.padded_m - m, b.groups);  // at most one padded token per extra group
        ASSERT_EQ(b.padded_m, b.groups * b.tokens);
        if (b.rows > 1) {
          ASSERT_LE(b.rows * (b.tokens + 1) + kGemvDecodeRegisters, regs);
        }
        ASSERT_EQ(b.padded_k % 32, 0);
        ASSERT_GE(b.padded_k, k);
        ASSERT_EQ(b.k_block % 32, 0);
        ASSERT_LE(b.k_block, b.padded_k);
        ASSERT_EQ(b.panel_rows % b.rows, 0);
        if (b.streaming()) {
          ASSERT_EQ(b.k_block, b.padded_k);
        } else if (b.k_block > kGemvMinKBlock) {
          ASSERT_LE(static_cast<size_t>(4 * b.padded_m * b.k_block), kGemvABlockBytes);
        }
      }
    }
  }
  // The integer panel path's token groups: its tiles fit the registers (32: 2 int32 sums and one
  // f32 accumulator per vector and token, 2 weight vectors per vector, 3 more; 16: one sum and
  // one accumulator, 2 weight vectors, 5 more), padding stays below one token per extra group,
  // and its activation records (64 bytes per 32 weights and padded token) fit the workspace
  // GemvWorkspaceBytes gives.
  for (const int regs : {16, 32}) {
    for (const WeightFormat f : {WeightFormat::kQ4_0, WeightFormat::kQ8_0}) {
      for (int64_t m = 1; m <= 256; ++m) {
        const GemvIntGroups ig = ChooseGemvIntGroups(f, m, regs);
        const int64_t J = GemvIntPanelVectors(ig.tokens, regs);
        ASSERT_GE(ig.tokens, 1);
        ASSERT_LE(ig.tokens, GemvIntMaxTokens(f, regs));
        ASSERT_GE(ig.groups * ig.tokens, m);
        ASSERT_LT(ig.groups * ig.tokens - m, ig.groups);
        ASSERT_GE(J, 1);
        if (regs == 32) {
          ASSERT_LE(3 * J * ig.tokens + 2 * J + 3, 32) << m;
        } else {
          ASSERT_LE(2 * J * ig.tokens + 2 * J + 5, 16) << m;
        }
        for (const int64_t k : {32, 4096}) {
          const size_t records = static_cast<size_t>(ig.groups * ig.tokens * k / 32 * 64);
          ASSERT_LE(records, GemvWorkspaceBytes(ChooseGemvBlocking(m, k, regs), 1))
              << WeightFormatName(f) << " m=" << m << " k=" << k << " regs=" << regs;
        }
      }
    }
  }
  EXPECT_EQ(ChooseGemvIntGroups(WeightFormat::kQ4_0, 16, 32).tokens, 4);
  EXPECT_EQ(ChooseGemvIntGroups(WeightFormat::kQ8_0, 16, 32).tokens, 8);
  EXPECT_EQ(ChooseGemvIntGroups(WeightFormat::kQ8_0, 16, 16).tokens, 4);
  EXPECT_EQ(ChooseGemvIntGroups(WeightFormat::kQ4_0, 9, 32).tokens, 3);
  EXPECT_EQ(GemvIntPanelRowsPerVector(32), 16);
  EXPECT_EQ(GemvIntPanelRowsPerVector(16), 8);
  // The documented 32-register tiles.
  const int expect_rows[] = {8, 8, 6, 5, 4, 3, 3, 3};
  for (int t = 1; t <= 8; ++t) EXPECT_EQ(GemvTileRows(t, 32), expect_rows[t - 1]) << t;
  EXPECT_EQ(ChooseGemvBlocking(16, 4096, 32).k_block, 256);
  EXPECT_EQ(ChooseGemvBlocking(12, 4096, 32).tokens, 6);
}

TEST(GemvRowRange, PartitionsAlignedAndComplete) {
  for (const int64_t n : {1, 15, 16, 17, 100, 11008}) {
    for (const int threads : {1, 2, 3, 7}) {
      int64_t expect_begin = 0;
      for (int tid = 0; tid < threads; ++tid) {
        int64_t b, e;
        GemvRowRange(n, threads, tid, &b, &e);
        EXPECT_EQ(b, expect_begin) << n << " " << threads << " " << tid;
        EXPECT_LE(b, e);
        if (tid > 0 && b < n) {
          EXPECT_EQ(b % kGemvRowAlign, 0);
        }
        expect_begin = e;
      }
      EXPECT_EQ(expect_begin, n);
    }
  }
}

// Unique bytes an instrumented reference touches: every W byte it decodes (scales included),
// every A element, every C element written.
uint64_t TouchedBytes(const GemvCall& call) {
  TouchCounter tc;
  const size_t row = RowBytes(call.format, static_cast<size_t>(call.k));
  const unsigned char* w = static_cast<const unsigned char*>(call.w);
  for (int64_t t = 0; t < call.m; ++t) {
    for (int64_t r = 0; r < call.n; ++r) {
      const unsigned char* wr = w + r * row;
      for (int64_t i = 0; i < call.k; ++i) {
        switch (call.format) {
          case WeightFormat::kF32:
            tc.Read(wr + 4 * i, 4);
            break;
          case WeightFormat::kBF16:
            tc.Read(wr + 2 * i, 2);
            break;
          case WeightFormat::kQ8_0:
            tc.Read(wr + i / 32 * sizeof(BlockQ8_0), 2);               // d
            tc.Read(wr + i / 32 * sizeof(BlockQ8_0) + 2 + i % 32, 1);  // qs[i]
            break;
          case WeightFormat::kQ4_0:
            tc.Read(wr + i / 32 * sizeof(BlockQ4_0), 2);                    // d
            tc.Read(wr + i / 32 * sizeof(BlockQ4_0) + 2 + i % 32 % 16, 1);  // its nibble
            break;
        }
        tc.Read(call.a + t * call.lda + i, sizeof(float));
      }
      tc.Write(call.c + t * call.ldc + r, sizeof(float));
    }
  }
  return tc.unique_bytes();
}

ModelContext SmallCaches(int threads) {
  ModelContext ctx;
  ctx.threads = threads;
  ctx.caches = {
      {1, 32 * 1024, 1, "test", 0}, {2, 256 * 1024, 1, "test", 0}, {3, 1024 * 1024, 2, "test", 0}};
  return ctx;
}

TEST(GemvModel, CompulsoryMatchesInstrumentedReference) {
  for (const WeightFormat f : kFormats) {
    const KernelInfo* info = FindKernel(std::string("gemv_") + WeightFormatName(f));
    ASSERT_NE(info, nullptr);
    // 9 tokens: two token groups on 32 registers (panels, k-blocks), one group otherwise.
    for (const int64_t m : {1, 3, 9}) {
      const int64_t n = 5, k = 64;
      Problem p(f, m, n, k, 5);
      GemvCall dense = p.call();
      // The model counts dense A and C (lda = k, ldc = n); so does this reference.
      std::vector<float> a(static_cast<size_t>(m * k)), c(static_cast<size_t>(m * n));
      dense.a = a.data();
      dense.lda = k;
      dense.c = c.data();
      dense.ldc = n;
      const auto wl = info->make({{"m", m}, {"n", n}, {"k", k}});
      const WorkModel wm = wl->Model(SmallCaches(1));
      EXPECT_EQ(wm.compulsory_bytes, static_cast<double>(TouchedBytes(dense)))
          << WeightFormatName(f) << " m=" << m;
      EXPECT_EQ(wm.flops, 2.0 * m * n * k);
      // q4_0 and q8_0 take int8 dot products on a target with byte dot products.
      EXPECT_EQ(wm.precision, GemvIntegerDot(f, m, BestTarget()) ? "int8" : "fp32");
    }
  }
}

TEST(GemvModel, TrafficFollowsResidency) {
  // 4 MiB of f32 weights exceed the 1 MiB L3 of SmallCaches: W streams from DRAM. 64 KiB fit
  // the 256 KiB L2: no L3 or DRAM traffic. Every level sees at least the W stream once.
  const KernelInfo* info = FindKernel("gemv_f32");
  ASSERT_NE(info, nullptr);
  const WorkModel big = info->make({{"m", 4}, {"n", 256}, {"k", 4096}})->Model(SmallCaches(1));
  const double w = 256.0 * 4096 * 4;
  EXPECT_EQ(big.bytes[3], big.compulsory_bytes);
  EXPECT_EQ(big.bytes[2], big.compulsory_bytes);
  EXPECT_GE(big.bytes[1], w);
  EXPECT_GE(big.bytes[0], big.bytes[1]);
  const WorkModel small = info->make({{"m", 1}, {"n", 16}, {"k", 1024}})->Model(SmallCaches(1));
  EXPECT_EQ(small.bytes[3], 0.0);
  EXPECT_EQ(small.bytes[2], 0.0);
  EXPECT_GE(small.bytes[1], 16.0 * 1024 * 4);
  // More tokens: more flops per DRAM byte (the batch sweep's lesson).
  const WorkModel m16 = info->make({{"m", 16}, {"n", 256}, {"k", 4096}})->Model(SmallCaches(1));
  EXPECT_GT(m16.flops / m16.bytes[3], 3.0 * big.flops / big.bytes[3]);
  EXPECT_FALSE(big.derivation.empty());
}

// The model describes the loop of the target the kernel runs on (`kernels --isa`): q4_0 with
// 16 tokens takes int8 dot products from panels on AVX-512 and AVX2 (tiles of 2 vectors of 16
// rows x 4 tokens, or on AVX2 one of 8 rows) and f32 FMAs on the dequantized row-major weights
// elsewhere, and f32 reads panels only on AVX-512 and AVX2.
TEST(GemvModel, FollowsTheTargetItRunsOn) {
  const Shape shape = {{"m", 16}, {"n", 4096}, {"k", 4096}};
  const auto q4 = FindKernel("gemv_q4_0")->make(shape);
  const auto f32 = FindKernel("gemv_f32")->make(shape);
  for (const int64_t target : testing_util::Targets()) {
    ModelContext ctx = SmallCaches(2);
    ctx.target = target;
    const bool integer = GemvIntegerDot(WeightFormat::kQ4_0, 16, target);
    const WorkModel q4m = q4->Model(ctx);
    EXPECT_EQ(q4m.precision, integer ? "int8" : "fp32") << TargetName(target);
    if (integer) {
      const bool wide = GemvVectorRegisters(target) >= 32;
      // 4096 rows over 2 threads: 2048 each, in tiles of 32 or 8 rows.
      const std::string tiles = wide ? "read as 128 tiles of 32 rows x 4 tokens"
                                     : "read as 512 tiles of 8 rows x 4 tokens";
      ASSERT_FALSE(q4m.derivation.empty());
      EXPECT_NE(q4m.derivation[0].find(tiles), std::string::npos)
          << TargetName(target) << ": " << q4m.derivation[0];
    }
    const bool panels = GemvReadsPanels(WeightFormat::kF32, 16, target);
    const std::vector<std::string> lines = f32->Model(ctx).derivation;
    const bool says_panels = !lines.empty() && lines[0].find("panels") != std::string::npos;
    EXPECT_EQ(says_panels, panels) << TargetName(target) << ": " << lines[0];
  }
}

TEST(GemvRegistry, NamesShapesAndErrors) {
  for (const WeightFormat f : kFormats) {
    const std::string name = std::string("gemv_") + WeightFormatName(f);
    const KernelInfo* info = FindKernel(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->dims, (std::vector<std::string>{"m", "n", "k"}));
    EXPECT_EQ(ShapeValue(info->default_shape, "m", 0), 1);
    EXPECT_EQ(ShapeValue(info->default_shape, "n", 0), 4096);
    EXPECT_EQ(ShapeValue(info->default_shape, "k", 0), 4096);
    EXPECT_FALSE(info->suite.empty());
    EXPECT_THROW(info->make({{"m", 0}, {"n", 8}, {"k", 64}}), UsageError);
    EXPECT_THROW(info->make({{"m", 1000}, {"n", 8}, {"k", 64}}), UsageError);
    if (IsBlockFormat(f)) {
      EXPECT_THROW(info->make({{"m", 1}, {"n", 8}, {"k", 33}}), UsageError);
    } else {
      EXPECT_NO_THROW(info->make({{"m", 1}, {"n", 8}, {"k", 33}}));
    }
  }
  // The f32 batch sweep at the FFN shape, and decode batches at every projection.
  const KernelInfo* f32 = FindKernel("gemv_f32");
  const auto in_suite = [f32](int64_t m, int64_t n) {
    const Shape want = {{"m", m}, {"n", n}, {"k", 4096}};
    return std::find(f32->suite.begin(), f32->suite.end(), want) != f32->suite.end();
  };
  for (const int64_t m : {1, 2, 4, 8, 16, 32, 64}) EXPECT_TRUE(in_suite(m, 11008)) << m;
  for (const int64_t n : {4096, 14336}) {
    for (const int64_t m : {1, 4, 16, 64}) EXPECT_TRUE(in_suite(m, n)) << m << " " << n;
  }
  // A single-token shape whose weights stay in a 1 MiB L2 between runs (on one thread or two):
  // the model moves nothing from L3 or DRAM, so its roofline point is not DRAM-bound.
  const Shape l2 = {{"m", 1}, {"n", 512}, {"k", 256}};
  ASSERT_NE(std::find(f32->suite.begin(), f32->suite.end(), l2), f32->suite.end());
  for (const int threads : {1, 2}) {
    ModelContext ctx;
    ctx.threads = threads;
    ctx.caches = {
        {1, 48 << 10, 1, "test", 0}, {2, 1 << 20, 1, "test", 0}, {3, 32 << 20, threads, "test", 0}};
    const WorkModel wm = f32->make(l2)->Model(ctx);
    EXPECT_GT(wm.bytes[static_cast<size_t>(Level::kL2)], 0) << threads;
    EXPECT_EQ(wm.bytes[static_cast<size_t>(Level::kL3)], 0) << threads;
    EXPECT_EQ(wm.bytes[static_cast<size_t>(Level::kDram)], 0) << threads;
  }
}

TEST(GemvWorkload, SetupRunVerifyOnEveryTarget) {
  for (const WeightFormat f : kFormats) {
    const auto wl = FindKernel(std::string("gemv_") + WeightFormatName(f))
                        ->make({{"m", 3}, {"n", 70}, {"k", 256}});
    EXPECT_EQ(wl->name(), std::string("gemv_") + WeightFormatName(f));
    EXPECT_FALSE(wl->description().empty());
    wl->Setup(TestThreads());
    for (const int64_t target : testing_util::Targets()) {
      const double checksum = wl->Run(target);
      EXPECT_TRUE(std::isfinite(checksum));
      EXPECT_LE(wl->Verify(), 1.0) << TargetName(target) << " " << WeightFormatName(f);
    }
  }
}

}  // namespace
}  // namespace roofprof
