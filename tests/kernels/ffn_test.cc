// SwiGLU kernels: fused and unfused against the double reference on every target and around
// every tile edge, the activation at extreme inputs, compulsory bytes against an instrumented
// count, and the work model's fusion lesson (G and U traffic only when unfused).
#include "kernels/ffn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "kernels/touch_counter.h"
#include "kernels/workload.h"
#include "src/targets.h"
#include "tests/test_util.h"

namespace roofprof {
namespace {

using testing_util::Targets;

float Value(uint64_t i, uint64_t salt) {
  uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull ^ salt * 0xD1B54A32D192ED03ull;
  z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
  z ^= z >> 29;
  return static_cast<float>(static_cast<double>(z >> 40) * 0x1p-23 - 1.0);
}

struct FfnBuffers {
  // With `panels`, the weights are also packed into the panel sets that FfnReadsPanels targets
  // read (others ignore them).
  FfnBuffers(const FfnDims& d, int threads, bool fused, size_t misalign, float x_scale = 1.0f,
             bool panels = false)
      : dims(d) {
    const size_t m = static_cast<size_t>(d.m), n = static_cast<size_t>(d.n);
    const size_t k = static_cast<size_t>(d.k);
    x.assign(m * k + misalign, 0.0f);
    wg.assign(n * k + misalign, 0.0f);
    wu.assign(n * k + misalign, 0.0f);
    h.assign(m * n + misalign, 0.0f);
    g.assign(m * n + misalign, 0.0f);
    u.assign(m * n + misalign, 0.0f);
    for (size_t i = 0; i < m * k; ++i) x[misalign + i] = x_scale * Value(i, 1);
    for (size_t i = 0; i < n * k; ++i) {
      wg[misalign + i] = Value(i, 2);
      wu[misalign + i] = Value(i, 3);
    }
    // Partial sums are vector-aligned: one aligned block per thread.
    int64_t lanes = 1;
    for (const int64_t t : Targets()) lanes = std::max<int64_t>(lanes, TargetVectorBytes(t) / 4);
    const size_t per_thread = FfnScratchFloats(d, lanes);
    scratch = hwy::AllocateAligned<float>(per_thread * static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) scratch_ptrs.push_back(scratch.get() + per_thread * t);
    data.dims = d;
    data.threads = threads;
    data.fused = fused;
    data.scratch = scratch_ptrs.data();
    data.x = x.data() + misalign;
    data.wg = wg.data() + misalign;
    data.wu = wu.data() + misalign;
    data.h = h.data() + misalign;
    data.g = g.data() + misalign;
    data.u = u.data() + misalign;
    if (panels) {
      const size_t floats = FfnPanelFloats(d, fused);
      panels_g = hwy::AllocateAligned<float>(floats);
      panels_u = hwy::AllocateAligned<float>(fused ? 1 : floats);
      // All blocks, in per-thread pieces as the workload packs them.
      for (int t = 0; t < threads; ++t) {
        int64_t b0, b1;
        FfnPanelBlocks(d, fused, threads, t, &b0, &b1);
        PackFfnPanels(d, fused, data.wg, data.wu, b0, b1, panels_g.get(), panels_u.get());
      }
      size_t ws = 64;
      for (const int64_t t : Targets()) ws = std::max(ws, FfnWorkspaceBytes(d, threads, t));
      workspace = hwy::AllocateAligned<float>(ws / sizeof(float) + 1);
      data.panels_g = panels_g.get();
      data.panels_u = fused ? nullptr : panels_u.get();
      data.workspace = workspace.get();
    }
  }

  double WorstError() const {
    double worst = 0;
    for (int64_t i = 0; i < dims.m; ++i) {
      for (int64_t j = 0; j < dims.n; ++j) {
        const FfnReference ref = FfnSwigluReference(dims, data.x, data.wg, data.wu, i, j);
        const double got = data.h[i * dims.n + j];
        EXPECT_TRUE(std::isfinite(got));
        worst = WorseError(worst, std::fabs(got - ref.value) / ref.tolerance);
      }
    }
    return worst;
  }

