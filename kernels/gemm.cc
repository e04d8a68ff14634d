// Prefill GEMM: per-target entries, the thread grid, workspaces, the scalar reference, the
// work model and the gemm_f32 / gemm_bf16 workloads.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {

void GemmBlockingEntry(GemmBlocking* out) { *out = ThisTargetBlocking(); }

void GemmF32Entry(const float* a, int64_t lda, const float* w, int64_t ldw, float* c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k, GemmWorkspace* ws) {
  GemmImpl(a, lda, w, ldw, c, ldc, m, n, k, ws);
}

void GemmBf16Entry(const float* a, int64_t lda, const hwy::bfloat16_t* w, int64_t ldw, float* c,
                   int64_t ldc, int64_t m, int64_t n, int64_t k, GemmWorkspace* ws) {
  GemmImpl(a, lda, w, ldw, c, ldc, m, n, k, ws);
}

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "kernels/model_util.h"
#include "kernels/openblas.h"
#include "src/error.h"
#include "src/hwy_dispatch.h"
#include "src/targets.h"

namespace roofprof {

HWY_EXPORT(GemmBlockingEntry);
HWY_EXPORT(GemmF32Entry);
HWY_EXPORT(GemmBf16Entry);

GemmBlocking GemmBlockingFor(int64_t target) {
  GemmBlocking b;
  ROOFPROF_DISPATCH_FOR(GemmBlockingEntry, target)(&b);
  return b;
}

namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }

}  // namespace

// Threads own independent blocks of C (no shared packing, no barriers inside a run): each
// packs its own A rows and W rows, (m_t + n_t) k elements against 2 m_t n_t k flops, so the
// grid minimizes m_t + n_t. With 2 threads and prefill shapes (n >= m) that is two column
// halves: each thread streams half of W, and both read A (the smaller operand). With 16-64
// threads the grid goes 2-D (m=512, n=4096 on 64 threads: 2 x 32 blocks of 256 x 128), and
// the A rows a row of threads shares are packed once per thread: about one packed element per
// 170 flops there, a cost BLIS avoids by packing A cooperatively (a barrier per block).
GemmGrid ChooseGemmGrid(int64_t m, int64_t n, int threads, const GemmBlocking& b) {
  GemmGrid best;
  int64_t best_cost = std::numeric_limits<int64_t>::max();
  threads = std::max(1, threads);
  // Larger tn first, so ties keep W split.
  for (int tm = 1; tm <= threads; ++tm) {
    if (threads % tm != 0) continue;
    const int tn = threads / tm;
    // Rows of A and W one thread reads (padded to the tile), per unit of k.
    const int64_t cost = RoundUp(CeilDiv(m, tm), b.mr) + RoundUp(CeilDiv(n, tn), b.nr);
    if (cost < best_cost) {
      best_cost = cost;
      best.tm = tm;
      best.tn = tn;
    }
  }
  return best;
}

std::pair<int64_t, int64_t> GemmPartRange(int64_t extent, int parts, int i, int64_t align) {
  const int64_t units = CeilDiv(extent, align);
  const int64_t per = units / parts, extra = units % parts;
  // The first `extra` parts take one unit more.
  const int64_t begin = (i * per + std::min<int64_t>(i, extra)) * align;
  const int64_t end = begin + (per + (i < extra ? 1 : 0)) * align;
  return {std::min(begin, extent), std::min(end, extent)};
}

size_t GemmWorkspace::FloatsFor(const GemmBlocking& b) {
  const size_t kc = static_cast<size_t>(b.kc);
  return static_cast<size_t>(b.mc) * kc + static_cast<size_t>(b.nc) * kc +
         static_cast<size_t>(b.mr) * static_cast<size_t>(b.nr);
}

void GemmWorkspace::Allocate(int threads) {
  threads = std::max(1, threads);
  floats_ = 0;
  for (const int64_t t : AvailableTargets()) {
    floats_ = std::max(floats_, FloatsFor(GemmBlockingFor(t)));
  }
  buffers_.clear();
  buffers_.resize(static_cast<size_t>(threads));
  std::string failure;
#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    try {
      AlignedBuffer buf = AllocateAligned(floats_ * sizeof(float));
      std::memset(buf.get(), 0, floats_ * sizeof(float));  // first touch by the owner
      buffers_[static_cast<size_t>(tid)] = std::move(buf);
    } catch (const std::exception& e) {
#pragma omp critical(roofprof_gemm_alloc)
      failure = e.what();
    }
  }
  if (!failure.empty()) throw EnvironmentError("gemm workspace: " + failure);
}

