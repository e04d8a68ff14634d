// Interrupted runs: SIGINT/SIGTERM stop cleanly with status 130, keep every file completed
// before the signal, and leave no partial or temporary file behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>

#include "src/io.h"
#include "src/machine.h"
#include "tests/cli/cli_util.h"

namespace roofprof {
namespace {

using testing_util::CliResult;
using testing_util::Interrupt;
using testing_util::RoofprofBinary;
using testing_util::RunProcess;
using testing_util::TempDir;

TEST(CliInterrupt, ProbeLeavesNoPartialFile) {
  for (const int sig : {SIGINT, SIGTERM}) {
    TempDir dir;
    const CliResult r = RunProcess({RoofprofBinary(), "probe", "--quick", "--quiet", "--max-bytes",
                                    "16MiB", "--json", dir.File("machine.json")},
                                   120, dir.path(), Interrupt{sig, 1.0, ""});
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.status, 130) << r.err;
    EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    // The probe had not finished: no machine.json, and no temporary file either.
    EXPECT_TRUE(dir.List().empty()) << "left: " << (dir.List().empty() ? "" : dir.List()[0]);
  }
}

TEST(CliInterrupt, RunKeepsCompletedOutputs) {
  TempDir dir;
  const std::string out = dir.File("out");
  // Interrupt once the probe has written machine.json, i.e. during the kernels.
  const CliResult r = RunProcess(
      {RoofprofBinary(), "run", "--quick", "--quiet", "--max-bytes", "16MiB", "--out", out}, 300,
      dir.path(), Interrupt{SIGINT, 0, out + "/machine.json"});
  ASSERT_FALSE(r.timed_out);
  if (r.status == 0) GTEST_SKIP() << "the run finished before the signal arrived";
  EXPECT_EQ(r.status, 130) << r.err;
  // machine.json is complete and valid.
  const Machine m = LoadMachine(out + "/machine.json");
  EXPECT_FALSE(m.compute.empty());
  // Nothing half-written: every file there parses or is a finished report file.
  for (const auto& name : TempDir::ListOf(out)) {
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace roofprof