  FfnDims dims;
  std::vector<float> x, wg, wu, h, g, u;
  hwy::AlignedFreeUniquePtr<float[]> scratch, panels_g, panels_u, workspace;
  std::vector<float*> scratch_ptrs;
  FfnData data;
};

FfnDims Ffn(int64_t m, int64_t n, int64_t k) {
  FfnDims d;
  d.m = m;
  d.n = n;
  d.k = k;
  return d;
}

TEST(FfnSwiglu, FusedAndUnfusedMatchReferenceOnEveryTarget) {
  for (const int64_t target : Targets()) {
    const int64_t L = std::max(1, TargetVectorBytes(target) / 4);
    // m: 1, 3, 4 (one row tile), 5, 17 (past a 16-row chunk); n: 1, 3, 5 (past a 4-row
    // tile), 17 and 37 (past 8-output fused and 16-row unfused panels, odd per-thread
    // ranges); k: 1, 3, L, L + 1, odd, past one and several 128-element slices.
    // On panels: m 1-8 (one token group), 9 and 17 (groups of 5 and 6), 70 (9 groups of 8,
    // k chunks); n 1 (a block of one output), 7, 9 and 17 around the 8 outputs of a fused
    // block and the 16 rows of an unfused one, 37 past three blocks per tile, 130 past a
    // per-thread split; k past a 1024-weight chunk.
    std::vector<FfnDims> shapes = {
        Ffn(1, 1, 1),    Ffn(3, 3, 3),    Ffn(4, 5, L),       Ffn(5, 17, L + 1),
        Ffn(17, 37, 67), Ffn(2, 33, 257), Ffn(16, 20, 2 * L), Ffn(1, 64, 513),
    };
    const bool panels = FfnReadsPanels(target);
    if (panels) {
      for (const FfnDims& d : {Ffn(8, 7, 5), Ffn(9, 9, 33), Ffn(70, 17, 1100), Ffn(2, 130, 64)}) {
        shapes.push_back(d);
      }
    }
    for (const FfnDims& d : shapes) {
      for (const bool fused : {true, false}) {
        for (const int threads : {1, 2, 3}) {
          for (const bool with_panels : {false, panels}) {
            FfnBuffers buf(d, threads, fused, 1, 1.0f, with_panels);
            RunFfnSwiglu(target, buf.data);
            EXPECT_LE(buf.WorstError(), 1.0)
                << TargetName(target) << (fused ? " fused" : " unfused")
                << (with_panels ? " panels" : "") << " m" << d.m << " n" << d.n << " k" << d.k
                << " t" << threads;
            if (!panels) break;
          }
        }
      }
    }
  }
}

// Fused panel block b holds the gate rows of outputs 8b..8b+7, then their up rows; rows past n
// are zero; unfused panels are the GEMV's.
TEST(FfnSwiglu, FusedPanelsPairGateAndUpRows) {
  const FfnDims d = Ffn(1, 11, 3);
  FfnBuffers buf(d, 2, true, 0, 1.0f, true);
  ASSERT_EQ(FfnPanelFloats(d, true), static_cast<size_t>(32 * 3));
  const float* p = buf.panels_g.get();
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t i = 0; i < 16; ++i) {
      const int64_t out = 8 * b + i % 8;
      for (int64_t j = 0; j < 3; ++j) {
        const float want = out >= d.n ? 0.0f : (i < 8 ? buf.data.wg : buf.data.wu)[out * 3 + j];
        EXPECT_EQ(p[(b * 3 + j) * 16 + i], want) << "block " << b << " row " << i << " k " << j;
      }
    }
  }
}

TEST(FfnSwiglu, ActivationAtExtremeInputs) {
  // x scaled so gate sums reach about +-300: exp(-g) would overflow without the clamp, and
  // silu(g) must go to g for large g and to 0 for very negative g.
  const FfnDims d = Ffn(3, 40, 4096);
  for (const int64_t target : Targets()) {
    for (const bool fused : {true, false}) {
      for (const bool panels : {false, true}) {
        FfnBuffers buf(d, 2, fused, 0, 8.0f, panels);
        RunFfnSwiglu(target, buf.data);
        EXPECT_LE(buf.WorstError(), 1.0)
            << TargetName(target) << (fused ? " fused" : " unfused") << (panels ? " panels" : "");
      }
    }
  }
}