void GemmF32(int64_t target, const float* a, int64_t lda, const float* w, int64_t ldw, float* c,
             int64_t ldc, int64_t m, int64_t n, int64_t k, GemmWorkspace* ws) {
  ROOFPROF_DISPATCH_FOR(GemmF32Entry, target)(a, lda, w, ldw, c, ldc, m, n, k, ws);
}

void GemmBf16(int64_t target, const float* a, int64_t lda, const hwy::bfloat16_t* w, int64_t ldw,
              float* c, int64_t ldc, int64_t m, int64_t n, int64_t k, GemmWorkspace* ws) {
  ROOFPROF_DISPATCH_FOR(GemmBf16Entry, target)(a, lda, w, ldw, c, ldc, m, n, k, ws);
}

namespace {

inline double WeightToDouble(float x) { return static_cast<double>(x); }
inline double WeightToDouble(hwy::bfloat16_t x) { return static_cast<double>(hwy::F32FromBF16(x)); }

template <typename T>
double ReferenceDot(const float* a, const T* w, int64_t k, double* abs_sum) {
  double sum = 0, abs = 0;
  for (int64_t l = 0; l < k; ++l) {
    const double p = static_cast<double>(a[l]) * WeightToDouble(w[l]);
    sum += p;
    abs += std::fabs(p);
  }
  if (abs_sum != nullptr) *abs_sum = abs;
  return sum;
}

}  // namespace

double GemmReferenceDot(const float* a, const float* w, int64_t k, double* abs_sum) {
  return ReferenceDot(a, w, k, abs_sum);
}
double GemmReferenceDot(const float* a, const hwy::bfloat16_t* w, int64_t k, double* abs_sum) {
  return ReferenceDot(a, w, k, abs_sum);
}

// ---------------------------------------------------------------------------------------
// Work model of one run (steady state: the harness runs back to back, so what fits in a
// cache between runs stays there). Per thread block m_t x n_t of the grid, with
// Mp = m_t rounded up to mr, Np = n_t rounded up to nr, jb = ceil(n_t/nc), pb = ceil(k/kc),
// ib = ceil(m_t/mc) blocks (of equal size, as GemmBlock cuts them; kc too), R = 4 bytes per A and C
// element and wb per weight (4 f32, 2 bf16; packed W panels keep the weight format):
//   flops       = 2 m n k (padding lanes are not counted: they do no useful work).
//   compulsory  = A (m k R) + W (n k wb) + C written (m n R).
//   L1 (core loads/stores): micro-kernel W vectors Mp/mr * Np * k * wb and A broadcasts
//     Np/nr * Mp * k * R; C tiles stored pb times and re-loaded pb - 1 times (Mp Np R each);
//     packing reads A jb times and W once, and writes A~ (Mp k R per jb) and W~ (Np k wb).
//   Beyond L1, each stream crosses every level between the core and the level where its data
//   lives (ResidentLevel of what passes between two uses):
//     A~ micro-panels: re-read once per W micro-panel (Np/nr times), from the level holding
//       the A block plus one W panel;
//     W~ micro-panels: re-read once per A block (ib times), from the level holding the W block
//       plus the A block;
//     C tiles: pb reads (the first is the write-allocate) and pb write-backs, from the level
//       holding the thread's C columns of one W block plus both packed blocks;
//     raw A and W: read by packing from the level the whole working set (A, W, C, packed
//       blocks) lives in between runs (raw A re-reads for jb > 1 from where A stays);
//     C between runs: if C tiles live closer than the working set, each C line is also
//       fetched from and written back to the working set's level once per run.
// Edge tiles (computed into a scratch tile, then copied) and the packed blocks' zero padding
// are counted as full tiles; the scratch copies themselves are not counted.

namespace {

struct Stream {
  std::array<double, kNumLevels> bytes{};
  // Adds `b` bytes that cross levels first..last (inclusive; 0 = L1).
  void Add(double b, int first, int last) {
    for (int l = first; l <= last && l < kNumLevels; ++l) bytes[static_cast<size_t>(l)] += b;
  }
};

}  // namespace

