// profile: running a child, reading the marker library's regions, classifying user counts.
#include "src/profile.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "src/error.h"
#include "tests/test_util.h"

namespace roofprof {
namespace {

std::string Demo() {
  return testing_util::ProgramPath("ROOFPROF_MARKER_DEMO", ROOFPROF_MARKER_DEMO);
}

Machine Simple() {
  Machine m;
  m.compute.push_back({"fp32", "AVX3", "fma", 1, 100, 100, 0, 0, "model"});
  m.bandwidth.push_back({"DRAM", "load", 1, 10, 10, 1, 0, "AVX3"});
  return m;
}

TEST(Profile, RegionsFromTheMarkerLibrary) {
  const ChildRun run = RunChild({Demo(), "4"});
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_GT(run.wall_seconds, 0);
  ASSERT_FALSE(run.regions_json.empty());
  ProfileOptions opt;
  opt.command = {Demo(), "4"};
  const KernelsFile k = ProfileResults(opt, run, Simple());
  ASSERT_EQ(k.results.size(), 4u);  // program, never-begun, outer, sum (regions sorted by name)
  EXPECT_EQ(k.results[0].name, "program");
  EXPECT_EQ(k.results[0].bound, "unknown");  // no counts for the whole run
  const KernelResult* sum = nullptr;
  const KernelResult* outer = nullptr;
  for (const auto& r : k.results) {
    if (r.name == "region:sum") sum = &r;
    if (r.name == "region:outer") outer = &r;
  }
  ASSERT_NE(sum, nullptr);
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(sum->description, "4 call(s)");
  EXPECT_DOUBLE_EQ(sum->flops, 4.0 * 65536);
  EXPECT_DOUBLE_EQ(sum->bytes[3], 4.0 * 8 * 65536);
  EXPECT_EQ(sum->flops_source, "user");
  EXPECT_EQ(sum->bound, "DRAM");            // 1/8 FLOP per byte, ridge at 10
  EXPECT_LE(sum->seconds, outer->seconds);  // nested inside outer
  EXPECT_EQ(outer->bound, "unknown");
}

TEST(Profile, WholeRunWithUserCounts) {
  const ChildRun run = RunChild({Demo(), "1", "3"});
  EXPECT_EQ(run.exit_status, 3);
  ProfileOptions opt;
  opt.command = {Demo()};
  opt.flops = 1e9;
  opt.dram_bytes = 1e6;
  const KernelsFile k = ProfileResults(opt, run, Simple());
  EXPECT_EQ(k.results[0].bound, "compute");
  EXPECT_EQ(k.results[0].bytes_source, "user");
  EXPECT_DOUBLE_EQ(k.results[0].bound_seconds[0], 0.01);
  bool noted = false;
  for (const auto& n : k.notes)
    noted = noted || n.find("exited with status 3") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(Profile, MissingProgramIsAUsageError) {
  EXPECT_THROW(RunChild({"/nonexistent/roofprof-test-program"}), UsageError);
  EXPECT_THROW(RunChild({}), UsageError);
}

}  // namespace
}  // namespace roofprof
