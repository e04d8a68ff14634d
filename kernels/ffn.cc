// SwiGLU kernels: per-target entries, scalar reference, work model and the workloads behind
// ffn_swiglu_fused and ffn_swiglu_unfused.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/ffn.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/ffn-inl.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {

void FfnSwigluEntry(const FfnData& data) { ffn::FfnSwigluImpl(data); }
int64_t FfnWeightRowsEntry() { return ffn::kWeightRows; }

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "kernels/attention.h"
#include "kernels/gemv.h"
#include "kernels/model_util.h"
#include "kernels/touch_counter.h"
#include "src/error.h"
#include "src/hwy_dispatch.h"
#include "src/memory.h"
#include "src/targets.h"

namespace roofprof {

HWY_EXPORT(FfnSwigluEntry);
HWY_EXPORT(FfnWeightRowsEntry);

void RunFfnSwiglu(int64_t target, const FfnData& data) {
  ROOFPROF_DISPATCH_FOR(FfnSwigluEntry, target)(data);
}

int64_t FfnTileWeightRows(int64_t target) {
  return ROOFPROF_DISPATCH_FOR(FfnWeightRowsEntry, target)();
}

// The FFN runs on panels exactly where the f32 GEMV does (for every m).
bool FfnReadsPanels(int64_t target) { return GemvReadsPanels(WeightFormat::kF32, 1, target); }

size_t FfnPanelFloats(const FfnDims& dims, bool fused) {
  return GemvPanelBytes(WeightFormat::kF32, FfnPanelRows(dims.n, fused), dims.k) / sizeof(float);
}

void PackFfnPanels(const FfnDims& dims, bool fused, const float* wg, const float* wu,
                   int64_t block_begin, int64_t block_end, float* panels_g, float* panels_u) {
  const int64_t n = dims.n, k = dims.k;
  if (!fused) {
    PackGemvPanels(WeightFormat::kF32, wg, n, k, block_begin, block_end, panels_g);
    PackGemvPanels(WeightFormat::kF32, wu, n, k, block_begin, block_end, panels_u);
    return;
  }
  // Panel row r = 16 b + i: gate row 8 b + i for i < 8, else up row 8 b + i - 8.
  const int64_t half = kGemvPanelRows / 2;
  PackF32PanelRows(
      [&](int64_t r) -> const float* {
        const int64_t i = r % kGemvPanelRows, out = r / kGemvPanelRows * half + i % half;
        if (out >= n) return nullptr;
        return (i < half ? wg : wu) + out * k;
      },
      k, block_begin, block_end, panels_g);
}

void FfnPanelBlocks(const FfnDims& dims, bool fused, int threads, int tid, int64_t* begin,
                    int64_t* end) {
  int64_t r0, r1;
  GemvRowRange(FfnPanelRows(dims.n, fused), threads, tid, &r0, &r1);
  *begin = r0 / kGemvPanelRows;
  *end = (r1 + kGemvPanelRows - 1) / kGemvPanelRows;
}

size_t FfnWorkspaceBytes(const FfnDims& dims, int threads, int64_t target) {
  return GemvWorkspaceBytes(ChooseGemvBlocking(dims.m, dims.k, GemvVectorRegisters(target)),
                            threads);
}

FfnReference FfnSwigluReference(const FfnDims& dims, const float* x, const float* wg,
                                const float* wu, int64_t i, int64_t j, float* h,
                                TouchCounter* counter) {
  const double u = 0x1p-24;
  const size_t k = static_cast<size_t>(dims.k);
  const float* xr = x + static_cast<size_t>(i) * k;
  const float* gr = wg + static_cast<size_t>(j) * k;
  const float* ur = wu + static_cast<size_t>(j) * k;
  double g = 0, up = 0, g_abs = 0, u_abs = 0;
  for (size_t c = 0; c < k; ++c) {
    const double pg = static_cast<double>(xr[c]) * gr[c];
    const double pu = static_cast<double>(xr[c]) * ur[c];
    g += pg;
    up += pu;
    g_abs += std::fabs(pg);
    u_abs += std::fabs(pu);
  }
  if (counter) {
    counter->Read(xr, k * sizeof(float));
    counter->Read(gr, k * sizeof(float));
    counter->Read(ur, k * sizeof(float));
  }
  const double kd = static_cast<double>(k);
  const double eg = 2.0 * kd * u * g_abs, eu = 2.0 * kd * u * u_abs;
  const double silu = g / (1.0 + std::exp(-g));
  FfnReference ref;
  ref.value = silu * up;
  ref.tolerance =
      2.0 * (std::fabs(silu) * eu + std::fabs(up) * (1.1 * eg + 4.0 * u * std::fabs(silu)) +
             u * std::fabs(ref.value) + 1.1 * eg * eu) +
      std::numeric_limits<double>::min();
  if (h) {
    float* dst = h + static_cast<size_t>(i * dims.n + j);
    *dst = static_cast<float>(ref.value);
    if (counter) counter->Write(dst, sizeof(float));
  }
  return ref;
}

int64_t FfnPackedStride(int64_t k) { return (k + 15) / 16 * 16 + kFfnRowPadFloats; }

size_t FfnScratchFloats(const FfnDims& dims, int64_t lanes) {
  const int64_t x_copy = (dims.m * FfnPackedStride(dims.k) + 15) / 16 * 16;
  return static_cast<size_t>(x_copy +
                             (kFfnChunkRows / kFfnTileRows) * kFfnPanelRows * kFfnTileRows * lanes);
}

// ffn_swiglu_fused / ffn_swiglu_unfused.
// Flops (both): two products at 2 m n k each, plus 3 per output for silu(g) * u (add 1,
// divide, multiply); exp() once per output, not counted as flops. Compulsory bytes: x, Wg,
// Wu once and h once.
// Traffic: the working set crosses every level out to where ResidentLevel puts it once per
// run. Re-reads the blocking implies: every thread reads all of x once more and writes its
// padded copy (kFfnRowPadFloats), then reads the copy once per panel of weight rows (n / 8
// panels in both variants), from the level holding x per thread; a
// panel's weight rows once more per further chunk of kFfnChunkRows x rows, from the level
// holding a panel. Within a k slice, x and weights come from L1. Unfused also moves G and U
// (m n 4 B each): stored by the products and loaded by the elementwise pass, at the level
// where both live. L1 counts the copy's loads and stores, the tiles' loads, their partial-sum
// loads and stores per slice, and the stores and loads of the sums, the activation and h.
//
// On panels (FfnReadsPanels of the target the model describes, ModelTarget) the model is the
// GEMV's panel model (GemvPanelModel, kernels/gemv.cc) with the same flops and compulsory bytes:
//   fused: one panel call over FfnPanelRows(n) rows (gate and up of each output) that writes
//     the n columns of h from its epilogue: nothing else moves;
//   unfused: one panel call per matrix (each working set holding the other matrix's panels
//     and G, U and h too), writing G and U; the elementwise pass then loads G and U and
//     stores h (L1: 3 m n 4 B), from the level where the three live.
WorkModel FfnPanelModel(const FfnDims& dims, bool fused, const ModelContext& ctx) {
  const double m = static_cast<double>(dims.m), n = static_cast<double>(dims.n);
  const double h_bytes = m * n * 4.0;
  WorkModel w;
  if (fused) {
    w = GemvPanelModel(WeightFormat::kF32, dims.m, FfnPanelRows(dims.n, true), dims.k, dims.n, 0.0,
                       ctx);
    w.derivation.push_back(
        "fused: gate and up rows of 8 outputs share each 16-row panel block; silu(gate) * up "
        "in the tile's epilogue, from registers: only h is written");
  } else {
    const double panels = static_cast<double>(FfnPanelFloats(dims, false)) * 4.0;
    const WorkModel g = GemvPanelModel(WeightFormat::kF32, dims.m, dims.n, dims.k, dims.n,
                                       panels + 2.0 * h_bytes, ctx);
    w = g;
    AddTraffic(&w.bytes, g.bytes);  // the up product moves what the gate product moves
    const int level = ResidentLevel(3.0 * h_bytes, ctx);
    AddTraffic(&w.bytes, StreamTraffic(3.0 * h_bytes, level));
    w.bytes[0] += 3.0 * h_bytes;
    w.derivation.insert(w.derivation.begin(),
                        "unfused: two panel products (gate into G, up into "
                        "U), each:");
    w.derivation.push_back(
        DescribeStream("G and U loaded, h stored by silu(G) * U", 3.0 * h_bytes, level));
  }
  w.precision = "fp32";
  w.flops = 4.0 * m * n * static_cast<double>(dims.k) + 3.0 * m * n;
  w.compulsory_bytes = (m + 2.0 * n) * static_cast<double>(dims.k) * 4.0 + h_bytes;
  w.derivation.insert(w.derivation.begin(),
                      "flops: 4*m*n*k + 3*m*n (gate and up products, silu(g)*u: add, divide, "
                      "multiply); exp: m*n evaluations, not counted as flops");
  return w;
}

WorkModel FfnSwigluModel(const FfnDims& dims, bool fused, const ModelContext& ctx) {
  if (FfnReadsPanels(ModelTarget(ctx))) return FfnPanelModel(dims, fused, ctx);
  const double m = static_cast<double>(dims.m), n = static_cast<double>(dims.n);
  const double k = static_cast<double>(dims.k);
  const double threads = std::max(1, ctx.threads);
  const int64_t target = ModelTarget(ctx);
  const double wr = static_cast<double>(FfnTileWeightRows(target));
  const double lanes = std::max(1.0, TargetVectorBytes(target) / 4.0);
  WorkModel w;
  w.precision = "fp32";
  w.flops = 4.0 * m * n * k + 3.0 * m * n;
  const double x_bytes = m * k * 4.0, w_bytes = 2.0 * n * k * 4.0, h_bytes = m * n * 4.0;
  w.compulsory_bytes = x_bytes + w_bytes + h_bytes;
  const double inter = fused ? 0.0 : 2.0 * h_bytes;  // G and U
  const int level = ResidentLevel(w.compulsory_bytes + inter, ctx);
  std::array<double, kNumLevels> t{};
  AddTraffic(&t, StreamTraffic(w.compulsory_bytes, level));
  // Panels: 8 outputs' gate and up rows (fused) or 16 rows of one matrix (unfused, both
  // matrices): 2 n / kFfnPanelRows either way.
  const double panels = 2.0 * n / static_cast<double>(kFfnPanelRows);
  const double chunks = std::ceil(m / static_cast<double>(kFfnChunkRows));
  // Per thread: x read once for the copy (one of those reads is the compulsory one) and the
  // copy written; all panels then read copies.
  const double x_copies = threads * x_bytes;
  const double x_rereads = (panels - 1.0) * x_bytes + x_copies;
  const int x_level = ResidentLevel(2.0 * x_bytes * threads, ctx);
  AddTraffic(&t, StreamTraffic(x_rereads + x_copies, x_level));
  const double panel_bytes = static_cast<double>(kFfnPanelRows) * k * 4.0;
  const int panel_level = ResidentLevel(panel_bytes * threads, ctx);
  const double w_rereads = (chunks - 1.0) * w_bytes;
  AddTraffic(&t, StreamTraffic(w_rereads, panel_level));
  int inter_level = 0;
  if (!fused) {
    inter_level = ResidentLevel(inter, ctx);
    AddTraffic(&t, StreamTraffic(2.0 * inter, inter_level));  // stored, then loaded
  }
  // L1. Tiles: x loaded once per weight tile (2 n / wr of them), weights once per block of 4
  // rows; partial sums loaded and stored once per tile and slice (4 x wr vectors).
  const double row_blocks = std::ceil(m / static_cast<double>(kFfnTileRows));
  const double slices = std::ceil(k / static_cast<double>(kFfnSliceK));
  const double tile_loads = (2.0 * n / wr) * m * k * 4.0 + row_blocks * w_bytes;
  const double partials =
      (2.0 * n / wr) * row_blocks * slices * 2.0 * kFfnTileRows * wr * lanes * 4.0;
  // Sums stored by the reductions and loaded back (2 m n), then fused: copied into the
  // activation's gate/up buffers (2 m n loads and stores counted in those) and h written to a
  // buffer and copied out (3 m n); unfused: G and U stored and loaded (4 m n) and h stored.
  const double act = (fused ? 11.0 : 9.0) * h_bytes;
  t[0] = 2.0 * x_copies + tile_loads + partials + act;
  w.bytes = t;
  char line[384];
  std::snprintf(line, sizeof(line),
                "flops: 4*m*n*k + 3*m*n = %.4g (gate and up products, silu(g)*u: add, divide, "
                "multiply); exp: m*n = %.4g evaluations, not counted as flops",
                w.flops, m * n);
  w.derivation.push_back(line);
  w.derivation.push_back(DescribeStream("x, Wg, Wu, h", w.compulsory_bytes, level) +
                         " once per run");
  std::snprintf(line, sizeof(line),
                "x copied by each of %.0f threads, the copies read by %.0f weight panels: %s; "
                "weight panels re-read by %.0f more chunks of x rows from %s",
                threads, panels,
                DescribeStream("re-reads and copies", x_rereads + x_copies, x_level).c_str(),
                chunks - 1.0, LevelName(panel_level));
  w.derivation.push_back(line);
  if (!fused) {
    w.derivation.push_back(
        DescribeStream("G and U stored and loaded back", 2.0 * inter, inter_level));
  } else {
    w.derivation.push_back("gate and up sums stay in a 1 KiB buffer per chunk: only h is written");
  }
  std::snprintf(line, sizeof(line),
                "L1: x copies %.4g B + tile loads %.4g B + partial sums %.4g B + sums and "
                "activation %.4g B",
                2.0 * x_copies, tile_loads, partials, act);
  w.derivation.push_back(line);
  return w;
}

namespace {

// Largest f32 vector length over the available targets (scratch is sized for it).
int64_t MaxLanes() {
  int64_t lanes = 1;
  for (const int64_t t : AvailableTargets()) {
    lanes = std::max<int64_t>(lanes, TargetVectorBytes(t) / 4);
  }
  return lanes;
}

// Deterministic input in [-1, 1) from an element index (splitmix64), so data do not depend
// on which thread initialises them.
float InputValue(uint64_t index, uint64_t stream) {
  uint64_t z = index + stream * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<double>(z >> 40) * 0x1p-23 - 1.0);
}

// x, Wg, Wu, h (and G, U unfused), plus the panel sets when a target reads them.
uint64_t BufferBytes(const FfnDims& d, bool fused) {
  const double m = static_cast<double>(d.m), n = static_cast<double>(d.n);
  const double k = static_cast<double>(d.k);
  const double panels = GemvAnyTargetReadsPanels(WeightFormat::kF32, d.m)
                            ? static_cast<double>(FfnPanelFloats(d, fused)) * (fused ? 1.0 : 2.0)
                            : 0.0;
  return static_cast<uint64_t>(4.0 * (m * k + 2.0 * n * k + (fused ? 1.0 : 3.0) * m * n + panels));
}

class FfnWorkload : public Workload {
 public:
  FfnWorkload(const FfnDims& dims, bool fused) : dims_(dims), fused_(fused) {}
  std::string name() const override { return fused_ ? "ffn_swiglu_fused" : "ffn_swiglu_unfused"; }
  Shape shape() const override { return {{"m", dims_.m}, {"n", dims_.n}, {"k", dims_.k}}; }
  std::string description() const override {
    return fused_ ? "SwiGLU FFN gate, fused: only h written"
                  : "SwiGLU FFN gate, unfused: G and U through memory";
  }
  WorkModel Model(const ModelContext& ctx) const override {
    return FfnSwigluModel(dims_, fused_, ctx);
  }