WorkModel GemmWorkModel(int64_t m, int64_t n, int64_t k, GemmWeights weights, const GemmBlocking& b,
                        const ModelContext& ctx) {
  WorkModel model;
  const double wb = GemmWeightBytes(weights);
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  const double kd = static_cast<double>(k);
  model.flops = 2.0 * md * nd * kd;
  model.compulsory_bytes = md * kd * 4 + nd * kd * wb + md * nd * 4;
  model.precision = "fp32";

  const int threads = std::max(1, ctx.threads);
  const GemmGrid grid = ChooseGemmGrid(m, n, threads, b);
  // Level a per-thread footprint lives at (ResidentLevel splits its argument over threads).
  const auto level_of = [&](double per_thread_bytes) {
    return ResidentLevel(per_thread_bytes * threads, ctx);
  };
  // Packed blocks each thread fills (A~ and W~ at their largest), part of what stays cached
  // between runs.
  double packed_bytes = 0;
  for (int t = 0; t < threads; ++t) {
    const auto rows = GemmPartRange(m, grid.tm, t / grid.tn, b.mr);
    const auto cols = GemmPartRange(n, grid.tn, t % grid.tn, b.nr);
    packed_bytes +=
        (static_cast<double>(GemmBalancedBlock(rows.second - rows.first, b.mc, b.mr)) * 4 +
         static_cast<double>(GemmBalancedBlock(cols.second - cols.first, b.nc, b.nr)) * wb) *
        static_cast<double>(std::min<int64_t>(GemmBalancedBlock(k, b.kc, 16), k));
  }
  const int run_level = ResidentLevel(model.compulsory_bytes + packed_bytes, ctx);

  Stream kernel_w, kernel_a, a_refill, w_refill, c_tiles, pack, c_run;
  int la_max = 0, lw_max = 0, lc_max = 0;
  for (int t = 0; t < threads; ++t) {
    const auto rows = GemmPartRange(m, grid.tm, t / grid.tn, b.mr);
    const auto cols = GemmPartRange(n, grid.tn, t % grid.tn, b.nr);
    const int64_t mt = rows.second - rows.first, nt = cols.second - cols.first;
    if (mt <= 0 || nt <= 0) continue;
    const double mp = static_cast<double>(RoundUp(mt, b.mr));
    const double np = static_cast<double>(RoundUp(nt, b.nr));
    const double jb = static_cast<double>(CeilDiv(nt, b.nc));
    const double pb = static_cast<double>(CeilDiv(k, b.kc));
    const double ib = static_cast<double>(CeilDiv(mt, b.mc));
    const double kc = static_cast<double>(std::min<int64_t>(GemmBalancedBlock(k, b.kc, 16), k));
    // Blocks as GemmBlock cuts them: equal sizes of at most mc and nc.
    const double mcb = static_cast<double>(GemmBalancedBlock(mt, b.mc, b.mr));
    const double ncb = static_cast<double>(GemmBalancedBlock(nt, b.nc, b.nr));
    const double a_block = mcb * kc * 4;
    const double w_block = ncb * kc * wb;  // packed panels keep the weight format
    const double w_panel = static_cast<double>(b.nr) * kc * wb;
    const double c_cols = mp * ncb * 4;
    const int la = level_of(a_block + w_panel);
    const int lw = level_of(w_block + a_block);
    const int lc = level_of(c_cols + w_block + a_block);
    const int l_a_raw = level_of(static_cast<double>(mt) * kd * 4 + w_block + c_cols);
    la_max = std::max(la_max, la);
    lw_max = std::max(lw_max, lw);
    lc_max = std::max(lc_max, lc);

    kernel_w.Add(mp / b.mr * np * kd * wb, 0, 0);
    kernel_a.Add(np / b.nr * mp * kd * 4, 0, 0);
    if (la > 0) a_refill.Add(np / b.nr * mp * kd * 4, 1, la);
    if (lw > 0) w_refill.Add(np * kd * wb * ib, 1, lw);
    c_tiles.Add((2 * pb - 1) * mp * np * 4, 0, 0);
    if (lc > 0) c_tiles.Add(2 * pb * mp * np * 4, 1, lc);
    if (lc < run_level)
      c_run.Add(2 * static_cast<double>(mt) * static_cast<double>(nt) * 4, lc + 1, run_level);
    // Packing: raw A jb times (first from the run level, then from where A stays), raw W
    // once, packed writes written back to where the blocks live.
    const double a_raw = static_cast<double>(mt) * kd * 4;
    const double w_raw = static_cast<double>(nt) * kd * wb;
    pack.Add(a_raw * jb + w_raw, 0, 0);
    pack.Add(a_raw + w_raw, 1, run_level);
    if (jb > 1 && l_a_raw > 0) pack.Add(a_raw * (jb - 1), 1, l_a_raw);
    pack.Add(mp * kd * 4 * jb + np * kd * wb, 0, 0);
    if (la > 0) pack.Add(mp * kd * 4 * jb, 1, la);
    if (lw > 0) pack.Add(np * kd * wb, 1, lw);
  }
  for (const Stream* s : {&kernel_w, &kernel_a, &a_refill, &w_refill, &c_tiles, &pack, &c_run}) {
    AddTraffic(&model.bytes, s->bytes);
  }

  const auto fb = [](double x) { return FormatBytes(x); };
  model.derivation.push_back("L1: micro-kernel loads W " + fb(kernel_w.bytes[0]) + " + A " +
                             fb(kernel_a.bytes[0]) + " (" + std::to_string(b.mr) + "x" +
                             std::to_string(b.nr) + " tiles, grid " + std::to_string(grid.tm) +
                             "x" + std::to_string(grid.tn) + "), C tiles " + fb(c_tiles.bytes[0]) +
                             " (k/kc = " + std::to_string(CeilDiv(k, b.kc)) + " passes), packing " +
                             fb(pack.bytes[0]));
  const auto level_line = [&](int l) {
    const size_t i = static_cast<size_t>(l);
    return std::string(LevelName(l)) + ": A panels " + fb(a_refill.bytes[i]) + " (A block in " +
           LevelName(la_max) + "), W panels " + fb(w_refill.bytes[i]) + " (W block in " +
           LevelName(lw_max) + "), C " + fb(c_tiles.bytes[i] + c_run.bytes[i]) + " (C in " +
           LevelName(lc_max) + "), packing " + fb(pack.bytes[i]) + "; working set " +
           fb(model.compulsory_bytes) + " lives in " + LevelName(run_level) + " between runs";
  };
  for (int l = 1; l < kNumLevels; ++l) model.derivation.push_back(level_line(l));
  return model;
}