TEST(FfnSwiglu, DetectsAWrongOutput) {
  const FfnDims d = Ffn(2, 9, 33);
  FfnBuffers buf(d, 1, true, 0);
  RunFfnSwiglu(BestTarget(), buf.data);
  ASSERT_LE(buf.WorstError(), 1.0);
  const FfnReference ref = FfnSwigluReference(d, buf.data.x, buf.data.wg, buf.data.wu, 1, 4);
  buf.data.h[1 * 9 + 4] += static_cast<float>(3.0 * ref.tolerance);
  EXPECT_GT(buf.WorstError(), 1.0);
}

TEST(FfnSwiglu, CompulsoryBytesMatchInstrumentedReference) {
  const FfnDims d = Ffn(3, 7, 11);
  FfnBuffers buf(d, 1, true, 0);
  TouchCounter counter;
  for (int64_t i = 0; i < d.m; ++i) {
    for (int64_t j = 0; j < d.n; ++j) {
      FfnSwigluReference(d, buf.data.x, buf.data.wg, buf.data.wu, i, j, buf.data.h, &counter);
    }
  }
  ModelContext ctx;
  ctx.caches = {{1, 48 * 1024, 1, "test", 0}};
  for (const bool fused : {true, false}) {
    EXPECT_EQ(static_cast<double>(counter.unique_bytes()),
              FfnSwigluModel(d, fused, ctx).compulsory_bytes);
  }
}

TEST(FfnSwigluModel, UnfusedMovesGateAndUpThroughMemory) {
  ModelContext ctx;
  ctx.threads = 2;
  ctx.caches = {{1, 48 * 1024, 1, "test", 0},
                {2, 1024 * 1024, 1, "test", 0},
                {3, 32 * 1024 * 1024, 2, "test", 0}};
  const FfnDims d = Ffn(16, 11008, 4096);
  const WorkModel fused = FfnSwigluModel(d, true, ctx);
  const WorkModel unfused = FfnSwigluModel(d, false, ctx);
  EXPECT_EQ(fused.flops, unfused.flops);
  EXPECT_DOUBLE_EQ(fused.flops, 4.0 * 16 * 11008 * 4096 + 3.0 * 16 * 11008);
  // Weights (344 MiB) stream from DRAM in both.
  const auto dram = static_cast<size_t>(Level::kDram);
  EXPECT_GE(fused.bytes[dram], 2.0 * 11008 * 4096 * 4);
  // G and U (16 x 11008 x 4 B each) are stored and loaded back: 4 x 688 KiB more, held at
  // L2 (each thread's half fits its 1 MiB L2).
  const auto l2 = static_cast<size_t>(Level::kL2);
  const double gu = 4.0 * 16 * 11008 * 4;
  EXPECT_GE(unfused.bytes[l2] - fused.bytes[l2], gu * 0.999);
}

// The default `roofprof kernels` run compares the pair at one Llama-sized shape: hidden 4096
// (k) and FFN width 11008 or 14336 (n).
TEST(FfnWorkloads, SuiteRunsThePairAtALlamaShape) {
  const KernelInfo* fused = FindKernel("ffn_swiglu_fused");
  const KernelInfo* unfused = FindKernel("ffn_swiglu_unfused");
  ASSERT_NE(fused, nullptr);
  ASSERT_NE(unfused, nullptr);
  EXPECT_EQ(fused->suite, unfused->suite);
  bool llama = false;
  for (const Shape& s : fused->suite) {
    const int64_t n = ShapeValue(s, "n", 0);
    llama |= ShapeValue(s, "k", 0) == 4096 && (n == 11008 || n == 14336);
  }
  EXPECT_TRUE(llama);
}

TEST(FfnWorkloads, RunAndVerifyThroughTheRegistry) {
  for (const std::string name : {"ffn_swiglu_fused", "ffn_swiglu_unfused"}) {
    const KernelInfo* info = FindKernel(name);
    ASSERT_NE(info, nullptr) << name;
    auto w = info->make(CompleteShape(*info, {{"m", 5}, {"n", 130}, {"k", 300}}));
    w->Setup(2);
    for (const int64_t target : Targets()) {
      EXPECT_TRUE(std::isfinite(w->Run(target)));
      EXPECT_LE(w->Verify(), 1.0) << name << " " << TargetName(target);
    }
  }
}

}  // namespace
}  // namespace roofprof
