// Tests of the prefill GEMM kernels: every target against the double reference, edges,
// misalignment, threads, a large O(n^2) product check, the work model and the registry.
#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/model_util.h"
#include "kernels/touch_counter.h"
#include "kernels/workload.h"
#include "src/error.h"
#include "src/targets.h"
#include "tests/test_util.h"

namespace roofprof {
namespace {

using testing_util::DotTolerance;
using testing_util::kEpsF32;

inline void SetWeight(float v, float* w) { *w = v; }
inline void SetWeight(float v, hwy::bfloat16_t* w) { *w = hwy::BF16FromF32(v); }

void RunGemm(int64_t target, const float* a, int64_t lda, const float* w, int64_t ldw, float* c,
             int64_t ldc, int64_t m, int64_t n, int64_t k, GemmWorkspace* ws) {
  GemmF32(target, a, lda, w, ldw, c, ldc, m, n, k, ws);
}
void RunGemm(int64_t target, const float* a, int64_t lda, const hwy::bfloat16_t* w, int64_t ldw,
             float* c, int64_t ldc, int64_t m, int64_t n, int64_t k, GemmWorkspace* ws) {
  GemmBf16(target, a, lda, w, ldw, c, ldc, m, n, k, ws);
}

// One product with operands at chosen offsets from allocation starts (misaligned when the
// offset is not a multiple of the vector size) and leading dimensions larger than needed.
template <typename WT>
struct Problem {
  int64_t m, n, k, lda, ldw, ldc;
  std::vector<float> a_store, c_store;
  std::vector<WT> w_store;
  float* a;
  WT* w;
  float* c;
  static constexpr float kSentinel = -12345.0f;

  Problem(int64_t m_, int64_t n_, int64_t k_, int offset, int64_t pad, uint32_t seed)
      : m(m_), n(n_), k(k_), lda(k_ + pad), ldw(k_ + pad), ldc(n_ + pad) {
    a_store.resize(static_cast<size_t>(m * lda + offset));
    w_store.resize(static_cast<size_t>(n * ldw + offset));
    c_store.assign(static_cast<size_t>(m * ldc + offset), kSentinel);
    a = a_store.data() + offset;
    w = w_store.data() + offset;
    c = c_store.data() + offset;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (auto& x : a_store) x = dist(rng);
    for (auto& x : w_store) SetWeight(dist(rng), &x);
    // C holds garbage where the product goes: the kernel must write, not accumulate.
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = 1e30f;
    }
  }

  // Every output against the reference; the padding columns of C untouched. Returns the
  // number of failures (reported with the first few).
  int CheckAll(const std::string& what) const {
    int failures = 0;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double abs_sum = 0;
        const double ref = GemmReferenceDot(a + i * lda, w + j * ldw, k, &abs_sum);
        const double got = c[i * ldc + j];
        const double tol = DotTolerance(k, abs_sum, kEpsF32);
        if (!(std::fabs(got - ref) <= tol)) {
          if (++failures <= 3) {
            ADD_FAILURE() << what << ": C[" << i << "][" << j << "] = " << got << ", reference "
                          << ref << ", tolerance " << tol;
          }
        }
      }
      for (int64_t j = n; j < ldc; ++j) {
        if (c[i * ldc + j] != kSentinel) {
          if (++failures <= 3) ADD_FAILURE() << what << ": wrote C padding at row " << i;
        }
      }
    }
    return failures;
  }
};

std::string Describe(int64_t target, int64_t m, int64_t n, int64_t k, int threads,
                     const char* weights) {
  return TargetName(target) + " " + weights + " m=" + std::to_string(m) +
         " n=" + std::to_string(n) + " k=" + std::to_string(k) +
         " threads=" + std::to_string(threads);
}

// f32 lanes of a target's vectors (1 for the scalar target).
int64_t FloatLanes(int64_t target) { return std::max(1, TargetVectorBytes(target) / 4); }

// Shapes around the lane count, the register tile and the k block of `target`.
std::vector<std::array<int64_t, 3>> EdgeShapes(int64_t target) {
  const GemmBlocking b = GemmBlockingFor(target);
  const int64_t lanes = FloatLanes(target);
  const int64_t mr = b.mr, nr = b.nr, kc = b.kc;
  return {{1, 1, 1},
          {3, 3, 3},
          {1, lanes, lanes},
          {lanes, lanes + 1, 3},
          {lanes + 1, 3, lanes + 1},
          {mr, nr, kc},
          {mr + 1, nr + 1, kc + 1},
          {mr - 1, nr - 1, 17},
          {2 * mr + 3, 2 * nr + 5, 2 * kc + 7},
          {17, 33, 37},
          {5, 2 * nr + 1, 1}};
}