namespace {

// Deterministic values in [-1, 1) from an index (SplitMix64), so any thread can fill any
// part of an operand and get the same data.
float ValueAt(uint64_t seed, uint64_t i) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + i + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<double>(z >> 11) * 0x1p-52 - 1.0);
}

// Error bound of a k-long f32 dot product against the exact one: 2 k eps sum|a b| (Higham,
// 3.1; the factor 2 allows for reassociation across lanes), as in the tests' DotTolerance.
double DotBound(int64_t k, double abs_sum) {
  return 2.0 * static_cast<double>(k) * 0x1p-24 * abs_sum + std::numeric_limits<double>::min();
}

template <typename WT>
double CheckProduct(const float* a, int64_t lda, const WT* w, int64_t ldw, const float* c,
                    int64_t ldc, int64_t m, int64_t n, int64_t k, uint64_t seed) {
  std::vector<double> t(static_cast<size_t>(n)), u(static_cast<size_t>(k), 0.0),
      u_abs(static_cast<size_t>(k), 0.0);
  for (int64_t j = 0; j < n; ++j)
    t[j] = static_cast<double>(ValueAt(seed, static_cast<uint64_t>(j)));
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t l = 0; l < k; ++l) {
      const double x = WeightToDouble(w[j * ldw + l]) * t[j];
      u[l] += x;
      u_abs[l] += std::fabs(x);
    }
  }
  const double double_eps = static_cast<double>(n + k) * 0x1p-53;
  double worst = 0;
  for (int64_t i = 0; i < m; ++i) {
    double ref = 0, bound = 0, got = 0, got_abs = 0;
    for (int64_t l = 0; l < k; ++l) {
      ref += static_cast<double>(a[i * lda + l]) * u[l];
      bound += std::fabs(static_cast<double>(a[i * lda + l])) * u_abs[l];
    }
    for (int64_t j = 0; j < n; ++j) {
      const double x = static_cast<double>(c[i * ldc + j]) * t[j];
      got += x;
      got_abs += std::fabs(x);
    }
    const double tol = DotBound(k, bound) + 2 * double_eps * (bound + got_abs);
    const double err = std::fabs(got - ref);
    // NaN or infinity in C fails the check.
    worst =
        std::max(worst, std::isfinite(err) ? err / tol : std::numeric_limits<double>::infinity());
  }
  return worst;
}

}  // namespace