  void Setup(int threads) override {
    threads_ = std::max(1, threads);
    const size_t m = static_cast<size_t>(dims_.m), n = static_cast<size_t>(dims_.n);
    const size_t k = static_cast<size_t>(dims_.k);
    CheckFitsInMemory(BufferBytes(dims_, fused_), name() + " buffers");
    scratch_floats_ =
        (FfnScratchFloats(dims_, MaxLanes()) + 1023) / 1024 * 1024;  // own 4 KiB pages
    scratch_ = AllocateAligned(scratch_floats_ * static_cast<size_t>(threads_) * 4);
    scratch_ptrs_.resize(static_cast<size_t>(threads_));
    for (int t = 0; t < threads_; ++t) {
      scratch_ptrs_[static_cast<size_t>(t)] =
          reinterpret_cast<float*>(scratch_.get()) + scratch_floats_ * static_cast<size_t>(t);
    }
    // The panel sets and the GEMV workspace too, when a target here reads panels.
    size_t ws_bytes = 0;
    for (const int64_t t : AvailableTargets()) {
      if (FfnReadsPanels(t)) ws_bytes = std::max(ws_bytes, FfnWorkspaceBytes(dims_, threads_, t));
    }  // nonzero exactly when GemvAnyTargetReadsPanels(kF32, m)
    float* panels_g = nullptr;
    float* panels_u = nullptr;
    if (ws_bytes != 0) {
      const size_t panel_bytes = FfnPanelFloats(dims_, fused_) * 4;
      panels_g_ = AllocateAligned(panel_bytes);
      panels_g = reinterpret_cast<float*>(panels_g_.get());
      if (!fused_) {
        panels_u_ = AllocateAligned(panel_bytes);
        panels_u = reinterpret_cast<float*>(panels_u_.get());
      }
      ws_ = AllocateAligned(ws_bytes);
      std::memset(ws_.get(), 0, ws_bytes);
    }
    x_ = AllocateAligned(m * k * 4);
    wg_ = AllocateAligned(n * k * 4);
    wu_ = AllocateAligned(n * k * 4);
    h_ = AllocateAligned(m * n * 4);
    if (!fused_) {
      g_ = AllocateAligned(m * n * 4);
      u_ = AllocateAligned(m * n * 4);
    }
    float* x = reinterpret_cast<float*>(x_.get());
    float* wg = reinterpret_cast<float*>(wg_.get());
    float* wu = reinterpret_cast<float*>(wu_.get());
    float* h = reinterpret_cast<float*>(h_.get());
    float* g = reinterpret_cast<float*>(g_.get());
    float* u = reinterpret_cast<float*>(u_.get());
    // First touch with the kernel's partition: each thread writes the weight rows and the
    // output columns of its n range. x is read by every thread; thread 0's share holds it.
#pragma omp parallel num_threads(threads_)
    {
      int64_t j0, j1;
      const int tid = omp_get_thread_num();
      StaticRange(dims_.n, omp_get_num_threads(), tid, &j0, &j1);
      for (size_t i = static_cast<size_t>(j0) * k; i < static_cast<size_t>(j1) * k; ++i) {
        wg[i] = InputValue(i, 1);
        wu[i] = InputValue(i, 2);
      }
      for (size_t r = 0; r < m; ++r) {
        for (size_t j = static_cast<size_t>(j0); j < static_cast<size_t>(j1); ++j) {
          h[r * n + j] = 0.0f;
          if (!fused_) g[r * n + j] = u[r * n + j] = 0.0f;
        }
      }
      if (tid == 0) {
        for (size_t i = 0; i < m * k; ++i) x[i] = InputValue(i, 3);
      }
      float* mine = scratch_ptrs_[static_cast<size_t>(tid)];
      for (size_t i = 0; i < scratch_floats_; ++i) mine[i] = 0.0f;
    }
    if (panels_g != nullptr) {
      // Packed by the thread that streams each block (after the barrier: every weight row is
      // written by then).
#pragma omp parallel num_threads(threads_)
      {
        int64_t b0, b1;
        FfnPanelBlocks(dims_, fused_, threads_, omp_get_thread_num(), &b0, &b1);
        PackFfnPanels(dims_, fused_, wg, wu, b0, b1, panels_g, panels_u);
      }
    }
    panels_g_ptr_ = panels_g;
    panels_u_ptr_ = panels_u;
  }

