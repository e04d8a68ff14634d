// Bad input across every verb: exit status 2 (or 1 for the environment), one line on stderr,
// nothing on stdout, and no file left behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "src/json_util.h"
#include "src/machine.h"
#include "tests/cli/cli_util.h"

namespace roofprof {
namespace {

using testing_util::CliResult;
using testing_util::RoofprofBinary;
using testing_util::RunProcess;
using testing_util::TempDir;

struct BadInput {
  const char* name;
  std::vector<std::string> args;  // "{d}" expands to the fixture directory
  int status;
  const char* message;  // expected in the one stderr line
};

Machine GoodMachine() {
  Machine m;
  m.created = "2026-01-01T00:00:00Z";
  m.cpu.model = "Test CPU";
  m.cpu.logical_cpus = 2;
  m.cpu.cores = 2;
  m.cpu.available_cpus = 2;
  m.cpu.clock_ghz = 3;
  m.caches = {{1, 48 << 10, 1, "hwloc", 0}, {2, 1 << 20, 1, "hwloc", 0}};
  m.compute.push_back({"fp32", "AVX3", "fma", 1, 200, 200, 64, 0, "model"});
  m.bandwidth.push_back({"DRAM", "load", 1, 30, 30, 1 << 28, 10, "AVX3"});
  return m;
}

void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

class CliErrors : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliErrors, OneLineAndNoFiles) {
  const BadInput& b = GetParam();
  TempDir dir;
  const std::string good = MachineToJsonText(GoodMachine());
  dir.Write("machine.json", good);
  dir.Write("corrupt.json", "{\"schema\": ");
  dir.Write("truncated.json", good.substr(0, good.size() / 2));
  dir.Write("binary.json", std::string("\x7f"
                                       "ELF\x02\x01\x01\0\0\0",
                                       10));
  dir.Write("empty.json", "");
  dir.Write("kernels.json", "{\"schema\":\"roofprof.kernels/1\",\"results\":[]}");
  Json neg = Json::parse(good);
  neg["compute"][0]["gflops"] = -5;
  dir.Write("negative.json", neg.dump());
  dir.Write("nan.json",
            std::string(good).replace(good.find("\"gflops\": 200"), 13, "\"gflops\": NaN"));
  dir.Write("afile", "x");
  const std::vector<std::string> before = dir.List();

