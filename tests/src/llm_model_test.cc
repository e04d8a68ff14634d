// LLM analysis: parameter and byte counts against published sizes, and the roofline algebra.
#include "src/llm_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "src/error.h"

namespace roofprof {
namespace {

Machine Simple() {
  Machine m;
  m.compute.push_back({"fp32", "AVX3", "fma", 1, 200, 200, 0, 0, "model"});
  m.bandwidth.push_back({"DRAM", "load", 1, 25, 25, 1, 0, "AVX3"});
  return m;
}

TEST(LlmModel, ParameterCountsMatchPublishedSizes) {
  // Llama 2 7B: 6.74 B parameters = matmul weights + the 32000 x 4096 embedding table.
  const LlmCounts c = CountLlm(*FindLlmPreset("llama2-7b"), "bf16", "f16");
  EXPECT_NEAR((c.params_matmul + 32000.0 * 4096) / 1e9, 6.74, 0.01);
  EXPECT_DOUBLE_EQ(c.weight_bytes, 2 * c.params_matmul);
  // KV per token: 32 layers x (K and V) x 32 heads x 128 x 2 bytes = 512 KiB.
  EXPECT_DOUBLE_EQ(c.kv_bytes_per_token, 512 * 1024);
  // Llama 3 8B: 8.03 B parameters with its 128256 x 4096 embedding; GQA 8 KV heads -> 128 KiB.
  const LlmCounts c3 = CountLlm(*FindLlmPreset("llama3-8b"), "q4_0", "f16");
  EXPECT_NEAR((c3.params_matmul + 128256.0 * 4096) / 1e9, 8.03, 0.01);
  EXPECT_DOUBLE_EQ(c3.kv_bytes_per_token, 128 * 1024);
  EXPECT_DOUBLE_EQ(c3.weight_bytes, c3.params_matmul * 18 / 32);
}

TEST(LlmModel, DecodeAlgebra) {
  LlmSpec s{"tiny", 1, 64, 128, 4, 4, 16, 100};
  const auto a = AnalyzeLlm(s, "f32", "f32", {1, 1000}, 10, 0, Simple(), 1);
  ASSERT_EQ(a.points.size(), 2u);
  const LlmCounts c = a.counts;
  // params: q,k,v,o = 4*64*64, ffn 3*64*128, head 100*64.
  EXPECT_DOUBLE_EQ(c.params_matmul, 4 * 64 * 64 + 3 * 64 * 128 + 100 * 64);
  const auto& d1 = a.points[0];
  EXPECT_DOUBLE_EQ(d1.flops, 2 * c.params_matmul + 4.0 * 4 * 16 * 10);
  EXPECT_DOUBLE_EQ(d1.dram_bytes, c.weight_bytes + 11 * c.kv_bytes_per_token);
  EXPECT_EQ(d1.bound, "DRAM");
  EXPECT_DOUBLE_EQ(d1.seconds, d1.dram_bytes / 25e9);
  EXPECT_DOUBLE_EQ(a.ridge, 8);
  // At the ridge batch, intensity equals the ridge.
  ASSERT_GT(a.ridge_batch, 0);
  const double B = a.ridge_batch;
  const double a_seq = 2 * c.params_matmul + 4.0 * 4 * 16 * 10;
  const double kv_seq = 11 * c.kv_bytes_per_token;
  EXPECT_NEAR(B * a_seq / (c.weight_bytes + B * kv_seq), a.ridge, 1e-9);
  EXPECT_EQ(a.points[1].bound, "compute");
}

TEST(LlmModel, LongContextNeverReachesRidge) {
  // MHA with a long f32 context: KV reads cap the intensity below the ridge.
  LlmSpec s{"kv-heavy", 2, 64, 128, 8, 8, 8, 100};
  const auto a = AnalyzeLlm(s, "f32", "f32", {1, 4096}, 100000, 0, Simple(), 1);
  EXPECT_EQ(a.ridge_batch, 0);
  EXPECT_LT(a.ai_limit, a.ridge);
  EXPECT_EQ(a.points.back().bound, "DRAM");
  bool said = false;
  for (const auto& x : a.advice)
    said = said || x.find("memory-bound at any batch") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(LlmModel, PrefillIsCausal) {
  LlmSpec s{"tiny", 1, 64, 128, 4, 4, 16, 100};
  const auto a = AnalyzeLlm(s, "f32", "f16", {1}, 10, 8, Simple(), 1);
  const auto& p = a.points.back();
  ASSERT_EQ(p.phase, "prefill");
  // QK^T and PV over sum_{i<8} (i+1) = 36 key positions per head: 2 * 2 * 16 * 36 * 4 heads.
  EXPECT_DOUBLE_EQ(p.flops, 8 * 2 * a.counts.params_matmul + 2.0 * 2 * 16 * 36 * 4);
}

TEST(LlmModel, RejectsBadSpecs) {
  LlmSpec s{"bad", 1, 64, 128, 6, 4, 16, 100};
  EXPECT_THROW(ValidateLlmSpec(s), UsageError);  // 4 does not divide 6
  s.kv_heads = 0;
  EXPECT_THROW(ValidateLlmSpec(s), UsageError);
  LlmSpec ok{"ok", 1, 64, 128, 4, 4, 16, 100};
  EXPECT_THROW(AnalyzeLlm(ok, "q3_k", "f16", {1}, 10, 0, Simple(), 1), UsageError);
  EXPECT_THROW(AnalyzeLlm(ok, "f32", "q4_0", {1}, 10, 0, Simple(), 1), UsageError);
  EXPECT_THROW(AnalyzeLlm(ok, "f32", "f16", {1}, 10, 0, Machine{}, 1), UsageError);
  EXPECT_EQ(FindLlmPreset("gpt-5"), nullptr);
}

}  // namespace
}  // namespace roofprof