  double Run(int64_t target) override {
    FfnData data;
    data.dims = dims_;
    data.threads = threads_;
    data.fused = fused_;
    data.x = reinterpret_cast<const float*>(x_.get());
    data.wg = reinterpret_cast<const float*>(wg_.get());
    data.wu = reinterpret_cast<const float*>(wu_.get());
    data.h = reinterpret_cast<float*>(h_.get());
    data.g = reinterpret_cast<float*>(g_.get());
    data.u = reinterpret_cast<float*>(u_.get());
    data.scratch = scratch_ptrs_.data();
    data.panels_g = panels_g_ptr_;
    data.panels_u = panels_u_ptr_;
    data.workspace = ws_.get();
    RunFfnSwiglu(target, data);
    double sum = 0;
    for (int64_t i = 0; i < dims_.m * dims_.n; ++i) sum += data.h[i];
    return sum;
  }

  double Verify() override {
    // All outputs when there are few; otherwise 4096 spread over rows and columns (each
    // costs 2 k multiply-adds in double).
    const int64_t outputs = dims_.m * dims_.n;
    const int64_t samples = std::min<int64_t>(outputs, 4096);
    const float* h = reinterpret_cast<const float*>(h_.get());
    double worst = 0;
    for (int64_t s = 0; s < samples; ++s) {
      // Stride coprime-ish to n so samples visit every row and many columns.
      const int64_t idx = samples == outputs ? s : (s * 7919 + s / 7) % outputs;
      const int64_t i = idx / dims_.n, j = idx % dims_.n;
      const FfnReference ref = FfnSwigluReference(dims_, reinterpret_cast<const float*>(x_.get()),
                                                  reinterpret_cast<const float*>(wg_.get()),
                                                  reinterpret_cast<const float*>(wu_.get()), i, j);
      worst = WorseError(worst, std::fabs(h[idx] - ref.value) / ref.tolerance);
    }
    return worst;
  }