  std::vector<std::string> args = {RoofprofBinary()};
  for (std::string a : b.args) {
    size_t p;
    while ((p = a.find("{d}")) != std::string::npos) a.replace(p, 3, dir.path());
    args.push_back(a);
  }
  const CliResult r = RunProcess(args, 60, dir.path());
  ASSERT_FALSE(r.timed_out) << b.name;
  // Kept in the test report (--gtest_output) as the table of bad inputs and their answers.
  std::string command = "roofprof";
  for (const std::string& a : b.args) command += " " + a;
  RecordProperty("command", command);
  RecordProperty("exit_status", r.status);
  RecordProperty("stderr", r.err);
  EXPECT_EQ(r.status, b.status) << b.name << ": " << r.err;
  // Exactly one line on stderr, starting with the tool's name.
  ASSERT_FALSE(r.err.empty()) << b.name;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << b.name << ": " << r.err;
  EXPECT_EQ(r.err.rfind("roofprof: ", 0), 0u) << b.name << ": " << r.err;
  EXPECT_NE(r.err.find(b.message), std::string::npos) << b.name << ": " << r.err;
  EXPECT_TRUE(r.out.empty()) << b.name << ": " << r.out;
  EXPECT_EQ(dir.List(), before) << b.name << ": files appeared or vanished";
}

const BadInput kBadInputs[] = {
    {"no_verb", {}, 2, "A subcommand is required"},
    {"unknown_verb", {"frobnicate"}, 2, "unknown verb 'frobnicate'"},
    {"unknown_option", {"probe", "--bogus"}, 2, "--bogus"},
    {"threads_zero", {"probe", "--threads", "0"}, 2, "--threads: must be a whole number"},
    {"threads_text", {"probe", "--threads", "two"}, 2, "not 'two'"},
    {"threads_too_many", {"probe", "--threads", "100000"}, 2, "more than the"},
    {"size_bad_unit", {"probe", "--max-bytes", "12XB"}, 2, "unknown unit 'XB'"},
    {"size_negative", {"probe", "--max-bytes", "-5"}, 2, "not a valid size"},
    {"size_too_small", {"probe", "--max-bytes", "64KiB"}, 2, "at least 1MiB"},
    {"size_beyond_memory", {"probe", "--max-bytes", "64TiB"}, 2, "of memory is available"},
    {"json_into_missing_dir", {"probe", "--json", "{d}/no/such/dir/m.json"}, 2, "does not exist"},
    {"json_is_a_directory", {"probe", "--json", "{d}"}, 2, "is a directory"},
    {"machine_missing", {"kernels", "--machine", "{d}/absent.json"}, 2, "absent.json: cannot read"},
    {"machine_corrupt", {"kernels", "--machine", "{d}/corrupt.json"}, 2, "not valid JSON"},
    {"machine_truncated", {"kernels", "--machine", "{d}/truncated.json"}, 2, "not valid JSON"},
    {"machine_binary", {"kernels", "--machine", "{d}/binary.json"}, 2, "binary data"},
    {"machine_empty", {"kernels", "--machine", "{d}/empty.json"}, 2, "empty file"},
    {"machine_wrong_schema",
     {"kernels", "--machine", "{d}/kernels.json"},
     2,
     "is not roofprof.machine/1"},
    {"machine_negative_value",
     {"kernels", "--machine", "{d}/negative.json"},
     2,
     "compute[0].gflops"},
    {"machine_nan", {"kernels", "--machine", "{d}/nan.json"}, 2, "not valid JSON"},
    {"machine_is_directory", {"kernels", "--machine", "{d}"}, 2, "is a directory"},
    {"kernel_unknown",
     {"kernels", "--machine", "{d}/machine.json", "--only", "gemm_f64"},
     2,
     "unknown kernel 'gemm_f64'"},
    {"kernel_empty_name",
     {"kernels", "--machine", "{d}/machine.json", "--only", "a,,b"},
     2,
     "empty kernel name"},
    {"shape_without_only",
     {"kernels", "--machine", "{d}/machine.json", "--shape", "m=1"},
     2,
     "--shape needs exactly one kernel"},
    {"shape_syntax",
     {"kernels", "--machine", "{d}/machine.json", "--only", "x", "--shape", "m=-1"},
     2,
     "--shape"},
    {"shape_unknown_dim",
     {"kernels", "--machine", "{d}/machine.json", "--only", "gemm_f32", "--shape", "q=4"},
     2,
     "'q'"},
    {"shape_too_large",
     {"kernels", "--machine", "{d}/machine.json", "--only", "gemm_f32", "--shape",
      "m=4000000,n=4000000,k=4000000"},
     2,
     "memory"},
    {"flops_negative", {"profile", "--flops", "-3", "--", "true"}, 2, "must be a positive"},
    {"isa_unknown", {"kernels", "--machine", "{d}/machine.json", "--isa", "AVX9"}, 2, "--isa"},
    {"baseline_unknown",
     {"kernels", "--machine", "{d}/machine.json", "--baseline", "mkl"},
     2,
     "--baseline: 'mkl'"},
    {"model_no_spec", {"model", "--machine", "{d}/machine.json"}, 2, "give --preset"},
    {"model_preset_unknown",
     {"model", "--preset", "gpt-99", "--machine", "{d}/machine.json"},
     2,
     "unknown model 'gpt-99'"},
    {"model_weights_unknown",
     {"model", "--preset", "llama2-7b", "--weights", "q3_k", "--machine", "{d}/machine.json"},
     2,
     "--weights: 'q3_k'"},
    {"model_kv_heads",
     {"model", "--preset", "llama2-7b", "--kv-heads", "5", "--machine", "{d}/machine.json"},
     2,
     "does not divide"},
    {"model_batch_list",
     {"model", "--preset", "llama2-7b", "--batch", "1,x", "--machine", "{d}/machine.json"},
     2,
     "--batch"},
    {"profile_no_command", {"profile", "--machine", "{d}/machine.json"}, 2, "command"},
    {"profile_not_found",
     {"profile", "--machine", "{d}/machine.json", "--", "/nonexistent/prog"},
     2,
     "cannot run '/nonexistent/prog'"},
    {"profile_bad_bytes",
     {"profile", "--machine", "{d}/machine.json", "--bytes", "1XB", "--", "true"},
     2,
     "--bytes"},
    {"report_no_out", {"report", "--machine", "{d}/machine.json"}, 2, "--out is required"},
    {"report_bad_machine",
     {"report", "--machine", "{d}/corrupt.json", "--out", "{d}/r"},
     2,
     "not valid JSON"},
    {"report_bad_kernels",
     {"report", "--machine", "{d}/machine.json", "--kernels", "{d}/machine.json", "--out", "{d}/r"},
     2,
     "is not roofprof.kernels/1"},
    {"report_out_is_file",
     {"report", "--machine", "{d}/machine.json", "--out", "{d}/afile"},
     2,
     "not a directory"},
    {"compare_missing", {"compare", "{d}/machine.json", "{d}/absent.json"}, 2, "absent.json"},
    {"compare_mixed_kinds", {"compare", "{d}/machine.json", "{d}/kernels.json"}, 2, "kernels"},
    {"compare_one_arg", {"compare", "{d}/machine.json"}, 2, "B is required"},
    {"run_out_is_file", {"run", "--out", "{d}/afile"}, 2, "exists and is not a directory"},
};

INSTANTIATE_TEST_SUITE_P(BadInput, CliErrors, ::testing::ValuesIn(kBadInputs),
                         [](const ::testing::TestParamInfo<BadInput>& i) {
                           return std::string(i.param.name);
                         });

TEST(Cli, HelpAndVersionSucceed) {
  for (const std::vector<std::string>& a : {std::vector<std::string>{"--help"},
                                            {"--version"},
                                            {"probe", "--help"},
                                            {"kernels", "--help"},
                                            {"run", "--help"},
                                            {"model", "--help"},
                                            {"profile", "--help"},
                                            {"report", "--help"},
                                            {"compare", "--help"}}) {
    std::vector<std::string> args = {RoofprofBinary()};
    args.insert(args.end(), a.begin(), a.end());
    const CliResult r = RunProcess(args, 30);
    EXPECT_EQ(r.status, 0) << a[0];
    EXPECT_FALSE(r.out.empty()) << a[0];
  }
}

}  // namespace
}  // namespace roofprof
