// Cache-edge detection on synthetic bandwidth curves: clean, noisy, gradual, missing levels,
// and pairing with reported cache sizes (including a VM's fictitious L3).
#include "probes/levels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "probes/probe.h"

namespace roofprof {
namespace {

struct Plateau {
  double up_to_bytes;  // plateau holds for working sets up to here
  double gbps;
};

// A staircase sampled at 1.25x steps from 4 KiB to `max_bytes`; each transition spans
// `width` (a factor in size, 1 = sharp) and is log-linear; noise is multiplicative.
std::vector<CurvePoint> Staircase(const std::vector<Plateau>& steps, double dram_gbps,
                                  double max_bytes, double width, double noise, uint64_t seed) {
  std::vector<CurvePoint> out;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-noise, noise);
  for (double b = 4096; b <= max_bytes; b *= 1.25) {
    double y = std::log(dram_gbps);
    for (int i = static_cast<int>(steps.size()) - 1; i >= 0; --i) {
      const double edge = steps[static_cast<size_t>(i)].up_to_bytes;
      const double here = std::log(steps[static_cast<size_t>(i)].gbps);
      // t = 0 well below the edge, 1 well above; linear in log size across `width`.
      const double t = width <= 1
                           ? (b > edge ? 1.0 : 0.0)
                           : std::min(1.0, std::max(0.0, std::log(b / (edge / std::sqrt(width))) /
                                                             std::log(width)));
      y = here + t * (y - here);
    }
    out.push_back({b, std::exp(y) * (1 + u(rng))});
  }
  return out;
}

void ExpectNear(double got, double want, double factor) {
  EXPECT_LE(got, want * factor) << "got " << got << " want " << want;
  EXPECT_GE(got, want / factor) << "got " << got << " want " << want;
}

TEST(DetectEdges, CleanStaircase) {
  const auto c = Staircase({{48e3, 400}, {1e6, 160}, {32e6, 90}}, 30, 2e9, 1, 0, 1);
  const auto e = DetectEdges(c);
  ASSERT_EQ(e.size(), 3u);
  ExpectNear(e[0].bytes, 48e3, 1.3);
  ExpectNear(e[1].bytes, 1e6, 1.3);
  ExpectNear(e[2].bytes, 32e6, 1.3);
  ExpectNear(e[0].before_gbps, 400, 1.05);
  ExpectNear(e[0].after_gbps, 160, 1.05);
  ExpectNear(e[2].after_gbps, 30, 1.05);
}

TEST(DetectEdges, NoisyStaircase) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto c = Staircase({{48e3, 400}, {1e6, 160}, {32e6, 90}}, 30, 2e9, 2, 0.08, seed);
    const auto e = DetectEdges(c);
    ASSERT_EQ(e.size(), 3u) << "seed " << seed;
    ExpectNear(e[0].bytes, 48e3, 1.6);
    ExpectNear(e[1].bytes, 1e6, 1.6);
    ExpectNear(e[2].bytes, 32e6, 1.6);
  }
}

TEST(DetectEdges, GradualRollOffIsOneEdge) {
  // An L3 that fades over a factor 8 in size (non-LRU replacement) is one edge, not several.
  const auto c = Staircase({{48e3, 400}, {1e6, 160}, {24e6, 90}}, 30, 2e9, 8, 0.03, 7);
  const auto e = DetectEdges(c);
  ASSERT_EQ(e.size(), 3u);
  ExpectNear(e[2].bytes, 24e6, 1.5);
}

TEST(DetectEdges, MissingLevel) {
  // A core without L3: two edges only.
  const auto c = Staircase({{32e3, 300}, {2e6, 120}}, 25, 1e9, 1, 0.03, 3);
  const auto e = DetectEdges(c);
  ASSERT_EQ(e.size(), 2u);
  ExpectNear(e[0].bytes, 32e3, 1.3);
  ExpectNear(e[1].bytes, 2e6, 1.3);
}

TEST(DetectEdges, SmallStepsAreNotEdges) {
  // Steps of 15% are noise-level differences, not cache levels.
  const auto c = Staircase({{48e3, 100}, {1e6, 87}}, 76, 1e9, 1, 0.02, 5);
  EXPECT_TRUE(DetectEdges(c).empty());
}

TEST(DetectEdges, FlatAndDegenerateCurves) {
  EXPECT_TRUE(DetectEdges({}).empty());
  EXPECT_TRUE(DetectEdges({{4096, 10}, {8192, 10}}).empty());
  std::vector<CurvePoint> flat;
  for (double b = 4096; b < 1e9; b *= 1.25) flat.push_back({b, 50});
  EXPECT_TRUE(DetectEdges(flat).empty());
  // Non-finite and non-positive points are ignored, not trusted.
  auto c = Staircase({{48e3, 400}, {1e6, 160}}, 30, 1e8, 1, 0, 1);
  c.push_back({5e5, NAN});
  c.push_back({6e5, -1});
  EXPECT_EQ(DetectEdges(c).size(), 2u);
}

TEST(MatchLevels, OneToOne) {
  const std::vector<Edge> edges = {{50e3, 400, 160}, {1.1e6, 160, 90}, {30e6, 90, 30}};
  const auto d = MatchLevels(edges, {{1, 48 << 10}, {2, 1 << 20}, {3, 32 << 20}});
  ASSERT_EQ(d.levels.size(), 3u);
  for (const auto& m : d.levels) {
    EXPECT_GT(m.edge_bytes, 0u);
    EXPECT_TRUE(m.consistent) << m.level;
  }
  EXPECT_TRUE(d.unexplained.empty());
  EXPECT_TRUE(DescribeDetection(d).empty());
}