template <typename WT>
void CheckEdgeShapes(const char* weights) {
  for (const int64_t target : AvailableTargets()) {
    for (const int threads : {1, 2}) {
      GemmWorkspace ws;
      ws.Allocate(threads);
      for (const auto& s : EdgeShapes(target)) {
        // Offsets 0 and 1 element: aligned and misaligned operands; pad 0 and 3: tight and
        // strided rows.
        for (const int offset : {0, 1}) {
          Problem<WT> p(s[0], s[1], s[2], offset, offset == 0 ? 0 : 3,
                        static_cast<uint32_t>(s[0] * 131 + s[1] * 7 + s[2]));
          RunGemm(target, p.a, p.lda, p.w, p.ldw, p.c, p.ldc, p.m, p.n, p.k, &ws);
          const std::string what = Describe(target, p.m, p.n, p.k, threads, weights) +
                                   " offset=" + std::to_string(offset);
          EXPECT_EQ(p.CheckAll(what), 0) << what;
        }
      }
    }
  }
}

TEST(GemmTest, F32EdgeShapesAllTargets) { CheckEdgeShapes<float>("f32"); }
TEST(GemmTest, Bf16EdgeShapesAllTargets) { CheckEdgeShapes<hwy::bfloat16_t>("bf16"); }

// More rows, columns and depth than one cache block of the target (mc, nc, kc), so every
// loop of the nest runs more than once and ends ragged. Checked in O(n^2) plus samples.
template <typename WT>
void CheckMultiBlock(const char* weights) {
  for (const int64_t target : AvailableTargets()) {
    const GemmBlocking b = GemmBlockingFor(target);
    const int64_t m = b.mc + 5, n = b.nc + 7, k = 2 * b.kc + 3;
    for (const int threads : {1, 3}) {
      GemmWorkspace ws;
      ws.Allocate(threads);
      Problem<WT> p(m, n, k, 1, 0, 7);
      RunGemm(target, p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, &ws);
      const std::string what = Describe(target, m, n, k, threads, weights);
      EXPECT_LE(GemmCheckProduct(p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, 11), 1.0) << what;
      for (const auto& ij : std::vector<std::array<int64_t, 2>>{
               {0, 0}, {m - 1, n - 1}, {b.mc - 1, b.nc - 1}, {b.mc, b.nc}, {m / 2, n - 1}}) {
        double abs_sum = 0;
        const double ref = GemmReferenceDot(p.a + ij[0] * p.lda, p.w + ij[1] * p.ldw, k, &abs_sum);
        EXPECT_NEAR(p.c[ij[0] * p.ldc + ij[1]], ref, DotTolerance(k, abs_sum, kEpsF32))
            << what << " at " << ij[0] << "," << ij[1];
      }
    }
  }
}

TEST(GemmTest, F32MultiBlockAllTargets) { CheckMultiBlock<float>("f32"); }
TEST(GemmTest, Bf16MultiBlockAllTargets) { CheckMultiBlock<hwy::bfloat16_t>("bf16"); }

// A large product on every target, checked as C t against A (W^T t).
TEST(GemmTest, LargeProductCheckAllTargets) {
  const int64_t m = 512, n = 512, k = 512;
  GemmWorkspace ws;
  ws.Allocate(2);
  Problem<float> p(m, n, k, 0, 0, 3);
  for (const int64_t target : AvailableTargets()) {
    RunGemm(target, p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, &ws);
    EXPECT_LE(GemmCheckProduct(p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, 5), 1.0)
        << Describe(target, m, n, k, 2, "f32");
  }
}

// The O(n^2) check must catch a wrong output in a large product, and NaN.
TEST(GemmTest, ProductCheckDetectsSmallErrors) {
  const int64_t m = 256, n = 256, k = 256;
  GemmWorkspace ws;
  ws.Allocate(1);
  Problem<float> p(m, n, k, 0, 0, 9);
  RunGemm(BestTarget(), p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, &ws);
  ASSERT_LE(GemmCheckProduct(p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, 1), 1.0);
  float& x = p.c[100 * p.ldc + 37];
  const float saved = x;
  // The row bound sums the worst-case bounds of all n outputs of the row, so it catches errors
  // of the size a lost block of products makes: here a fifth of sum_l |a_l w_l| in one output.
  double abs_sum = 0;
  GemmReferenceDot(p.a + 100 * p.lda, p.w + 37 * p.ldw, k, &abs_sum);
  x = saved + static_cast<float>(0.2 * abs_sum);
  EXPECT_GT(GemmCheckProduct(p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, 1), 1.0);
  x = std::numeric_limits<float>::quiet_NaN();
  EXPECT_GT(GemmCheckProduct(p.a, p.lda, p.w, p.ldw, p.c, p.ldc, m, n, k, 1), 1.0);
  x = saved;
}