double GemmCheckProduct(const float* a, int64_t lda, const float* w, int64_t ldw, const float* c,
                        int64_t ldc, int64_t m, int64_t n, int64_t k, uint64_t seed) {
  return CheckProduct(a, lda, w, ldw, c, ldc, m, n, k, seed);
}
double GemmCheckProduct(const float* a, int64_t lda, const hwy::bfloat16_t* w, int64_t ldw,
                        const float* c, int64_t ldc, int64_t m, int64_t n, int64_t k,
                        uint64_t seed) {
  return CheckProduct(a, lda, w, ldw, c, ldc, m, n, k, seed);
}

// ---------------------------------------------------------------------------------------
// Workloads.

namespace {

inline void StoreWeight(float v, float* out) { *out = v; }
inline void StoreWeight(float v, hwy::bfloat16_t* out) { *out = hwy::BF16FromF32(v); }

template <typename WT>
class GemmWorkload : public Workload {
 public:
  GemmWorkload(std::string name, int64_t m, int64_t n, int64_t k)
      : name_(std::move(name)), m_(m), n_(n), k_(k) {}

  std::string name() const override { return name_; }
  Shape shape() const override { return {{"m", m_}, {"n", n_}, {"k", k_}}; }
  std::string description() const override {
    return kBf16 ? "prefill GEMM, bf16 weights (packed as bf16, widened in the micro-kernel), f32 "
                   "accumulation"
                 : "prefill GEMM, f32 weights";
  }

  WorkModel Model(const ModelContext& ctx) const override {
    return GemmWorkModel(m_, n_, k_, kBf16 ? GemmWeights::kBf16 : GemmWeights::kF32,
                         GemmBlockingFor(ModelTarget(ctx)), ctx);
  }

  void Setup(int threads) override {
    threads_ = std::max(1, threads);
    const double bytes = static_cast<double>(m_ * k_) * 4 +
                         static_cast<double>(n_ * k_) * sizeof(WT) +
                         static_cast<double>(m_ * n_) * 4;
    CheckFitsInMemory(static_cast<uint64_t>(bytes), name_);
    a_ = AllocateAligned(static_cast<size_t>(m_ * k_) * sizeof(float));
    w_ = AllocateAligned(static_cast<size_t>(n_ * k_) * sizeof(WT));
    c_ = AllocateAligned(static_cast<size_t>(m_ * n_) * sizeof(float));
    float* a = A();
    WT* w = W();
    float* c = C();
    // First touch with the partition Run uses (the best target's grid): each thread writes
    // its C block, and shares the filling of its A rows and W rows with the threads that
    // read the same rows.
    const GemmBlocking b = GemmBlockingFor(BestTarget());
    const GemmGrid grid = ChooseGemmGrid(m_, n_, threads_, b);
    const int64_t m = m_, n = n_, k = k_;
#pragma omp parallel num_threads(threads_)
    {
      const int tid = omp_get_thread_num();
      const int ti = tid / grid.tn, tj = tid % grid.tn;
      const auto rows = GemmPartRange(m, grid.tm, ti, b.mr);
      const auto cols = GemmPartRange(n, grid.tn, tj, b.nr);
      const auto my_rows = GemmPartRange(rows.second - rows.first, grid.tn, tj, 1);
      for (int64_t i = rows.first + my_rows.first; i < rows.first + my_rows.second; ++i) {
        for (int64_t l = 0; l < k; ++l) a[i * k + l] = ValueAt(1, static_cast<uint64_t>(i * k + l));
      }
      const auto my_cols = GemmPartRange(cols.second - cols.first, grid.tm, ti, 1);
      for (int64_t j = cols.first + my_cols.first; j < cols.first + my_cols.second; ++j) {
        for (int64_t l = 0; l < k; ++l) {
          StoreWeight(ValueAt(2, static_cast<uint64_t>(j * k + l)), &w[j * k + l]);
        }
      }
      for (int64_t i = rows.first; i < rows.second; ++i) {
        for (int64_t j = cols.first; j < cols.second; ++j) c[i * n + j] = 0.0f;
      }
    }
    ws_.Allocate(threads_);
  }

