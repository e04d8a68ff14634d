// Advice: the right rule fires for each cause, with numbers derived from the ceilings.
#include "src/advice.h"

#include <gtest/gtest.h>

#include "src/roofline.h"

namespace roofprof {
namespace {

Machine OneThreadMachine() {
  Machine m;
  m.cpu.clock_ghz = 3;
  m.caches = {
      {1, 48 << 10, 1, "hwloc", 0}, {2, 1 << 20, 1, "hwloc", 0}, {3, 32 << 20, 8, "hwloc", 0}};
  for (const int t : {1, 2}) {
    m.compute.push_back({"fp32", "AVX3", "fma", t, 200.0 * t, 0, 0, 0, "model"});
    m.compute.push_back({"fp32", "AVX2", "fma", t, 100.0 * t, 0, 0, 0, "model"});
    m.compute.push_back({"fp64", "AVX3", "fma", t, 100.0 * t, 0, 0, 0, "model"});
    m.bandwidth.push_back({"L1", "load", t, 400.0 * t, 0, 1, 0, "AVX3"});
    m.bandwidth.push_back({"L2", "load", t, 200.0 * t, 0, 1, 0, "AVX3"});
    m.bandwidth.push_back({"L3", "load", t, 100.0 * t, 0, 1, 0, "AVX3"});
    m.bandwidth.push_back({"DRAM", "load", t, 25, 0, 1, 0, "AVX3"});
  }
  return m;
}

KernelResult Classified(const Machine& m, const std::string& name, Shape shape, double flops,
                        std::array<double, 4> bytes, double seconds,
                        const std::string& isa = "AVX3") {
  KernelResult r;
  r.name = name;
  r.shape = std::move(shape);
  r.threads = 1;
  r.isa = isa;
  r.precision = "fp32";
  r.flops = flops;
  r.bytes = bytes;
  r.seconds = seconds;
  const auto c = Classify(flops, seconds, bytes, SelectCeilings(m, r.precision, 1, isa));
  r.bound = c.bound;
  r.efficiency = c.efficiency;
  r.ai = c.ai;
  r.bound_seconds = c.bound_seconds;
  return r;
}

bool Has(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(Advice, DecodeGemvGetsRidgeBatchAndFormat) {
  const Machine m = OneThreadMachine();
  // m=1, n=k=4096 f32: 2*16.8M flops over 67 MB: AI 0.5; ridge = 200/25 = 8 -> m = 16.
  const double n = 4096, k = 4096;
  const double w = 4 * n * k;
  const auto r = Classified(m, "gemv_f32", {{"m", 1}, {"n", 4096}, {"k", 4096}}, 2 * n * k,
                            {w, w, w, w}, w / 25e9 / 0.9);
  ASSERT_EQ(r.bound, "DRAM");
  const auto a = AdviseKernel(r, m, 1);
  EXPECT_TRUE(Has(a, "m=16 tokens")) << a[0];
  EXPECT_TRUE(Has(a, "bf16 weights would move 50% of the bytes"));
  EXPECT_FALSE(Has(a, "headroom"));  // 90% efficient: no gap to report
}

TEST(Advice, QuantizedFormatsSuggestTheNextOne) {
  const Machine m = OneThreadMachine();
  const double w = 18.0 / 32 * 4096 * 4096;
  auto r = Classified(m, "gemv_q8_0", {{"m", 1}, {"n", 4096}, {"k", 4096}}, 2.0 * 4096 * 4096,
                      {w, w, w, w}, w / 25e9);
  EXPECT_TRUE(Has(AdviseKernel(r, m, 1), "q4_0 weights would move 53%"));
  r.name = "gemv_q4_0";
  EXPECT_FALSE(Has(AdviseKernel(r, m, 1), "weights would move"));  // nothing narrower
}

TEST(Advice, AttentionDecodeTalksAboutKvNotBatch) {
  const Machine m = OneThreadMachine();
  const double kv = 2.0 * 8 * 2048 * 128 * 4;
  auto r = Classified(m, "attn_decode",
                      {{"batch", 1},
                       {"heads", 32},
                       {"kv_heads", 32},
                       {"head_dim", 128},
                       {"ctx", 2048},
                       {"kv_bits", 32}},
                      4.0 * 32 * 2048 * 128, {kv, kv, kv, kv}, kv / 25e9);
  auto a = AdviseKernel(r, m, 1);
  EXPECT_TRUE(Has(a, "f16 KV cache halves"));
  EXPECT_TRUE(Has(a, "GQA with kv_heads=8"));
  EXPECT_FALSE(Has(a, "tokens per weight pass"));
  r.shape = {{"batch", 1},      {"heads", 32}, {"kv_heads", 8},
             {"head_dim", 128}, {"ctx", 2048}, {"kv_bits", 16}};
  a = AdviseKernel(r, m, 1);
  EXPECT_TRUE(Has(a, "among 4 query heads"));
  EXPECT_FALSE(Has(a, "f16 KV cache halves"));
}

TEST(Advice, ComputeBoundOnNarrowIsa) {
  const Machine m = OneThreadMachine();
  // 1e9 flops on AVX2 (100 GFLOP/s roof) in 12.5 ms: 80% efficient, compute-bound.
  const auto r = Classified(m, "gemm_f32", {{"m", 512}, {"n", 512}, {"k", 512}}, 1e9,
                            {1e8, 1e7, 1e6, 1e6}, 0.0125, "AVX2");
  ASSERT_EQ(r.bound, "compute");
  const auto a = AdviseKernel(r, m, 1);
  EXPECT_TRUE(Has(a, "ran on AVX2")) << (a.empty() ? "" : a[0]);
  EXPECT_TRUE(Has(a, "(2.0x)"));
}

TEST(Advice, FarUnderRoofNamesTheGapThreadsAndFusion) {
  const Machine m = OneThreadMachine();
  const double w = 4.0 * 11008 * 4096;
  const auto r = Classified(m, "ffn_swiglu_unfused", {{"m", 1}, {"n", 11008}, {"k", 4096}},
                            4.0 * 11008 * 4096, {w, w, w, w}, 4 * w / 25e9);
  const auto a = AdviseKernel(r, m, 2);
  EXPECT_TRUE(Has(a, "25% of its DRAM roof: 4.0x headroom"));
  EXPECT_TRUE(Has(a, "uses 1 of 2 usable CPUs"));
  EXPECT_TRUE(Has(a, "ffn_swiglu_fused"));
}

TEST(Advice, InnerLevelBoundSuggestsBlocking) {
  const Machine m = OneThreadMachine();
  const auto r = Classified(m, "gemm_f32", {{"m", 64}, {"n", 64}, {"k", 64}}, 1e6,
                            {1e7, 1e8, 1e6, 0}, 1e8 / 200e9);
  ASSERT_EQ(r.bound, "L2");
  EXPECT_TRUE(Has(AdviseKernel(r, m, 1), "tiles that stay in L1 (48 KiB)"));
}

TEST(Advice, CacheResidentDataReadOnceNeedsFewerBytesNotBlocking) {
  const Machine m = OneThreadMachine();
  const double w = 4.0 * 512 * 256;  // 512 KiB of f32 weights resident in L2
  auto r = Classified(m, "gemv_f32", {{"m", 1}, {"n", 512}, {"k", 256}}, 2.0 * 512 * 256,
                      {w, w, 0, 0}, w / 200e9 / 0.9);
  r.compulsory_bytes = w;
  ASSERT_EQ(r.bound, "L2");
  const auto a = AdviseKernel(r, m, 1);
  EXPECT_TRUE(Has(a, "stays in L2 between runs and crosses it once per run")) << a.front();
  EXPECT_FALSE(Has(a, "tiles that stay in L1"));
}

TEST(Advice, CacheResidentDataNamesWhereItLivesBesideWhatBindsIt) {
  // 24 MiB of weights live in L3 between runs; L2's roof binds (a probe that measured L3 as
  // fast as L2), so the data crosses L2 once but does not stay there.
  Machine m = OneThreadMachine();
  for (auto& b : m.bandwidth) {
    if (b.level == "L3") b.gbps = 201.0 * b.threads;
  }
  const double w = 24.0 * 1024 * 1024;
  auto r = Classified(m, "gemv_f32", {{"m", 1}, {"n", 4096}, {"k", 1536}}, w / 4, {w, w, w, 0},
                      w / 100e9);
  r.compulsory_bytes = w;
  ASSERT_EQ(r.bound, "L2");
  const auto a = AdviseKernel(r, m, 1);
  EXPECT_TRUE(Has(a, "its data (24 MiB) stays in L3 between runs and crosses L2 once per run"))
      << a.front();
  EXPECT_FALSE(Has(a, "stays in L2"));
}

TEST(Advice, ShortMultiThreadedRunsNameTheFixedCost) {
  const Machine m = OneThreadMachine();
  const double w = 4.0 * 512 * 256;
  auto r = Classified(m, "gemv_f32", {{"m", 1}, {"n", 512}, {"k", 256}}, 2.0 * 512 * 256,
                      {w, w, 0, 0}, 10e-6);
  r.threads = 2;
  EXPECT_TRUE(Has(AdviseKernel(r, m, 2), "a run takes 10.0 us: starting and joining 2 threads"));
  r.seconds = 1e-3;  // long runs: no such line
  EXPECT_FALSE(Has(AdviseKernel(r, m, 2), "starting and joining"));
}

}  // namespace
}  // namespace roofprof