TEST(MatchLevels, FictitiousL3FromVm) {
  // The VM reports the socket's 508 MiB L3 per core; the edge is at ~20 MiB, and a further
  // drop at ~130 MiB comes from the VM's memory mapping.
  const std::vector<Edge> edges = {
      {52e3, 300, 140}, {1e6, 140, 88}, {20e6, 88, 43}, {130e6, 43, 25}};
  const auto d = MatchLevels(edges, {{1, 48 << 10}, {2, 1 << 20}, {3, 508ull << 20}});
  ASSERT_EQ(d.levels.size(), 3u);
  EXPECT_EQ(d.levels[2].edge_bytes, 20000000u);
  EXPECT_FALSE(d.levels[2].consistent);
  ASSERT_EQ(d.unexplained.size(), 1u);
  EXPECT_DOUBLE_EQ(d.unexplained[0].bytes, 130e6);
  const auto notes = DescribeDetection(d);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("using the measured size"), std::string::npos);
}

TEST(MatchLevels, MissingEdgeLeavesLevelUnpaired) {
  // Only L1 and L3 edges are visible (an L2 too close to L1 in bandwidth to show).
  const std::vector<Edge> edges = {{50e3, 300, 100}, {9e6, 100, 30}};
  const auto d = MatchLevels(edges, {{1, 48 << 10}, {2, 1 << 20}, {3, 8 << 20}});
  EXPECT_GT(d.levels[0].edge_bytes, 0u);
  EXPECT_EQ(d.levels[1].edge_bytes, 0u);
  EXPECT_EQ(d.levels[2].edge_bytes, 9000000u);
  EXPECT_TRUE(d.unexplained.empty());
  const auto notes = DescribeDetection(d);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("L2"), std::string::npos);
}

TEST(MatchLevels, NoEdges) {
  const auto d = MatchLevels({}, {{1, 32 << 10}, {2, 1 << 20}});
  for (const auto& m : d.levels) EXPECT_EQ(m.edge_bytes, 0u);
  EXPECT_EQ(DescribeDetection(d).size(), 2u);
}

TEST(EdgeSaysShared, PrivateAndSharedLastLevel) {
  const double mib = 1 << 20;
  double edge = 0;
  // Two threads, one-thread edge at 18 MiB. Shared: the aggregate edge stays near 18 MiB
  // (the L2 edge at 2 MiB is below half of it and is not the one compared).
  const std::vector<Edge> shared = {{2 * mib, 300, 150}, {19 * mib, 150, 50}, {150 * mib, 50, 40}};
  EXPECT_TRUE(EdgeSaysShared(shared, 18 * mib, 2, &edge));
  EXPECT_EQ(edge, 19 * mib);
  // Private per core: the aggregate edge doubles.
  const std::vector<Edge> priv = {{2 * mib, 300, 150}, {35 * mib, 150, 50}};
  EXPECT_FALSE(EdgeSaysShared(priv, 18 * mib, 2, &edge));
  EXPECT_EQ(edge, 35 * mib);
  // No edge near the level, or one thread only: nothing to say.
  EXPECT_FALSE(EdgeSaysShared({{2 * mib, 300, 150}}, 18 * mib, 2, &edge));
  EXPECT_EQ(edge, 0);
  EXPECT_FALSE(EdgeSaysShared(shared, 18 * mib, 1, &edge));
}

TEST(SweepSizes, StepsAndRange) {
  const auto s = SweepSizes(4096, 2ull << 30, 1.3);
  ASSERT_GE(s.size(), 2u);
  EXPECT_EQ(s.front(), 4096u);
  EXPECT_GE(s.back(), 2ull << 30);
  for (size_t i = 1; i < s.size(); ++i) {
    EXPECT_GT(s[i], s[i - 1]);
    EXPECT_LE(static_cast<double>(s[i]) / s[i - 1], 1.3 + 1e-3) << i;
  }
  EXPECT_TRUE(SweepSizes(4096, 8192, 1.0).empty());
  EXPECT_EQ(SweepSizes(4096, 4096, 1.3).size(), 1u);
  // A coarse granule (three arrays x two threads x 64 bytes) still keeps every step in range.
  const auto g = SweepSizes(8192, 1 << 20, 1.3, 384);
  for (size_t i = 1; i < g.size(); ++i) {
    EXPECT_EQ(g[i] % 384, 0u);
    EXPECT_LE(static_cast<double>(g[i]) / g[i - 1], 1.3 + 1e-12) << i;
  }
}

TEST(Capacity, PrivateAndShared) {
  const CacheLevel l2{2, 1 << 20, 1, "hwloc", 0};
  const CacheLevel l3{3, 32 << 20, 8, "hwloc", 0};
  EXPECT_DOUBLE_EQ(PerThreadCapacity(l2, 4), 1 << 20);
  EXPECT_DOUBLE_EQ(PerThreadCapacity(l3, 1), 32 << 20);
  EXPECT_DOUBLE_EQ(PerThreadCapacity(l3, 8), 4 << 20);
  EXPECT_DOUBLE_EQ(PerThreadCapacity(l3, 16), 4 << 20);  // two instances for 16 threads
  EXPECT_DOUBLE_EQ(AggregateLastLevel({l2, l3}, 16), 64 << 20);
}

}  // namespace
}  // namespace roofprof