TEST(GemmTest, BlockingIsConsistent) {
  for (const int64_t target : AvailableTargets()) {
    const GemmBlocking b = GemmBlockingFor(target);
    const std::string t = TargetName(target);
    EXPECT_GT(b.mr, 0) << t;
    EXPECT_EQ(b.nr % FloatLanes(target), 0) << t;
    EXPECT_EQ(b.mc % b.mr, 0) << t;
    EXPECT_EQ(b.nc % b.nr, 0) << t;
    EXPECT_EQ(b.kc % 16, 0) << t;
    // At most 768 deep; the A block fits half of a 1 MiB L2, the W block 2 MiB of L3.
    EXPECT_LE(b.kc, 768) << t;
    EXPECT_LE(b.mc * b.kc * 4, 512 << 10) << t;
    EXPECT_LE(static_cast<int64_t>(b.nc) * b.kc * 4, 2 << 20) << t;
  }
}

TEST(GemmTest, GridAndPartition) {
  GemmBlocking b;
  b.mr = 14;
  b.nr = 32;
  // Prefill shapes split W (n) between 2 threads; a tall product splits A (m).
  EXPECT_EQ(ChooseGemmGrid(512, 4096, 2, b).tn, 2);
  EXPECT_EQ(ChooseGemmGrid(8192, 256, 2, b).tm, 2);
  const GemmGrid g = ChooseGemmGrid(512, 4096, 64, b);
  EXPECT_EQ(g.tm * g.tn, 64);
  EXPECT_GT(g.tm, 1);  // 64 column strips of 64 would make every thread read all of A
  // Parts tile [0, extent) in order, cut at multiples of the alignment.
  for (const int64_t extent : {1, 13, 64, 100, 4097}) {
    for (const int parts : {1, 2, 3, 7}) {
      int64_t next = 0;
      for (int i = 0; i < parts; ++i) {
        const auto r = GemmPartRange(extent, parts, i, 14);
        EXPECT_EQ(r.first, std::min(next, extent));
        EXPECT_LE(r.first, r.second);
        if (r.second < extent) {
          EXPECT_EQ(r.second % 14, 0);
        }
        next = std::max(next, r.second);
      }
      EXPECT_EQ(next, extent) << extent << " " << parts;
    }
  }
}

ModelContext ZenContext(int threads) {
  ModelContext ctx;
  ctx.threads = threads;
  ctx.caches = {
      {1, 48 << 10, 1, "test", 0}, {2, 1 << 20, 1, "test", 0}, {3, 32 << 20, 8, "test", 0}};
  return ctx;
}

// The model's compulsory bytes equal the distinct bytes a reference run touches.
TEST(GemmModelTest, CompulsoryMatchesInstrumentedReference) {
  const GemmBlocking b = GemmBlockingFor(BestTarget());
  for (const auto& s : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {3, 5, 7}, {8, 4, 16}}) {
    for (const GemmWeights wt : {GemmWeights::kF32, GemmWeights::kBf16}) {
      const int64_t m = s[0], n = s[1], k = s[2];
      std::vector<float> a(static_cast<size_t>(m * k), 0.5f), c(static_cast<size_t>(m * n));
      std::vector<float> wf(static_cast<size_t>(n * k), 0.25f);
      std::vector<hwy::bfloat16_t> wb(static_cast<size_t>(n * k), hwy::BF16FromF32(0.25f));
      TouchCounter touches;
      const size_t wbytes = static_cast<size_t>(GemmWeightBytes(wt));
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          touches.Read(a.data() + i * k, static_cast<size_t>(k) * sizeof(float));
          const void* wrow = wt == GemmWeights::kF32 ? static_cast<const void*>(wf.data() + j * k)
                                                     : static_cast<const void*>(wb.data() + j * k);
          touches.Read(wrow, static_cast<size_t>(k) * wbytes);
          c[static_cast<size_t>(i * n + j)] = static_cast<float>(
              wt == GemmWeights::kF32
                  ? GemmReferenceDot(a.data() + i * k, wf.data() + j * k, k, nullptr)
                  : GemmReferenceDot(a.data() + i * k, wb.data() + j * k, k, nullptr));
          touches.Write(&c[static_cast<size_t>(i * n + j)], sizeof(float));
        }
      }
      const WorkModel model = GemmWorkModel(m, n, k, wt, b, ZenContext(1));
      EXPECT_EQ(model.compulsory_bytes, static_cast<double>(touches.unique_bytes()))
          << m << "x" << n << "x" << k;
      EXPECT_EQ(model.flops, 2.0 * m * n * k);
    }
  }
}

