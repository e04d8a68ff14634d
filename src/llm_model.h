// LLM inference on the roofline: per-step FLOPs and bytes of a transformer's decode and
// prefill from its dimensions, placed against a machine's measured ceilings.
#ifndef ROOFPROF_SRC_LLM_MODEL_H_
#define ROOFPROF_SRC_LLM_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/machine.h"

namespace roofprof {

struct LlmSpec {
  std::string name;
  int64_t layers = 0;
  int64_t hidden = 0;
  int64_t ffn = 0;  // intermediate size of the (gated) FFN
  int64_t heads = 0;
  int64_t kv_heads = 0;  // == heads: MHA; < heads: GQA; 1: MQA
  int64_t head_dim = 0;
  int64_t vocab = 0;
};

// Known presets ("llama2-7b", "llama3-8b", ...); nullptr when unknown.
const LlmSpec* FindLlmPreset(const std::string& name);
std::vector<std::string> LlmPresetNames();
// Throws UsageError naming the first dimension that is missing or inconsistent.
void ValidateLlmSpec(const LlmSpec& s);

// Bytes per stored weight / KV element for a format name: f32, bf16, f16, q8_0, q4_0.
// Returns 0 for unknown names.
double StorageBytesPerElement(const std::string& format);

struct LlmCounts {
  double params_matmul = 0;       // weights that take part in matrix products per token
  double weight_bytes = 0;        // all matrix weights in the chosen format
  double kv_bytes_per_token = 0;  // K and V for one token across all layers
};
LlmCounts CountLlm(const LlmSpec& s, const std::string& weights, const std::string& kv);

struct LlmPoint {
  std::string phase;   // "decode" or "prefill"
  int64_t batch = 1;   // sequences decoded together (decode) or 1 (prefill)
  int64_t tokens = 1;  // tokens processed per step: batch (decode) or the prompt length (prefill)
  int64_t context = 0;
  double flops = 0;
  double dram_bytes = 0;
  double ai = 0;
  std::string bound;             // "compute" or "DRAM"
  double seconds = 0;            // lower bound on the step's time
  double tokens_per_second = 0;  // upper bound
};

struct LlmAnalysis {
  LlmSpec spec;
  std::string weights, kv;
  LlmCounts counts;
  double peak_gflops = 0, dram_gbps = 0, ridge = 0;
  std::string compute_label, dram_label;
  std::vector<LlmPoint> points;
  double ridge_batch = 0;  // decode batch where AI reaches the ridge; 0 = never (KV-limited)
  double ai_limit = 0;     // decode AI as batch -> infinity (set by the KV reads)
  std::vector<std::string> advice;
};

// Decode at each batch in `batches` with `context` tokens of KV per sequence, and prefill of
// `prompt` tokens, against the ceilings of `m` for `threads` threads (fp32 arithmetic: narrow
// weights are widened before the FMAs, as in roofprof's kernels).
LlmAnalysis AnalyzeLlm(const LlmSpec& spec, const std::string& weights, const std::string& kv,
                       const std::vector<int64_t>& batches, int64_t context, int64_t prompt,
                       const Machine& m, int threads);

// roofprof.model/1 JSON and a text table.
std::string LlmAnalysisJson(const LlmAnalysis& a);
std::string LlmAnalysisText(const LlmAnalysis& a);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_LLM_MODEL_H_
