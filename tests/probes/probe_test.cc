// Smoke test: a tiny real probe produces finite, positive, self-consistent numbers.
#include "probes/probe.h"

#include <gtest/gtest.h>

#include <cmath>

#include "probes/bandwidth.h"
#include "probes/clock.h"
#include "probes/latency.h"
#include "probes/peak_flops.h"
#include "src/harness.h"
#include "src/memory.h"
#include "src/targets.h"

namespace roofprof {
namespace {

TEST(Probe, TinyRunIsSelfConsistent) {
  const Topology topo = DetectTopology();
  ProbeOptions opt;
  opt.quick = true;
  opt.threads = std::min(2, topo.usable_threads);
  // Keep the sweep tiny, and not a whole number of pages: a limit taken from available memory
  // is arbitrary, and the arrays carved from it must still fit their buffers.
  opt.max_bytes = (4u << 20) + 12345;
  const Machine m = RunProbe(topo, opt);
  EXPECT_GT(m.cpu.clock_ghz, 0.05);
  EXPECT_LT(m.cpu.clock_ghz, 10.0);
  ASSERT_FALSE(m.compute.empty());
  for (const auto& c : m.compute) {
    EXPECT_TRUE(std::isfinite(c.gflops));
    EXPECT_GT(c.gflops, 0);
    EXPECT_GE(c.gflops, c.median_gflops * (1 - 1e-9));  // best is never below the median
    // flop/cycle is exactly GFLOP/s over the clock measured with that many threads busy.
    EXPECT_NEAR(c.flops_per_cycle * c.threads * ClockFor(m, c.threads), c.gflops, 1e-9 * c.gflops);
    EXPECT_EQ(c.flops_source, "model");
  }
  // The int8 dot-product peak is measured with the fp rows wherever the (quick: first) target
  // has the instruction.
  const bool int8_dot = TargetHasInt8Dot(AvailableTargets()[0]);
  for (const int t : {1, m.cpu.all_threads}) {
    const ComputeCeiling* c = FindCompute(m, "int8", "dot", t);
    EXPECT_EQ(c != nullptr, int8_dot) << t << " thread(s)";
    if (c != nullptr) {
      EXPECT_EQ(c->isa, TargetName(AvailableTargets()[0]));
    }
  }
  ASSERT_FALSE(m.bandwidth.empty());
  for (const auto& b : m.bandwidth) {
    EXPECT_TRUE(std::isfinite(b.gbps));
    EXPECT_GT(b.gbps, 0);
    EXPECT_GE(b.gbps, b.median_gbps * (1 - 1e-9));
    EXPECT_GT(b.bytes, 0u);
    EXPECT_NEAR(b.bytes_per_cycle * b.threads * ClockFor(m, b.threads), b.gbps, 1e-9 * b.gbps);
  }
  ASSERT_FALSE(m.sweep.empty());
  for (size_t i = 1; i < m.sweep.size(); ++i) {
    if (m.sweep[i].kernel == m.sweep[i - 1].kernel &&
        m.sweep[i].threads == m.sweep[i - 1].threads) {
      EXPECT_GT(m.sweep[i].bytes, m.sweep[i - 1].bytes);  // sizes ascend within a curve
      EXPECT_LE(static_cast<double>(m.sweep[i].bytes) / m.sweep[i - 1].bytes, 1.6 + 1e-9);
    }
  }
  ASSERT_FALSE(m.latency.empty());
  for (const auto& l : m.latency) {
    EXPECT_GT(l.ns, 0);
    EXPECT_NEAR(l.cycles, l.ns * m.cpu.clock_ghz, 1e-6 * l.cycles + 1e-9);
  }
  // Every cache level has its ceiling, or a note saying why not (its probe size, taken from the
  // detected cache size, exceeded the limit: on a busy machine the detection may see a level
  // larger than it is). DRAM always has one.
  EXPECT_NE(FindBandwidth(m, "DRAM", "load", 1), nullptr);
  for (const auto& c : m.caches) {
    const std::string level = LevelName(c.level - 1);
    if (FindBandwidth(m, level, "load", 1) != nullptr) continue;
    bool explained = false;
    for (const auto& note : m.notes) {
      explained = explained || note.rfind(level + " ceiling (1 threads) not measured", 0) == 0;
    }
    EXPECT_TRUE(explained) << level << " has neither a ceiling nor a note";
  }
  EXPECT_FALSE(m.write_allocate_counted);
}

TEST(PeakFlops, FlopCountsPerTarget) {
  for (const int64_t t : AvailableTargets()) {
    const double lanes64 = TargetVectorBytes(t) / 8.0;
    const double fma = FlopsPerIteration(t, Precision::kFp64, FlopOp::kFma);
    const double add = FlopsPerIteration(t, Precision::kFp64, FlopOp::kAdd);
    EXPECT_GT(fma, 0) << TargetName(t);
    // An iteration is two trips over the same chains: FMA counts 2 flops, add 1.
    EXPECT_DOUBLE_EQ(fma, 2 * add) << TargetName(t);
    EXPECT_DOUBLE_EQ(std::fmod(add, 2 * lanes64), 0) << TargetName(t);
    // fp32 has twice the lanes of fp64 on every real SIMD target (SCALAR: one lane each).
    const double ratio = FlopsPerIteration(t, Precision::kFp32, FlopOp::kFma) / fma;
    EXPECT_DOUBLE_EQ(ratio, IsEmulatedTarget(t) && lanes64 < 1 ? 1.0 : 2.0) << TargetName(t);
    // Results stay finite however long the chains run.
    for (const FlopOp op : {FlopOp::kFma, FlopOp::kAdd, FlopOp::kFmaAdd}) {
      EXPECT_TRUE(std::isfinite(RunFlopKernel(t, Precision::kFp64, op, 10000))) << TargetName(t);
      EXPECT_TRUE(std::isfinite(RunFlopKernel(t, Precision::kFp32, op, 10000))) << TargetName(t);
    }
  }
}

TEST(PeakFlops, Int8DotProductsComputeWhatTheySay) {
  bool any = false;
  for (const int64_t t : AvailableTargets()) {
    const double ops = Int8OpsPerIteration(t);
    EXPECT_EQ(TargetHasInt8Dot(t), ops > 0) << TargetName(t);
    if (!TargetHasInt8Dot(t)) {
      EXPECT_EQ(ops, 0) << TargetName(t);
      continue;
    }
    any = true;
    // Every chain starts at 1 + 0x1001 (k + 1) (k = 0..chains-1) in each int32 lane and adds 4
    // products 3 x -1 per dot product, two per iteration: the lane sum after n iterations is
    // exact, so it checks the instruction's arithmetic and the operation count together (the
    // chains follow from the count: 2 operations per byte, two dot products per iteration).
    const double bytes = TargetVectorBytes(t);
    const double chains = ops / (2 * 2 * bytes);
    EXPECT_EQ(chains, std::floor(chains)) << TargetName(t);
    EXPECT_GE(chains, 4) << TargetName(t);
    const double lanes32 = bytes / 4;
    const double seeds = chains + 0x1001 * chains * (chains + 1) / 2;
    for (const uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{1000}}) {
      EXPECT_DOUBLE_EQ(RunInt8DotKernel(t, n),
                       lanes32 * seeds - lanes32 * chains * 2 * 12 * static_cast<double>(n))
          << TargetName(t) << ", " << n << " iterations";
    }
  }
  if (!any)
    GTEST_SKIP() << "no compiled target with an int8 dot product runs on this CPU "
                    "(AVX3_DL needs AVX-512 VNNI); checked that the others report none";
}

TEST(Bandwidth, KernelsComputeWhatTheySay) {
  for (const int64_t t : AvailableTargets()) {
    const size_t n = BwGranuleElems(t) * 4;
    std::vector<double> a(n + 64), b(n + 64), c(n + 64);
    // 64-byte alignment as the probe provides.
    auto align = [](std::vector<double>& v) {
      uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
      return reinterpret_cast<double*>((p + 63) / 64 * 64);
    };
    double* pa = align(a);
    double* pb = align(b);
    double* pc = align(c);
    for (size_t i = 0; i < n; ++i) {
      pb[i] = static_cast<double>(i);
      pc[i] = 2.0 * static_cast<double>(i);
    }
    double* triad[3] = {pa, pb, pc};
    RunBandwidthKernel(t, BwKernel::kTriad, triad, n, 1);
    for (size_t i = 0; i < n; ++i) ASSERT_DOUBLE_EQ(pa[i], pb[i] + 0.5 * pc[i]) << TargetName(t);
    double* copy[2] = {pc, pa};
    RunBandwidthKernel(t, BwKernel::kCopy, copy, n, 2);
    for (size_t i = 0; i < n; ++i) ASSERT_DOUBLE_EQ(pa[i], pc[i]) << TargetName(t);
    double* store[1] = {pa};
    RunBandwidthKernel(t, BwKernel::kStore, store, n, 3);
    for (size_t i = 0; i < n; ++i)
      ASSERT_DOUBLE_EQ(pa[i], 3.0) << TargetName(t);  // pass 3 writes 3
    RunBandwidthKernel(t, BwKernel::kStoreNt, store, n, 2);
    for (size_t i = 0; i < n; ++i) ASSERT_DOUBLE_EQ(pa[i], 2.0) << TargetName(t);
    EXPECT_TRUE(std::isfinite(RunBandwidthKernel(t, BwKernel::kLoad, store, n, 5)));
  }
}

TEST(Latency, ChaseIsOneCycleThroughEveryLine) {
  AlignedBuffer buf = AllocateAligned(1 << 16);
  const size_t lines = BuildChase(buf.get(), 1 << 16, 42);
  ASSERT_EQ(lines, (1u << 16) / kChaseStride);
  // Following `lines` steps returns to the start, and no earlier step does.
  const void* start = buf.get();
  const void* p = start;
  for (size_t i = 1; i <= lines; ++i) {
    p = *static_cast<const void* const*>(p);
    if (i < lines) {
      ASSERT_NE(p, start) << "cycle shorter than all lines at step " << i;
    }
  }
  EXPECT_EQ(p, start);
  EXPECT_EQ(Chase(start, lines), reinterpret_cast<uintptr_t>(start));
}

TEST(Clock, AddChainIsExact) {
  EXPECT_EQ(DependentAddChain(0), 0u);
  EXPECT_EQ(DependentAddChain(kAddChainUnroll * 10), 2 * kAddChainUnroll * 10);
}

}  // namespace
}  // namespace roofprof