TEST(GemmModelTest, TrafficIsSane) {
  const GemmBlocking b = GemmBlockingFor(BestTarget());
  for (const int threads : {1, 2, 16}) {
    const ModelContext ctx = ZenContext(threads);
    for (const GemmWeights wt : {GemmWeights::kF32, GemmWeights::kBf16}) {
      for (const auto& s : std::vector<std::array<int64_t, 3>>{
               {16, 64, 64}, {512, 4096, 4096}, {512, 11008, 4096}, {2048, 2048, 2048}}) {
        const WorkModel mdl = GemmWorkModel(s[0], s[1], s[2], wt, b, ctx);
        const std::string what = std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" +
                                 std::to_string(s[2]) + " threads " + std::to_string(threads);
        // Every byte that crosses an outer level also crosses the inner ones.
        for (int l = 1; l < kNumLevels; ++l) EXPECT_GE(mdl.bytes[l - 1], mdl.bytes[l]) << what;
        // The core loads at least every operand once and stores C once.
        EXPECT_GE(mdl.bytes[0], mdl.compulsory_bytes) << what;
        EXPECT_EQ(mdl.derivation.size(), static_cast<size_t>(kNumLevels)) << what;
        const bool exceeds_l3 = mdl.compulsory_bytes > 32.0 * (1 << 20);
        if (exceeds_l3) {
          EXPECT_GE(mdl.bytes[3], mdl.compulsory_bytes) << what;
        }
      }
      // A tiny product stays in L1/L2 between runs: no DRAM or L3 traffic.
      const WorkModel tiny = GemmWorkModel(4, 8, 8, wt, b, ctx);
      EXPECT_EQ(tiny.bytes[3], 0.0);
      EXPECT_EQ(tiny.bytes[2], 0.0);
    }
    // bf16 weights halve the weight bytes from DRAM.
    const WorkModel f32 = GemmWorkModel(512, 11008, 4096, GemmWeights::kF32, b, ctx);
    const WorkModel bf16 = GemmWorkModel(512, 11008, 4096, GemmWeights::kBf16, b, ctx);
    EXPECT_LT(bf16.bytes[3], f32.bytes[3]);
    EXPECT_LT(bf16.compulsory_bytes, f32.compulsory_bytes);
    // More tokens re-use each weight more: DRAM bytes per flop fall as m grows.
    const WorkModel m64 = GemmWorkModel(64, 4096, 4096, GemmWeights::kF32, b, ctx);
    const WorkModel m512 = GemmWorkModel(512, 4096, 4096, GemmWeights::kF32, b, ctx);
    EXPECT_GT(m64.bytes[3] / m64.flops, m512.bytes[3] / m512.flops);
  }
}

TEST(GemmWorkloadTest, RegisteredAndVerified) {
  for (const char* name : {"gemm_f32", "gemm_bf16"}) {
    const KernelInfo* info = FindKernel(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->dims, (std::vector<std::string>{"m", "n", "k"}));
    EXPECT_EQ(info->suite.size(), 3u);
    EXPECT_EQ(ShapeValue(info->default_shape, "m", 0), 512);
    auto wl = info->make({{"m", 37}, {"n", 70}, {"k", 45}});
    ASSERT_NE(wl, nullptr);
    EXPECT_EQ(wl->name(), name);
    EXPECT_EQ(ShapeValue(wl->shape(), "n", 0), 70);
    wl->Setup(2);
    for (const int64_t target : AvailableTargets()) {
      wl->Run(target);
      EXPECT_LE(wl->Verify(), 1.0) << name << " " << TargetName(target);
    }
    const WorkModel model = wl->Model(ZenContext(2));
    EXPECT_EQ(model.flops, 2.0 * 37 * 70 * 45);
    EXPECT_THROW(info->make({{"q", 1}}), UsageError);
  }
}

}  // namespace
}  // namespace roofprof
