// Roofline, staircase and latency charts: what is drawn, where, and that the SVG is sound.
#include "src/report/charts.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "src/roofline.h"
#include "tests/src/report/fixtures.h"
#include "tests/src/report/report_test_util.h"

namespace roofprof {
namespace report {
namespace {

using testing_report::ParseSvg;
using testing_report::SampleKernels;
using testing_report::SmallMachine;
using testing_report::XmlNode;

Machine SampleMachine() {
  return LoadMachine(testing_report::TestDataDir() + "/report/sample-machine.json");
}

// The checks every chart must pass.
void ExpectSoundSvg(const std::string& svg, bool expect_data) {
  const XmlNode root = ParseSvg(svg);
  EXPECT_EQ(root.name, "svg");
  testing_report::ExpectFiniteNumbers(root);
  const int checked = testing_report::ExpectDataInsidePlot(root);
  if (expect_data) {
    EXPECT_GT(checked, 0);
  }
  testing_report::ExpectLabelsApartAndInside(root, "labels");
  EXPECT_EQ(svg.find("href"), std::string::npos);
  EXPECT_EQ(svg.find("url("), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
}

std::vector<std::string> Texts(const XmlNode& root) {
  std::vector<std::string> out;
  root.Walk([&](const XmlNode& n) {
    if (n.name == "text") out.push_back(n.text);
  });
  return out;
}

bool HasText(const std::vector<std::string>& texts, const std::string& s) {
  for (const auto& t : texts) {
    if (t.find(s) != std::string::npos) return true;
  }
  return false;
}

TEST(RooflineData, ThreadCountsFromResultsLargestFirst) {
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  EXPECT_EQ(RooflineThreadCounts(m, &k), (std::vector<int>{2, 1}));
  EXPECT_EQ(RooflineThreadCounts(m, nullptr), (std::vector<int>{2}));
  EXPECT_EQ(RooflineThreadCounts(Machine{}, nullptr), (std::vector<int>{1}));
}

TEST(RooflineData, CeilingsAreTheClassificationsAndTheoreticalNeverTheRoof) {
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  const RooflineData d = BuildRoofline(m, &k, 2);
  const Ceilings sel = SelectCeilings(m, "fp32", 2);
  ASSERT_FALSE(d.compute.empty());
  EXPECT_TRUE(d.compute[0].roof);
  EXPECT_EQ(d.compute[0].style, CeilingStyle::kMeasured);
  EXPECT_DOUBLE_EQ(d.compute[0].gflops, sel.compute_gflops);
  EXPECT_EQ(d.precision, "fp32");
  int roofs = 0, theoretical = 0, one = 0;
  for (const auto& c : d.compute) {
    roofs += c.roof;
    if (c.style == CeilingStyle::kTheoretical) {
      ++theoretical;
      EXPECT_FALSE(c.roof);
      EXPECT_DOUBLE_EQ(c.gflops, 64 * 3.0 * 2);  // the fixture's spec arithmetic, 2 threads
    }
    if (c.style == CeilingStyle::kOneThread) {
      ++one;
      EXPECT_DOUBLE_EQ(c.gflops, 200);
    }
  }
  EXPECT_EQ(roofs, 1);
  EXPECT_EQ(theoretical, 1);
  EXPECT_EQ(one, 1);
  ASSERT_EQ(d.bandwidth.size(), 4u);
  for (const auto& b : d.bandwidth) {
    EXPECT_DOUBLE_EQ(b.gbps, sel.gbps[static_cast<size_t>(b.level)]);
    EXPECT_DOUBLE_EQ(b.ridge_ai, sel.compute_gflops / b.gbps);
  }
  // Both ISAs of fp32 are drawn, best first.
  EXPECT_EQ(d.compute[0].isa, "AVX3");
  bool avx2 = false;
  for (const auto& c : d.compute) avx2 |= c.isa == "AVX2" && c.style == CeilingStyle::kMeasured;
  EXPECT_TRUE(avx2);
}

TEST(RooflineData, PointsPerLevelAndOtherThreadCountsLeftOut) {
  const Machine m = SmallMachine();
  KernelsFile k = SampleKernels(m);
  const RooflineData d = BuildRoofline(m, &k, 2);
  ASSERT_EQ(d.kernels.size(), 4u);  // the 1-thread result has its own chart
  EXPECT_EQ(d.kernels[0].number, 1);
  EXPECT_NEAR(d.kernels[0].ai[3], 0.5, 1e-12);  // gemv f32: 2 flops per 4-byte weight
  // attn_decode moves no DRAM bytes: its DRAM intensity is infinite and not drawn.
  EXPECT_EQ(d.kernels[3].ai[3], 0);
  EXPECT_GT(d.kernels[3].ai[2], 0);
  for (const auto& p : d.kernels) {
    for (const double a : p.ai) {
      if (a > 0) {
        EXPECT_GE(a, d.x_lo);
        EXPECT_LE(a, d.x_hi);
      }
    }
    EXPECT_GE(p.gflops, d.y_lo);
    EXPECT_LE(p.gflops, d.y_hi);
  }
  bool noted = false;
  for (const auto& n : d.notes) noted |= n.find("another thread count") != std::string::npos;
  EXPECT_TRUE(noted);
  const RooflineData one = BuildRoofline(m, &k, 1);
  ASSERT_EQ(one.kernels.size(), 1u);
  EXPECT_EQ(one.kernels[0].number, 5);
}

TEST(RooflineData, UnmeasuredResultsAreNotedNotDrawn) {
  const Machine m = SmallMachine();
  KernelsFile k = SampleKernels(m);
  k.results[0].gflops = std::numeric_limits<double>::quiet_NaN();
  k.results[1].bytes = {0, 0, 0, 0};
  k.results[1].ai.fill(std::numeric_limits<double>::infinity());
  k.results[1].carm_ai = std::numeric_limits<double>::infinity();
  const RooflineData d = BuildRoofline(m, &k, 2);
  EXPECT_EQ(d.kernels.size(), 2u);
  int notes = 0;
  for (const auto& n : d.notes) {
    notes += n.find("no measured GFLOP/s") != std::string::npos ||
             n.find("no bytes counted") != std::string::npos;
  }
  EXPECT_EQ(notes, 2);
  ExpectSoundSvg(RooflineSvg(d, true), true);
}

TEST(RooflineSvg, SoundWithAndWithoutKernels) {
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  for (const int t : {2, 1}) {
    const std::string svg = RooflineSvg(BuildRoofline(m, &k, t), true);
    ExpectSoundSvg(svg, true);
    const auto texts = Texts(ParseSvg(svg));
    EXPECT_TRUE(HasText(texts, "Arithmetic intensity (FLOP/byte)"));
    EXPECT_TRUE(HasText(texts, "Performance (GFLOP/s)"));
    EXPECT_TRUE(HasText(texts, "L1 \xC2\xB7 "));
    EXPECT_TRUE(HasText(texts, "DRAM \xC2\xB7 "));
    EXPECT_TRUE(HasText(texts, "cache-aware (CARM)"));
    EXPECT_TRUE(HasText(texts, "theoretical"));
  }
  ExpectSoundSvg(RooflineSvg(BuildRoofline(m, nullptr, 2), true), true);
}

TEST(RooflineSvg, EveryKernelLabelledOrNumbered) {
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  const XmlNode root = ParseSvg(RooflineSvg(BuildRoofline(m, &k, 2), true));
  const auto labels = testing_report::TextBoxes(root, "labels");
  for (int n = 1; n <= 4; ++n) {
    bool found = false;
    for (const auto& l : labels) {
      found |= l.second == std::to_string(n) || l.second.rfind(std::to_string(n) + " ", 0) == 0;
    }
    EXPECT_TRUE(found) << "kernel " << n << " has no label";
  }
  // One marker per drawn level plus the ring, in the kernel's group.
  int kernel_groups = 0;
  root.Walk([&](const XmlNode& n) { kernel_groups += n.name == "g" && n.HasClass("kernel"); });
  EXPECT_EQ(kernel_groups, 4);
}

TEST(RooflineSvg, RealMachineIsSound) {
  const Machine m = SampleMachine();
  const KernelsFile k = SampleKernels(m);
  for (const int t : RooflineThreadCounts(m, &k)) {
    ExpectSoundSvg(RooflineSvg(BuildRoofline(m, &k, t), true), true);
  }
  ExpectSoundSvg(RooflineSvg(BuildRoofline(m, nullptr, 2), true), true);
}

TEST(RooflineSvg, HostileNamesStayText) {
  const Machine m = SmallMachine();
  KernelsFile k = SampleKernels(m);
  k.results[0].name = "<script>alert(1)</script>&\"'\x01\xff";
  k.results[0].shape = {{"a<b", 1}};
  const std::string svg = RooflineSvg(BuildRoofline(m, &k, 2), true);
  ExpectSoundSvg(svg, true);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
}

TEST(RooflineSvg, EmptyMachineStillDrawsAxes) {
  const std::string svg = RooflineSvg(BuildRoofline(Machine{}, nullptr, 1), true);
  ExpectSoundSvg(svg, false);
  EXPECT_NE(svg.find("plot-frame"), std::string::npos);
}

TEST(StaircaseSvg, CacheSizesMarkedPerThreadCount) {
  const Machine m = SmallMachine();
  const std::string svg = StaircaseSvg(m, true);
  ExpectSoundSvg(svg, true);
  const XmlNode root = ParseSvg(svg);
  int sizes = 0, edges = 0, series = 0;
  root.Walk([&](const XmlNode& n) {
    sizes += n.name == "g" && n.HasClass("cache-size");
    edges += n.name == "g" && n.HasClass("cache-edge");
    series += n.name == "g" && n.HasClass("series");
  });
  EXPECT_EQ(sizes, 6);    // L1, L2, L3 in each of the two panels
  EXPECT_EQ(edges, 2);    // L1's edge (52 KiB) is 8% off its 48 KiB: marked in both panels
  EXPECT_EQ(series, 10);  // 5 kernels x 2 thread counts
  const auto texts = Texts(root);
  EXPECT_TRUE(HasText(texts, "L1 48 KiB"));
  EXPECT_TRUE(HasText(texts,
                      "L1 2\xC3\x97"
                      "48 KiB"));            // private: two instances for 2 threads
  EXPECT_TRUE(HasText(texts, "L3 32 MiB"));  // shared by both cores: one instance
  EXPECT_TRUE(HasText(texts, "1 thread"));
  EXPECT_TRUE(HasText(texts, "2 threads"));
  EXPECT_TRUE(HasText(texts, "store_nt"));
  EXPECT_TRUE(HasText(texts, "Bandwidth (GB/s)"));
}

TEST(StaircaseSvg, CacheCapacityCountsInstances) {
  CacheLevel priv{2, 1 << 20, 1, "hwloc", 0};
  CacheLevel shared{3, 32 << 20, 8, "hwloc", 0};
  EXPECT_EQ(CacheCapacity(priv, 1 << 20, 4), 4.0 * (1 << 20));
  EXPECT_EQ(CacheCapacity(shared, 32 << 20, 4), 32.0 * (1 << 20));
  EXPECT_EQ(CacheCapacity(shared, 32 << 20, 9), 64.0 * (1 << 20));
}

TEST(StaircaseSvg, RealMachineIsSound) {
  ExpectSoundSvg(StaircaseSvg(SampleMachine(), true), true);
}

TEST(LatencySvg, NanosecondsAndCycles) {
  const Machine m = SmallMachine();
  const std::string svg = LatencySvg(m, true);
  ExpectSoundSvg(svg, true);
  const XmlNode root = ParseSvg(svg);
  bool right = false;
  root.Walk([&](const XmlNode& n) { right |= n.name == "g" && n.HasClass("axes-right"); });
  EXPECT_TRUE(right);
  EXPECT_TRUE(HasText(Texts(root), "cycles at 3 GHz"));
  ExpectSoundSvg(LatencySvg(SampleMachine(), true), true);
}

TEST(Charts, NoDataSaysSo) {
  const Machine empty;
  for (const std::string& svg : {StaircaseSvg(empty, true), LatencySvg(empty, true)}) {
    const XmlNode root = ParseSvg(svg);
    EXPECT_TRUE(HasText(Texts(root), "run roofprof probe"));
  }
}

// Golden files: regenerate as described at the top of report_test_util.h.
TEST(ChartsGolden, SmallFixture) {
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  testing_report::ExpectGolden("roofline.svg", RooflineSvg(BuildRoofline(m, &k, 2), true));
  testing_report::ExpectGolden("roofline-1threads.svg", RooflineSvg(BuildRoofline(m, &k, 1), true));
  testing_report::ExpectGolden("staircase.svg", StaircaseSvg(m, true));
  testing_report::ExpectGolden("latency.svg", LatencySvg(m, true));
}

}  // namespace
}  // namespace report
}  // namespace roofprof
