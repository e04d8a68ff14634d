// compare: matching ceilings and kernels, ratios, unmatched keys, text, JSON and file handling.
#include "src/report/compare.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <fstream>

#include "src/error.h"
#include "src/json_util.h"
#include "tests/src/report/fixtures.h"
#include "tests/src/report/report_test_util.h"

namespace roofprof {
namespace report {
namespace {

using testing_report::SampleKernels;
using testing_report::SmallMachine;

const CompareRow* Find(const Comparison& c, const std::string& section, const std::string& key) {
  for (const auto& r : c.rows) {
    if (r.section == section && r.key == key) return &r;
  }
  return nullptr;
}

TEST(CompareMachines, RatiosPerMatchingCeiling) {
  const Machine a = SmallMachine();
  Machine b = a;
  for (auto& x : b.bandwidth) {
    if (x.level == "L1") x.gbps *= 2;
  }
  b.compute.erase(b.compute.begin());  // fp32 fma AVX3, 1 thread: only in A
  ComputeCeiling extra = a.compute[0];
  extra.threads = 4;
  b.compute.push_back(extra);  // only in B
  b.cpu.clock_ghz = 3.3;
  const Comparison c = CompareMachines(a, b, "a.json", "b.json");
  EXPECT_EQ(c.kind, "machine");
  const CompareRow* l1 = Find(c, "bandwidth", "L1 load, 2 threads");
  ASSERT_NE(l1, nullptr);
  EXPECT_DOUBLE_EQ(l1->ratio, 2);
  const CompareRow* dram = Find(c, "bandwidth", "DRAM copy, 1 thread");
  ASSERT_NE(dram, nullptr);
  EXPECT_DOUBLE_EQ(dram->ratio, 1);
  const CompareRow* clock = Find(c, "clock", "clock under load");
  ASSERT_NE(clock, nullptr);
  EXPECT_NEAR(clock->ratio, 1.1, 1e-12);
  EXPECT_EQ(Find(c, "compute", "fp32 fma AVX3, 1 thread"), nullptr);
  ASSERT_EQ(c.only_a.size(), 1u);
  EXPECT_EQ(c.only_a[0], "compute: fp32 fma AVX3, 1 thread");
  ASSERT_EQ(c.only_b.size(), 1u);
  EXPECT_EQ(c.only_b[0], "compute: fp32 fma AVX3, 4 threads");
  // Geometric mean of bandwidth: 8 of 32 ceilings doubled -> 2^(8/32).
  bool found = false;
  for (const auto& s : c.summary) {
    if (s.section != "bandwidth") continue;
    found = true;
    EXPECT_EQ(s.count, 32);
    EXPECT_NEAR(s.geomean_ratio, std::pow(2.0, 8.0 / 32), 1e-12);
  }
  EXPECT_TRUE(found);
  const std::string text = ComparisonText(c, false);
  EXPECT_NE(text.find("A = a.json"), std::string::npos);
  EXPECT_NE(text.find("2.00x"), std::string::npos);
  EXPECT_NE(text.find("only in A:"), std::string::npos);
}

TEST(CompareKernels, SpeedupFromTimeAndWhatChanged) {
  const Machine m = SmallMachine();
  const KernelsFile a = SampleKernels(m);
  KernelsFile b = a;
  b.results[0].seconds /= 2;  // twice as fast
  b.results[0].gflops *= 2;
  b.results[0].bound = "L3";
  b.results[1].flops *= 2;  // a different count (counters vs model): ratio still from time
  b.results[1].flops_source = "counters";
  b.results.pop_back();  // the 1-thread run: only in A
  const Comparison c = CompareKernels(a, b, "a.json", "b.json");
  EXPECT_EQ(c.kind, "kernels");
  ASSERT_EQ(c.rows.size(), 4u);
  const CompareRow* r0 = Find(c, "kernel", "gemv_f32 m=1,n=4096,k=4096, 2 threads");
  ASSERT_NE(r0, nullptr);
  EXPECT_DOUBLE_EQ(r0->ratio, 2);
  EXPECT_NE(r0->note.find("bound DRAM -> L3"), std::string::npos);
  const CompareRow* r1 = Find(c, "kernel", "gemv_q8_0 m=1,n=4096,k=4096, 2 threads");
  ASSERT_NE(r1, nullptr);
  EXPECT_DOUBLE_EQ(r1->ratio, 1);
  EXPECT_NE(r1->note.find("flops model -> counters"), std::string::npos);
  EXPECT_NE(r1->note.find("ratio from time"), std::string::npos);
  ASSERT_EQ(c.only_a.size(), 1u);
  EXPECT_EQ(c.only_a[0], "kernel: gemv_f32 m=1,n=4096,k=4096, 1 thread");
}

TEST(CompareKernels, RepeatedKeysPairInOrder) {
  const Machine m = SmallMachine();
  KernelsFile a = SampleKernels(m);
  a.results.resize(1);
  a.results.push_back(a.results[0]);
  a.results[1].seconds *= 4;
  KernelsFile b = a;
  b.results.resize(1);
  const Comparison c = CompareKernels(a, b, "a", "b");
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(c.rows[0].ratio, 1);
  ASSERT_EQ(c.only_a.size(), 1u);
  EXPECT_NE(c.only_a[0].find("#2"), std::string::npos);
}

TEST(CompareJson, ParsesBackWithSchemaAndNulls) {
  const Machine m = SmallMachine();
  Machine b = m;
  b.bandwidth[0].gbps = 0;  // ratio cannot be formed: null
  const std::string j = ComparisonJson(CompareMachines(m, b, "a", "b"));
  const Json doc = Json::parse(j);
  EXPECT_EQ(doc["schema"], kCompareSchema);
  EXPECT_EQ(doc["kind"], "machine");
  EXPECT_EQ(doc["a"]["file"], "a");
  ASSERT_TRUE(doc["rows"].is_array());
  bool null_ratio = false;
  for (const auto& r : doc["rows"]) {
    EXPECT_TRUE(r.contains("section") && r.contains("key") && r.contains("unit"));
    null_ratio |= r["ratio"].is_null();
  }
  EXPECT_TRUE(null_ratio);
  const Json two =
      Json::parse(ComparisonsJson({CompareMachines(m, m, "a", "b"),
                                   CompareKernels(SampleKernels(m), SampleKernels(m), "c", "d")}));
  ASSERT_EQ(two["comparisons"].size(), 2u);
}

TEST(CompareFiles, DetectsKindsAndRejectsMixtures) {
  const testing_report::ScopedTempDir tmp;
  const std::string dir = tmp.path();
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  for (const char* sub : {"/a", "/b"}) {
    ASSERT_EQ(::mkdir((dir + sub).c_str(), 0755), 0);
    std::ofstream(dir + sub + "/machine.json") << MachineToJsonText(m);
    std::ofstream(dir + sub + "/kernels.json") << KernelsToJsonText(k);
  }
  const auto one = CompareFiles(dir + "/a/machine.json", dir + "/b/machine.json");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].kind, "machine");
  EXPECT_TRUE(one[0].only_a.empty() && one[0].only_b.empty());
  for (const auto& r : one[0].rows) {
    if (std::isfinite(r.ratio)) {
      EXPECT_DOUBLE_EQ(r.ratio, 1) << r.key;
    }
  }
  EXPECT_EQ(CompareFiles(dir + "/a/kernels.json", dir + "/b/kernels.json")[0].kind, "kernels");
  const auto both = CompareFiles(dir + "/a", dir + "/b");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].kind, "kernels");
  const std::string text = ComparisonsText(both, false);
  EXPECT_NE(text.find("Comparing machines"), std::string::npos);
  EXPECT_NE(text.find("Comparing kernel results"), std::string::npos);
  EXPECT_THROW(CompareFiles(dir + "/a/machine.json", dir + "/b/kernels.json"), UsageError);
  EXPECT_THROW(CompareFiles(dir + "/a", dir + "/b/kernels.json"), UsageError);
  EXPECT_THROW(CompareFiles(dir + "/a/missing.json", dir + "/b/machine.json"), UsageError);
  std::ofstream(dir + "/other.json") << "{\"schema\": \"something/1\"}";
  EXPECT_THROW(CompareFiles(dir + "/other.json", dir + "/other.json"), UsageError);
  ASSERT_EQ(::mkdir((dir + "/empty").c_str(), 0755), 0);
  EXPECT_THROW(CompareFiles(dir + "/empty", dir + "/a"), UsageError);
}

// Golden files: regenerate as described at the top of report_test_util.h.
TEST(CompareGolden, SmallFixture) {
  const Machine a = SmallMachine();
  Machine b = a;
  b.cpu.model = "Other CPU";
  for (auto& x : b.compute) x.gflops *= 1.25;
  for (auto& x : b.bandwidth) x.gbps *= x.level == "DRAM" ? 2 : 1;
  testing_report::ExpectGolden("compare-machines.txt",
                               ComparisonText(CompareMachines(a, b, "a.json", "b.json"), true));
  KernelsFile kb = SampleKernels(b);
  for (auto& r : kb.results) r.seconds /= 1.5;
  testing_report::ExpectGolden(
      "compare-kernels.json",
      ComparisonJson(CompareKernels(SampleKernels(a), kb, "a.json", "b.json")));
}

}  // namespace
}  // namespace report
}  // namespace roofprof
