// Topology: fallbacks when hwloc or the OS leave gaps, thread limits, and the live detection.
#include "src/topology.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace roofprof {
namespace {

TEST(MergeCaches, PrimaryWins) {
  std::vector<std::string> notes;
  const auto out = MergeCaches(
      {{1, 48 << 10, 1, "hwloc", 0}, {2, 1 << 20, 1, "hwloc", 0}, {3, 32 << 20, 8, "hwloc", 0}},
      {{1, 32 << 10, 1, "os", 0}}, &notes);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].size_bytes, 48u << 10);
  EXPECT_EQ(out[0].source, "hwloc");
  EXPECT_EQ(out[2].cores_sharing, 8);
  EXPECT_TRUE(notes.empty());
}

TEST(MergeCaches, FillsFromFallbackWithNote) {
  std::vector<std::string> notes;
  const auto out = MergeCaches({{1, 48 << 10, 1, "hwloc", 0}}, {{2, 2 << 20, 1, "os", 0}}, &notes);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[1].size_bytes, 2u << 20);
  EXPECT_EQ(out[1].source, "os");
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("L2"), std::string::npos);
}

TEST(MergeCaches, DefaultsWhenNothingKnown) {
  std::vector<std::string> notes;
  const auto out = MergeCaches({}, {}, &notes);
  ASSERT_EQ(out.size(), 2u);  // L1 and L2 assumed; no L3 invented
  EXPECT_EQ(out[0].source, "default");
  EXPECT_EQ(out[0].size_bytes, 32u << 10);
  EXPECT_EQ(out[1].size_bytes, 1u << 20);
  EXPECT_EQ(notes.size(), 3u);  // two assumptions and "no L3"
}

TEST(MergeCaches, FlagsInconsistentSizes) {
  std::vector<std::string> notes;
  MergeCaches({{1, 1 << 20, 1, "hwloc", 0}, {2, 64 << 10, 1, "hwloc", 0}}, {}, &notes);
  bool flagged = false;
  for (const auto& n : notes) flagged = flagged || n.find("inconsistent") != std::string::npos;
  EXPECT_TRUE(flagged);
}

TEST(UsableThreads, QuotaAndAffinity) {
  EXPECT_EQ(UsableThreads(8, 0), 8);     // no quota
  EXPECT_EQ(UsableThreads(8, 2.0), 2);   // quota of two CPUs
  EXPECT_EQ(UsableThreads(8, 1.5), 1);   // cannot run two threads flat out
  EXPECT_EQ(UsableThreads(8, 0.5), 1);   // always at least one
  EXPECT_EQ(UsableThreads(4, 16.0), 4);  // quota above the CPU count
  EXPECT_EQ(UsableThreads(0, 0), 1);
}

TEST(DetectTopology, SelfConsistent) {
  const Topology t = DetectTopology();
  EXPECT_GE(t.logical_cpus, 1);
  EXPECT_GE(t.cores, 1);
  EXPECT_LE(t.cores, t.logical_cpus);
  ASSERT_FALSE(t.placement.empty());
  EXPECT_LE(static_cast<int>(t.placement.size()), t.logical_cpus);
  // Placement lists distinct CPUs.
  std::set<int> distinct(t.placement.begin(), t.placement.end());
  EXPECT_EQ(distinct.size(), t.placement.size());
  EXPECT_GE(t.usable_threads, 1);
  EXPECT_LE(t.usable_threads, static_cast<int>(t.placement.size()));
  ASSERT_GE(t.caches.size(), 2u);
  for (size_t i = 0; i < t.caches.size(); ++i) {
    EXPECT_EQ(t.caches[i].level, static_cast<int>(i) + 1);
    EXPECT_GT(t.caches[i].size_bytes, 0u);
    EXPECT_GE(t.caches[i].cores_sharing, 1);
  }
  EXPECT_FALSE(t.model.empty());
  EXPECT_STRNE(ArchName(), "unknown");
}

}  // namespace
}  // namespace roofprof
