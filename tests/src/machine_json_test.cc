// machine.json: round trip, schema checks, and clear errors for bad files.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "src/error.h"
#include "src/json_util.h"
#include "src/machine.h"

namespace roofprof {
namespace {

Machine Sample() {
  Machine m;
  m.created = "2026-01-01T00:00:00Z";
  m.tool_version = "0.1.0";
  m.cpu.model = "Test CPU";
  m.cpu.logical_cpus = 4;
  m.cpu.cores = 2;
  m.cpu.available_cpus = 2;
  m.cpu.clock_ghz = 3.5;
  m.cpu.clock_all_ghz = 3.3;
  m.cpu.all_threads = 2;
  m.cpu.targets = {"AVX3", "AVX2"};
  m.caches = {
      {1, 49152, 1, "hwloc", 48000}, {2, 1 << 20, 1, "hwloc", 0}, {3, 32 << 20, 8, "sweep", 0}};
  ComputeCeiling c;
  c.precision = "fp32";
  c.isa = "AVX3";
  c.op = "fma";
  c.threads = 1;
  c.gflops = 200;
  c.median_gflops = 198;
  c.flops_per_cycle = 57.1;
  c.theoretical_gflops = std::nan("");
  m.compute.push_back(c);
  BandwidthCeiling b;
  b.level = "L1";
  b.kernel = "load";
  b.threads = 1;
  b.gbps = 400;
  b.median_gbps = 390;
  b.bytes = 24576;
  b.bytes_per_cycle = 114;
  b.isa = "AVX3";
  m.bandwidth.push_back(b);
  m.sweep.push_back({"load", 1, 4096, 410, 400});
  m.latency.push_back({4096, 1.2, 4.2});
  m.notes = {"a note"};
  return m;
}

TEST(MachineJson, RoundTrip) {
  const Machine m = Sample();
  const std::string text = MachineToJsonText(m);
  const Machine r = MachineFromJsonText(text, "m.json");
  EXPECT_EQ(r.cpu.model, "Test CPU");
  EXPECT_EQ(r.cpu.cores, 2);
  EXPECT_DOUBLE_EQ(r.cpu.clock_ghz, 3.5);
  EXPECT_DOUBLE_EQ(ClockFor(r, 2), 3.3);
  EXPECT_DOUBLE_EQ(ClockFor(r, 1), 3.5);
  ASSERT_EQ(r.caches.size(), 3u);
  EXPECT_EQ(r.caches[2].cores_sharing, 8);
  EXPECT_EQ(r.caches[0].detected_bytes, 48000u);
  ASSERT_EQ(r.compute.size(), 1u);
  EXPECT_DOUBLE_EQ(r.compute[0].gflops, 200);
  EXPECT_TRUE(std::isnan(r.compute[0].theoretical_gflops));  // null survives as "unknown"
  ASSERT_EQ(r.bandwidth.size(), 1u);
  EXPECT_EQ(r.bandwidth[0].bytes, 24576u);
  ASSERT_EQ(r.sweep.size(), 1u);
  ASSERT_EQ(r.latency.size(), 1u);
  EXPECT_EQ(r.notes.size(), 1u);
  // Writing again gives the same text: nothing lost or reordered.
  EXPECT_EQ(MachineToJsonText(r), text);
}

TEST(MachineJson, UnknownAllThreadClockRoundTrips) {
  Machine m = Sample();
  m.cpu.clock_all_ghz = 0;  // not measured (one-thread probe)
  const Machine r = MachineFromJsonText(MachineToJsonText(m), "m.json");
  EXPECT_EQ(r.cpu.clock_all_ghz, 0);
  EXPECT_DOUBLE_EQ(ClockFor(r, 2), r.cpu.clock_ghz);
}

TEST(MachineJson, ContractKeysPresent) {
  const Json j = Json::parse(MachineToJsonText(Sample()));
  EXPECT_EQ(j["schema"], "roofprof.machine/1");
  for (const char* k : {"model", "logical_cpus", "cores", "clock_ghz"})
    EXPECT_TRUE(j["cpu"].contains(k)) << k;
  for (const char* k : {"level", "size_bytes", "cores_sharing"})
    EXPECT_TRUE(j["caches"][0].contains(k)) << k;
  for (const char* k : {"precision", "isa", "op", "threads", "gflops", "theoretical_gflops"}) {
    EXPECT_TRUE(j["compute"][0].contains(k)) << k;
  }
  for (const char* k : {"level", "kernel", "threads", "gbps"})
    EXPECT_TRUE(j["bandwidth"][0].contains(k)) << k;
  for (const char* k : {"kernel", "threads", "bytes", "gbps"})
    EXPECT_TRUE(j["sweep"][0].contains(k)) << k;
  for (const char* k : {"bytes", "ns"}) EXPECT_TRUE(j["latency"][0].contains(k)) << k;
}

std::string ErrorOf(const std::string& text) {
  try {
    MachineFromJsonText(text, "bad.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(MachineJson, RejectsBadFilesWithPath) {
  const std::string good = MachineToJsonText(Sample());
  EXPECT_NE(ErrorOf("").find("bad.json: not valid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf(good.substr(0, good.size() / 2)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("[1,2]").find("expected an object"), std::string::npos);
  EXPECT_NE(ErrorOf("{}").find("schema"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"schema":"roofprof.kernels/1"})").find("is not roofprof.machine/1"),
            std::string::npos);
  Json j = Json::parse(good);
  j["compute"][0]["gflops"] = "fast";
  EXPECT_NE(ErrorOf(j.dump()).find("compute[0].gflops: expected a number"), std::string::npos);
  j = Json::parse(good);
  j["compute"][0]["gflops"] = -3;
  EXPECT_NE(ErrorOf(j.dump()).find("compute[0].gflops: value"), std::string::npos);
  j = Json::parse(good);
  j["bandwidth"][0]["level"] = "L7";
  EXPECT_NE(ErrorOf(j.dump()).find("bandwidth[0].level"), std::string::npos);
  j = Json::parse(good);
  j["cpu"].erase("cores");
  EXPECT_NE(ErrorOf(j.dump()).find("cpu.cores: missing"), std::string::npos);
  j = Json::parse(good);
  j["caches"][0]["size_bytes"] = 1.5;
  EXPECT_NE(ErrorOf(j.dump()).find("caches[0].size_bytes: expected an integer"), std::string::npos);
  j = Json::parse(good);
  j["compute"] = Json::array();
  j["bandwidth"] = Json::array();
  EXPECT_NE(ErrorOf(j.dump()).find("nothing to draw"), std::string::npos);
}

TEST(MachineJson, RejectsNumbersBeyondDouble) {
  // Found by fuzz_machine_json: the parser reports such a number as out of range, not as a
  // parse error; it must still be a one-line usage error, not an escaping exception.
  const std::string e = ErrorOf(R"({"schema":"roofprof.machine/1","x":3.7E110371798087})");
  EXPECT_NE(e.find("bad.json: not valid JSON (number overflow"), std::string::npos) << e;
}

TEST(MachineJson, RejectsDeepNesting) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_NE(ErrorOf(deep).find("nesting"), std::string::npos);
}

TEST(MachineJson, Lookups) {
  Machine m = Sample();
  ComputeCeiling c2 = m.compute[0];
  c2.isa = "AVX2";
  c2.gflops = 100;
  m.compute.push_back(c2);
  const ComputeCeiling* best = FindCompute(m, "fp32", "fma", 1);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->isa, "AVX3");
  EXPECT_EQ(FindCompute(m, "fp32", "fma", 1, "AVX2")->gflops, 100);
  EXPECT_EQ(FindCompute(m, "fp64", "fma", 1), nullptr);
  EXPECT_NE(FindBandwidth(m, "L1", "load", 1), nullptr);
  EXPECT_EQ(FindBandwidth(m, "L2", "load", 1), nullptr);
  EXPECT_EQ(CacheSize(m, 2), 1u << 20);
  EXPECT_EQ(CacheSize(m, 4), 0u);
  EXPECT_EQ(LevelFromName("DRAM"), 3);
  EXPECT_EQ(LevelFromName("L4"), -1);
  EXPECT_STREQ(LevelName(0), "L1");
}

TEST(MergeBestCeilings, KeepsTheBestOfTwoMeasurements) {
  Machine first = Sample();
  first.bandwidth.push_back({"DRAM", "load", 2, 28.7, 27.6, 1u << 29, 4.3, "AVX3"});
  first.sweep.push_back({"load", 1, 16384, 300, 290});
  first.sweep.push_back({"store", 1, 4096, 200, 190});
  Machine again = Sample();
  again.compute[0].gflops = 201;  // within 1%: taken, not reported
  again.bandwidth[0].gbps = 380;  // lower: the first one stays
  again.bandwidth.push_back({"DRAM", "load", 2, 57.9, 56.0, 1u << 28, 8.8, "AVX3"});
  again.bandwidth.push_back({"L2", "load", 1, 200, 190, 1u << 19, 57, "AVX3"});  // not in first
  again.sweep = {{"load", 1, 4096, 405, 400}, {"load", 1, 8192, 420, 410}};
  const std::vector<std::string> raised = MergeBestCeilings(&first, again);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0], "DRAM load, 2 threads: 28.7 -> 57.9 GB/s");
  EXPECT_DOUBLE_EQ(first.compute[0].gflops, 201);
  EXPECT_DOUBLE_EQ(first.bandwidth[0].gbps, 400);
  const BandwidthCeiling* dram = FindBandwidth(first, "DRAM", "load", 2);
  ASSERT_NE(dram, nullptr);
  EXPECT_DOUBLE_EQ(dram->gbps, 57.9);
  EXPECT_EQ(dram->bytes, 1u << 28);  // the measurement that gave the best rate, whole
  EXPECT_EQ(FindBandwidth(first, "L2", "load", 1), nullptr);  // only ceilings both have
  // Sweep: 4096 keeps 410 (higher than 405), 8192 joins its curve in size order, other
  // curves keep their place.
  ASSERT_EQ(first.sweep.size(), 4u);
  EXPECT_EQ(first.sweep[0].bytes, 4096u);
  EXPECT_DOUBLE_EQ(first.sweep[0].gbps, 410);
  EXPECT_EQ(first.sweep[1].bytes, 8192u);
  EXPECT_EQ(first.sweep[2].bytes, 16384u);
  EXPECT_EQ(first.sweep[3].kernel, "store");
  // Merging a measurement into itself changes nothing.
  const Machine before = first;
  EXPECT_TRUE(MergeBestCeilings(&first, before).empty());
  EXPECT_EQ(MachineToJsonText(first), MachineToJsonText(before));
}

}  // namespace
}  // namespace roofprof