  double Run(int64_t target) override {
    if constexpr (kBf16) {
      GemmBf16(target, A(), k_, W(), k_, C(), n_, m_, n_, k_, &ws_);
    } else {
      GemmF32(target, A(), k_, W(), k_, C(), n_, m_, n_, k_, &ws_);
    }
    // One output per row, spread over the columns.
    double sum = 0;
    const float* c = C();
    for (int64_t i = 0; i < m_; ++i) sum += c[i * n_ + (i * 7919) % n_];
    return sum;
  }

  // The whole product checked in O(mk + nk + mn), plus a few outputs element by element.
  double Verify() override {
    const float* a = A();
    const WT* w = W();
    const float* c = C();
    double worst = GemmCheckProduct(a, k_, w, k_, c, n_, m_, n_, k_, 3);
    // Corners and a few spread outputs, element by element.
    const int64_t picks[][2] = {{0, 0},      {m_ - 1, n_ - 1}, {0, n_ - 1},
                                {m_ - 1, 0}, {m_ / 2, n_ / 3}, {m_ / 3, n_ / 2}};
    for (const auto& p : picks) {
      double abs_sum = 0;
      const double ref = ReferenceDot(a + p[0] * k_, w + p[1] * k_, k_, &abs_sum);
      const double got = static_cast<double>(c[p[0] * n_ + p[1]]);
      const double err = std::fabs(got - ref);
      worst = WorseError(worst, std::isfinite(err) ? err / DotBound(k_, abs_sum)
                                                   : std::numeric_limits<double>::infinity());
    }
    return worst;
  }

 private:
  static constexpr bool kBf16 = std::is_same<WT, hwy::bfloat16_t>::value;
  float* A() const { return reinterpret_cast<float*>(a_.get()); }
  WT* W() const { return reinterpret_cast<WT*>(w_.get()); }
  float* C() const { return reinterpret_cast<float*>(c_.get()); }

  std::string name_;
  int64_t m_, n_, k_;
  int threads_ = 1;
  AlignedBuffer a_, w_, c_;
  GemmWorkspace ws_;
};

template <typename WT>
KernelInfo MakeGemmInfo(const std::string& name, const std::string& summary) {
  KernelInfo info;
  info.name = name;
  info.summary = summary;
  info.dims = {"m", "n", "k"};
  info.default_shape = {{"m", 512}, {"n", 4096}, {"k", 4096}};
  // Llama-class projections for a 512-token prefill: square (q/k/v/o), up/gate, down.
  info.suite = {{{"m", 512}, {"n", 4096}, {"k", 4096}},
                {{"m", 512}, {"n", 11008}, {"k", 4096}},
                {{"m", 512}, {"n", 4096}, {"k", 11008}}};
  KernelInfo shape_info = info;  // what make() needs to complete shapes (no make of its own)
  info.make = [shape_info](const Shape& given) -> std::unique_ptr<Workload> {
    const Shape s = CompleteShape(shape_info, given);
    const int64_t m = ShapeValue(s, "m", 0), n = ShapeValue(s, "n", 0), k = ShapeValue(s, "k", 0);
    if (m <= 0 || n <= 0 || k <= 0) {
      throw UsageError(shape_info.name + ": m, n and k must be positive");
    }
    // Keep m*k, n*k and m*n addressable as element counts with room to spare.
    const double limit = 0x1p50;
    if (static_cast<double>(m) * k > limit || static_cast<double>(n) * k > limit ||
        static_cast<double>(m) * n > limit) {
      throw UsageError(shape_info.name + ": shape " + FormatShape(s) + " is too large");
    }
    return std::make_unique<GemmWorkload<WT>>(shape_info.name, m, n, k);
  };
  return info;
}

}  // namespace

void RegisterGemmKernels(std::vector<KernelInfo>* out) {
  // The OpenBLAS baseline measures gemm_f32's work (and gemv_f32's); installing it with the
  // kernels links it into every binary that has them.
  RegisterOpenBlasBaseline();
  out->push_back(MakeGemmInfo<float>(
      "gemm_f32",
      "prefill GEMM C = A W^T, f32 activations and weights (packed, register-blocked)"));
  out->push_back(MakeGemmInfo<hwy::bfloat16_t>(
      "gemm_bf16",
      "prefill GEMM C = A W^T, bf16 weights widened in the micro-kernel, f32 accumulation"));
}

}  // namespace roofprof
#endif  // HWY_ONCE
