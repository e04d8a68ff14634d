// Classification on hand-computed cases: each resource binding once, ties, zero bytes, unknown
// ceilings, and ceiling selection from a machine model.
#include "src/roofline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>

#include "kernels/workload.h"
#include "src/kernel_runner.h"
#include "src/results.h"
#include "src/topology.h"

namespace roofprof {
namespace {

// Round numbers: 100 GFLOP/s; L1 400, L2 200, L3 100, DRAM 25 GB/s.
Ceilings Simple() {
  Ceilings c;
  c.compute_gflops = 100;
  c.gbps = {400, 200, 100, 25};
  return c;
}

TEST(Classify, ComputeBound) {
  // 1e9 flops -> 10 ms; bytes: 1e8 per level -> 0.25, 0.5, 1, 4 ms.
  const auto r = Classify(1e9, 0.02, {1e8, 1e8, 1e8, 1e8}, Simple());
  EXPECT_EQ(r.bound, "compute");
  EXPECT_EQ(r.binding, 0);
  EXPECT_DOUBLE_EQ(r.bound_seconds[0], 0.01);
  EXPECT_DOUBLE_EQ(r.bound_seconds[4], 0.004);
  EXPECT_DOUBLE_EQ(r.attainable_gflops, 100);
  EXPECT_DOUBLE_EQ(r.efficiency, 0.5);
  EXPECT_DOUBLE_EQ(r.ai[3], 10);
  EXPECT_DOUBLE_EQ(r.carm_ai, 10);
}

TEST(Classify, EachLevelBindsOnce) {
  // Tiny flops; make level l the slowest by giving it the most bytes relative to bandwidth.
  const double flops = 1e6;  // 10 us
  const std::array<std::array<double, 4>, 4> bytes = {{
      {4e9, 1e6, 1e6, 1e6},  // L1: 10 ms
      {1e6, 4e9, 1e6, 1e6},  // L2: 20 ms
      {1e6, 1e6, 4e9, 1e6},  // L3: 40 ms
      {1e6, 1e6, 1e6, 4e9},  // DRAM: 160 ms
  }};
  const double expect_s[4] = {0.01, 0.02, 0.04, 0.16};
  for (int l = 0; l < 4; ++l) {
    const auto r = Classify(flops, 1.0, bytes[static_cast<size_t>(l)], Simple());
    EXPECT_EQ(r.bound, LevelName(l));
    EXPECT_EQ(r.binding, l + 1);
    EXPECT_DOUBLE_EQ(r.efficiency, expect_s[l]);
    EXPECT_DOUBLE_EQ(r.attainable_gflops, flops / expect_s[l] / 1e9);
  }
}

TEST(Classify, TiesGoToTheResourceNearerTheCore) {
  // compute 10 ms == DRAM 10 ms (2.5e8 bytes at 25 GB/s): compute is named.
  auto r = Classify(1e9, 0.01, {0, 0, 0, 2.5e8}, Simple());
  EXPECT_EQ(r.bound, "compute");
  EXPECT_DOUBLE_EQ(r.efficiency, 1.0);
  // L2 == DRAM (both 10 ms): L2 is named.
  r = Classify(1e3, 0.02, {0, 2e9, 0, 2.5e8}, Simple());
  EXPECT_EQ(r.bound, "L2");
}

TEST(Classify, ZeroBytesAtALevel) {
  // Data resident in L1: no L2/L3/DRAM traffic; AI there is infinite, not a division by zero.
  const auto r = Classify(1e9, 0.02, {1e9, 0, 0, 0}, Simple());
  EXPECT_EQ(r.bound, "compute");
  EXPECT_EQ(r.bound_seconds[4], 0);
  EXPECT_TRUE(std::isinf(r.ai[3]));
  EXPECT_DOUBLE_EQ(r.ai[0], 1.0);
}

TEST(Classify, NoFlopsIsMemoryBound) {
  const auto r = Classify(0, 0.1, {1e9, 1e9, 1e9, 1e9}, Simple());
  EXPECT_EQ(r.bound, "DRAM");
  EXPECT_DOUBLE_EQ(r.attainable_gflops, 0);
  EXPECT_DOUBLE_EQ(r.ai[3], 0);
}

TEST(Classify, UnknownCeilingsAreNotGuessed) {
  Ceilings c = Simple();
  c.gbps[3] = 0;  // DRAM never measured
  const auto r = Classify(1e6, 1.0, {0, 0, 0, 4e9}, c);
  EXPECT_TRUE(std::isnan(r.bound_seconds[4]));
  EXPECT_EQ(r.bound, "compute");  // the only bound it can state
  const auto none = Classify(1e6, 1.0, {0, 0, 0, 0}, Ceilings{});
  EXPECT_EQ(none.bound, "unknown");
  EXPECT_TRUE(std::isnan(none.efficiency));
}

Machine TwoThreadMachine() {
  Machine m;
  m.cpu.clock_ghz = 3;
  for (const int t : {1, 2}) {
    m.compute.push_back({"fp32", "AVX3", "fma", t, 200.0 * t, 0, 0, 210.0 * t, "model"});
    m.compute.push_back({"fp32", "AVX2", "fma", t, 100.0 * t, 0, 0, 0, "model"});
    m.compute.push_back({"fp64", "AVX3", "fma", t, 100.0 * t, 0, 0, 0, "model"});
    for (int l = 0; l < 4; ++l) {
      // Private levels scale with threads; DRAM gains 1.5x from a second thread.
      const double load = l == 3 ? (t == 1 ? 30 : 45) : 400.0 / (l + 1) * t;
      m.bandwidth.push_back({LevelName(l), "load", t, load, 0, 1, 0, "AVX3"});
      m.bandwidth.push_back({LevelName(l), "copy", t, 0.9 * load, 0, 1, 0, "AVX3"});
    }
  }
  return m;
}

TEST(NearestThreads, NearestThenLarger) {
  EXPECT_EQ(NearestThreads({}, 4), -1);
  EXPECT_EQ(NearestThreads({1, 2, 16}, 2), 2);
  EXPECT_EQ(NearestThreads({1, 16}, 6), 1);
  EXPECT_EQ(NearestThreads({1, 16}, 12), 16);
  EXPECT_EQ(NearestThreads({2, 4}, 3), 4);  // a tie goes to the larger count
}

TEST(SelectCeilings, MatchesPrecisionThreadsAndIsa) {
  const Machine m = TwoThreadMachine();
  Ceilings c = SelectCeilings(m, "fp32", 2);
  EXPECT_DOUBLE_EQ(c.compute_gflops, 400);
  EXPECT_DOUBLE_EQ(c.theoretical_gflops, 420);
  EXPECT_DOUBLE_EQ(c.gbps[0], 800);  // best of load/copy at L1 with 2 threads
  EXPECT_DOUBLE_EQ(c.gbps[3], 45);
  c = SelectCeilings(m, "fp32", 1, "AVX2");
  EXPECT_DOUBLE_EQ(c.compute_gflops, 100);
  c = SelectCeilings(m, "fp64", 1);
  EXPECT_DOUBLE_EQ(c.compute_gflops, 100);
  // Narrow weight formats compute in fp32.
  EXPECT_DOUBLE_EQ(SelectCeilings(m, "bf16", 2).compute_gflops, 400);
  EXPECT_DOUBLE_EQ(SelectCeilings(m, "q4_0", 1).compute_gflops, 200);
}

TEST(SelectCeilings, Int8DotProductsUseTheirOwnPeakWhenMeasured) {
  Machine m = TwoThreadMachine();
  // Without an int8 row (no dot-product instruction, or an older machine.json): fp32's roof.
  EXPECT_DOUBLE_EQ(SelectCeilings(m, "int8", 2, "AVX3_DL").compute_gflops, 400);
  for (const int t : {1, 2}) {
    m.compute.push_back({"int8", "AVX3_DL", "dot", t, 900.0 * t, 0, 0, std::nan(""), "model"});
  }
  Ceilings c = SelectCeilings(m, "int8", 2, "AVX3_DL");
  EXPECT_DOUBLE_EQ(c.compute_gflops, 1800);
  EXPECT_TRUE(std::isnan(c.theoretical_gflops));
  EXPECT_EQ(c.compute_label, "int8 dot AVX3_DL, 2 threads");
  // The int8 row is found from any ISA, and it never stands in for the other precisions.
  EXPECT_DOUBLE_EQ(SelectCeilings(m, "int8", 1, "AVX3").compute_gflops, 900);
  EXPECT_DOUBLE_EQ(SelectCeilings(m, "q4_0", 2).compute_gflops, 400);
  EXPECT_DOUBLE_EQ(SelectCeilings(m, "fp32", 2, "AVX3_DL").compute_gflops, 400);
  // Bandwidth ceilings do not depend on the precision.
  EXPECT_DOUBLE_EQ(c.gbps[3], 45);
}

TEST(FindPeak, BestSingleKindOpOnly) {
  Machine m;
  m.compute.push_back({"fp32", "SSE4", "mul+add", 1, 60, 0, 0, 0, "model"});
  m.compute.push_back({"fp32", "SSE4", "add", 1, 90, 0, 0, 0, "model"});
  m.compute.push_back({"fp32", "SSE4", "fma+add", 1, 95, 0, 0, 0, "model"});
  m.compute.push_back({"fp32", "AVX2", "fma", 1, 80, 0, 0, 0, "model"});
  // Mixes and adds are not a roof: the best of fma, mul+add and dot is.
  ASSERT_NE(FindPeak(m, "fp32", 1), nullptr);
  EXPECT_EQ(FindPeak(m, "fp32", 1)->isa, "AVX2");
  EXPECT_EQ(FindPeak(m, "fp32", 1, "SSE4")->op, "mul+add");
  EXPECT_EQ(FindPeak(m, "fp32", 2), nullptr);
  EXPECT_EQ(FindPeak(m, "fp64", 1), nullptr);
}

TEST(SelectCeilings, ScalesUnprobedThreadCounts) {
  const Machine m = TwoThreadMachine();
  const Ceilings c = SelectCeilings(m, "fp32", 4);
  EXPECT_DOUBLE_EQ(c.compute_gflops, 800);  // scaled from 2 threads
  EXPECT_NE(c.compute_label.find("scaled"), std::string::npos);
  EXPECT_DOUBLE_EQ(c.gbps[0], 1600);  // private L1 scales
  EXPECT_DOUBLE_EQ(c.gbps[3], 45);    // DRAM does not scale up
}

// TwoThreadMachine plus a 2-thread load sweep that falls from L2 through a cache larger than
// any detected level towards a 45 GB/s DRAM ceiling measured at 256 MiB.
Machine SweptMachine() {
  Machine m = TwoThreadMachine();
  constexpr uint64_t kMiB = 1 << 20;
  for (auto& b : m.bandwidth) {
    if (b.level == "DRAM") b.bytes = 256 * kMiB;
  }
  const std::pair<uint64_t, double> points[] = {
      {1 * kMiB, 400}, {16 * kMiB, 180}, {64 * kMiB, 90}, {128 * kMiB, 60}};
  for (const auto& [bytes, gbps] : points) m.sweep.push_back({"load", 2, bytes, gbps, gbps});
  m.sweep.push_back({"load", 1, 64 * kMiB, 30, 30});  // another thread count: not used for 2
  return m;
}

TEST(DramShare, DramCeilingOverTheSweptRate) {
  const Machine m = SweptMachine();
  const double mib = 1 << 20;
  std::string why;
  EXPECT_DOUBLE_EQ(DramShare(m, 2, 64 * mib, &why), 0.5);  // 45 / 90
  EXPECT_NE(why.find("50%"), std::string::npos) << why;
  EXPECT_NE(why.find("64 MiB"), std::string::npos) << why;
  EXPECT_DOUBLE_EQ(DramShare(m, 2, 1 * mib, nullptr), 45.0 / 400);
  // Log-linear between sweep points: halfway in log size between 64 and 128 MiB reads 75.
  EXPECT_NEAR(DramShare(m, 2, std::sqrt(64.0 * 128.0) * mib, nullptr), 45.0 / 75, 1e-12);
  // Past the sweep, towards the DRAM ceiling's own point (256 MiB, 45 GB/s).
  const double f = std::log(200.0 / 128.0) / std::log(2.0);
  EXPECT_NEAR(DramShare(m, 2, 200 * mib, nullptr), 45.0 / (60 - f * 15), 1e-12);
  EXPECT_DOUBLE_EQ(DramShare(m, 2, 256 * mib, nullptr), 1.0);
  EXPECT_DOUBLE_EQ(DramShare(m, 2, 1024 * mib, nullptr), 1.0);
  // An unprobed thread count uses the nearest probed one.
  EXPECT_DOUBLE_EQ(DramShare(m, 3, 64 * mib, nullptr), 0.5);
}

TEST(DramShare, NeverAboveOneNorGuessed) {
  Machine m = SweptMachine();
  const double mib = 1 << 20;
  // A noisy sweep point below the DRAM ceiling: the share stays 1, and nothing is said.
  m.sweep.push_back({"load", 2, 100 * (1 << 20), 40, 40});
  std::string why;
  EXPECT_DOUBLE_EQ(DramShare(m, 2, 100 * mib, &why), 1.0);
  EXPECT_TRUE(why.empty());
  // Without a sweep or a DRAM ceiling there is nothing to go on.
  Machine no_sweep = TwoThreadMachine();
  EXPECT_DOUBLE_EQ(DramShare(no_sweep, 2, 64 * mib, nullptr), 1.0);
  Machine no_dram = SweptMachine();
  no_dram.bandwidth.clear();
  EXPECT_DOUBLE_EQ(DramShare(no_dram, 2, 64 * mib, nullptr), 1.0);
  EXPECT_DOUBLE_EQ(DramShare(SweptMachine(), 2, 0, nullptr), 1.0);
}

TEST(DramShare, ScalesOnlyTheModelsDramBytes) {
  const Machine m = SweptMachine();
  const double mib = 1 << 20;
  WorkModel wm;
  wm.bytes = {4 * 64 * mib, 64 * mib, 64 * mib, 64 * mib};
  wm.compulsory_bytes = 64 * mib;
  ApplyDramShare(m, 2, &wm);
  EXPECT_DOUBLE_EQ(wm.bytes[3], 32 * mib);
  EXPECT_DOUBLE_EQ(wm.bytes[2], 64 * mib);
  EXPECT_DOUBLE_EQ(wm.bytes[0], 4 * 64 * mib);
  ASSERT_EQ(wm.derivation.size(), 1u);
  EXPECT_EQ(wm.derivation[0].rfind("DRAM: 50%", 0), 0u) << wm.derivation[0];
  // No DRAM bytes, or a working set past the DRAM ceiling's: nothing changes, nothing is said.
  WorkModel cached;
  cached.bytes = {1e6, 1e6, 0, 0};
  cached.compulsory_bytes = 64 * mib;
  ApplyDramShare(m, 2, &cached);
  EXPECT_EQ(cached.bytes[3], 0);
  EXPECT_TRUE(cached.derivation.empty());
  WorkModel big;
  big.bytes = {0, 0, 0, 512 * mib};
  big.compulsory_bytes = 512 * mib;
  ApplyDramShare(m, 2, &big);
  EXPECT_DOUBLE_EQ(big.bytes[3], 512 * mib);
  EXPECT_TRUE(big.derivation.empty());
}

// RunKernels notes results past their roof with the caller's advice: `roofprof run` gives
// other advice on its second pass (it has re-measured once already) than `roofprof kernels`.
TEST(OverRoof, RunKernelsNotesThemWithTheCallersAdvice) {
  Machine m;  // ceilings far below what any core reaches: every result passes its roof
  m.caches = {{1, 32 * 1024, 1, "data", 0}, {2, 1 << 20, 1, "unified", 0}};
  for (const char* p : {"fp32", "int8"}) {
    ComputeCeiling c;
    c.precision = p;
    c.op = "fma";
    c.threads = 1;
    c.gflops = 1e-3;
    m.compute.push_back(c);
  }
  for (const char* level : {"L1", "L2", "L3", "DRAM"}) {
    BandwidthCeiling b;
    b.level = level;
    b.kernel = "load";
    b.gbps = 1e-3;
    b.bytes = 1 << 16;
    m.bandwidth.push_back(b);
  }
  KernelRunOptions o;
  o.jobs = {MakeJob("gemv_f32", {{"m", 1}, {"n", 32}, {"k", 64}})};
  o.threads = 1;
  o.quick = true;
  o.over_roof_advice = "the caller's advice";
  KernelsFile f;
  RunKernels(m, DetectTopology(), o, &f);
  ASSERT_EQ(f.results.size(), 1u);
  EXPECT_GT(f.results[0].efficiency, kMaxPlausibleEfficiency);
  bool noted = false;
  for (const std::string& n : f.notes) {
    noted |= n.find("ran faster than its roof") != std::string::npos &&
             n.find("the caller's advice") != std::string::npos;
  }
  EXPECT_TRUE(noted);
}

TEST(OverRoof, FindsAndNamesResultsPastTheirRoof) {
  KernelsFile f;
  for (const double e : {0.5, 1.1, 1.9, 1.3}) {
    KernelResult r;
    r.name = "gemv_f32";
    r.shape = {{"m", 1}, {"n", static_cast<int64_t>(e * 1000)}};
    r.bound = e > 1.5 ? "DRAM" : "L3";
    r.efficiency = e;
    f.results.push_back(r);
  }
  const auto over = ResultsOverRoof(f);
  ASSERT_EQ(over.size(), 2u);  // 1.1 itself is plausible
  EXPECT_DOUBLE_EQ(over[0]->efficiency, 1.9);
  EXPECT_DOUBLE_EQ(over[1]->efficiency, 1.3);
  const std::string note = OverRoofNote(over, "probe again");
  EXPECT_EQ(note.rfind("2 results ran faster than their roof (worst: gemv_f32 m=1,n=1900 at "
                       "190% of its DRAM roof)",
                       0),
            0u)
      << note;
  EXPECT_NE(note.find("probe again"), std::string::npos);
  EXPECT_TRUE(OverRoofNote({}, "probe again").empty());
  f.results.clear();
  EXPECT_TRUE(ResultsOverRoof(f).empty());
}

}  // namespace
}  // namespace roofprof