 private:
  FfnDims dims_;
  bool fused_;
  int threads_ = 1;
  size_t scratch_floats_ = 0;
  AlignedBuffer x_, wg_, wu_, h_, g_, u_, scratch_, panels_g_, panels_u_, ws_;
  const float* panels_g_ptr_ = nullptr;
  const float* panels_u_ptr_ = nullptr;
  std::vector<float*> scratch_ptrs_;
};

}  // namespace

void RegisterFfnKernels(std::vector<KernelInfo>* out) {
  for (const bool fused : {true, false}) {
    KernelInfo info;
    info.name = fused ? "ffn_swiglu_fused" : "ffn_swiglu_unfused";
    info.summary = fused ? "SwiGLU gate: silu(x Wg^T) * (x Wu^T) in one pass, only h written"
                         : "SwiGLU gate: x Wg^T and x Wu^T to memory, then silu(G) * U";
    info.dims = {"m", "n", "k"};
    info.default_shape = {{"m", 16}, {"n", 11008}, {"k", 4096}};
    // Llama-7B FFN width at decode sizes: the weights (344 MiB) stream from DRAM.
    info.suite = {{{"m", 1}, {"n", 11008}, {"k", 4096}}, {{"m", 16}, {"n", 11008}, {"k", 4096}}};
    info.make = [fused](const Shape& given) -> std::unique_ptr<Workload> {
      FfnDims d;
      d.m = ShapeValue(given, "m", d.m);
      d.n = ShapeValue(given, "n", d.n);
      d.k = ShapeValue(given, "k", d.k);
      CheckFitsInMemory(BufferBytes(d, fused), "SwiGLU buffers");
      return std::make_unique<FfnWorkload>(d, fused);
    };
    out->push_back(info);
  }
}

}  // namespace roofprof
#endif  // HWY_ONCE
