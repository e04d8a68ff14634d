// Transformer FLOP and byte counts per decode/prefill step, and where they sit on a roofline.
#include "src/llm_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/error.h"
#include "src/json_util.h"
#include "src/roofline.h"
#include "src/units.h"
#include "src/version.h"

namespace roofprof {
namespace {

// Published model configurations (config.json of each release).
const LlmSpec kPresets[] = {
    {"tinyllama-1.1b", 22, 2048, 5632, 32, 4, 64, 32000},
    {"llama2-7b", 32, 4096, 11008, 32, 32, 128, 32000},
    {"llama2-13b", 40, 5120, 13824, 40, 40, 128, 32000},
    {"llama2-70b", 80, 8192, 28672, 64, 8, 128, 32000},
    {"llama3-8b", 32, 4096, 14336, 32, 8, 128, 128256},
    {"llama3-70b", 80, 8192, 28672, 64, 8, 128, 128256},
    {"mistral-7b", 32, 4096, 14336, 32, 8, 128, 32000},
    {"qwen2.5-7b", 28, 3584, 18944, 28, 4, 128, 152064},
};

std::string Gb(double bytes) { return FormatRate(bytes / 1e9) + " GB"; }

}  // namespace

const LlmSpec* FindLlmPreset(const std::string& name) {
  for (const auto& p : kPresets) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> LlmPresetNames() {
  std::vector<std::string> n;
  for (const auto& p : kPresets) n.push_back(p.name);
  return n;
}

void ValidateLlmSpec(const LlmSpec& s) {
  const std::pair<const char*, int64_t> dims[] = {
      {"--layers", s.layers}, {"--hidden", s.hidden},     {"--ffn", s.ffn},
      {"--heads", s.heads},   {"--kv-heads", s.kv_heads}, {"--head-dim", s.head_dim},
      {"--vocab", s.vocab}};
  for (const auto& [name, v] : dims) {
    if (v <= 0)
      throw UsageError(std::string(name) + ": missing (give a --preset or every dimension)");
  }
  if (s.heads % s.kv_heads != 0) {
    throw UsageError(fmt::format("--kv-heads: {} does not divide --heads {}", s.kv_heads, s.heads));
  }
}

double StorageBytesPerElement(const std::string& format) {
  if (format == "f32") return 4;
  if (format == "bf16" || format == "f16") return 2;
  if (format == "q8_0") return 34.0 / 32;  // 32 int8 weights + an fp16 scale
  if (format == "q4_0") return 18.0 / 32;  // 32 4-bit weights + an fp16 scale
  return 0;
}

LlmCounts CountLlm(const LlmSpec& s, const std::string& weights, const std::string& kv) {
  LlmCounts c;
  const double h = static_cast<double>(s.hidden);
  const double q = static_cast<double>(s.heads * s.head_dim);
  const double k = static_cast<double>(s.kv_heads * s.head_dim);
  const double per_layer = h * q + 2 * h * k + q * h + 3 * h * static_cast<double>(s.ffn);
  c.params_matmul = static_cast<double>(s.layers) * per_layer + static_cast<double>(s.vocab) * h;
  c.weight_bytes = c.params_matmul * StorageBytesPerElement(weights);
  c.kv_bytes_per_token = static_cast<double>(s.layers) * 2 * k * StorageBytesPerElement(kv);
  return c;
}

LlmAnalysis AnalyzeLlm(const LlmSpec& spec, const std::string& weights, const std::string& kv,
                       const std::vector<int64_t>& batches, int64_t context, int64_t prompt,
                       const Machine& m, int threads) {
  ValidateLlmSpec(spec);
  if (StorageBytesPerElement(weights) == 0) {
    throw UsageError("--weights: '" + weights + "' is not one of f32, bf16, f16, q8_0, q4_0");
  }
  if (kv != "f32" && kv != "f16" && kv != "bf16") {
    throw UsageError("--kv: '" + kv + "' is not one of f32, f16, bf16");
  }
  LlmAnalysis a;
  a.spec = spec;
  a.weights = weights;
  a.kv = kv;
  a.counts = CountLlm(spec, weights, kv);
  const Ceilings c = SelectCeilings(m, "fp32", threads);
  a.peak_gflops = c.compute_gflops;
  a.dram_gbps = c.gbps[3];
  a.compute_label = c.compute_label;
  a.dram_label = c.labels[3];
  if (a.peak_gflops <= 0 || a.dram_gbps <= 0) {
    throw UsageError(
        "the machine model has no fp32 compute or DRAM bandwidth ceiling to compare with");
  }
  a.ridge = a.peak_gflops / a.dram_gbps;
  const double L = static_cast<double>(spec.layers);
  const double attn_per_ctx = L * 4.0 * static_cast<double>(spec.heads * spec.head_dim);

  const auto place = [&](LlmPoint p) {
    p.ai = p.flops / p.dram_bytes;
    const double tc = p.flops / (a.peak_gflops * 1e9);
    const double tm = p.dram_bytes / (a.dram_gbps * 1e9);
    p.bound = tc > tm ? "compute" : "DRAM";
    p.seconds = std::max(tc, tm);
    p.tokens_per_second = static_cast<double>(p.tokens) / p.seconds;
    a.points.push_back(p);
  };
  for (const int64_t b : batches) {
    LlmPoint p;
    p.phase = "decode";
    p.batch = b;
    p.tokens = b;
    p.context = context;
    const double B = static_cast<double>(b);
    // Each sequence: every weight in a matrix product once (2 flops), plus QK^T and PV over
    // its context. Weights are read once per step for the whole batch; every sequence reads
    // its own KV cache and appends one token to it.
    p.flops = B * (2 * a.counts.params_matmul + attn_per_ctx * static_cast<double>(context));
    p.dram_bytes =
        a.counts.weight_bytes + B * static_cast<double>(context + 1) * a.counts.kv_bytes_per_token;
    place(p);
  }
  if (prompt > 0) {
    LlmPoint p;
    p.phase = "prefill";
    p.tokens = prompt;
    p.context = prompt;
    const double P = static_cast<double>(prompt);
    // Causal attention: query i sees i+1 keys, so QK^T and PV cost 2*head_dim*P*(P+1)/2 each
    // per head. Traffic: weights once, the new KV written, and the residual stream (f32)
    // written and read once per layer.
    p.flops = P * 2 * a.counts.params_matmul +
              L * static_cast<double>(spec.heads * spec.head_dim) * 2 * P * (P + 1);
    p.dram_bytes = a.counts.weight_bytes + P * a.counts.kv_bytes_per_token +
                   L * 2 * P * static_cast<double>(spec.hidden) * 4;
    place(p);
  }
  // Ridge batch: B*a_seq / (W + B*kv_seq) = ridge, with a_seq and kv_seq per sequence.
  const double a_seq = 2 * a.counts.params_matmul + attn_per_ctx * static_cast<double>(context);
  const double kv_seq = static_cast<double>(context + 1) * a.counts.kv_bytes_per_token;
  a.ai_limit = kv_seq > 0 ? a_seq / kv_seq : 0;
  a.ridge_batch =
      a_seq > a.ridge * kv_seq ? a.ridge * a.counts.weight_bytes / (a_seq - a.ridge * kv_seq) : 0;

  // Advice, with numbers.
  const LlmPoint* d1 = nullptr;
  for (const auto& p : a.points) {
    if (p.phase == "decode" && (d1 == nullptr || p.batch < d1->batch)) d1 = &p;
  }
  if (d1 != nullptr && d1->bound == "DRAM") {
    a.advice.push_back(fmt::format(
        "decode at batch {} reads {} of weights and {} of KV per step: at most {} tokens/s at "
        "{} GB/s",
        d1->batch, Gb(a.counts.weight_bytes), Gb(static_cast<double>(d1->batch) * kv_seq),
        FormatRate(d1->tokens_per_second), FormatRate(a.dram_gbps)));
    const char* narrower = weights == "f32"                          ? "bf16"
                           : (weights == "bf16" || weights == "f16") ? "q8_0"
                           : weights == "q8_0"                       ? "q4_0"
                                                                     : nullptr;
    if (narrower != nullptr) {
      const double ratio = StorageBytesPerElement(narrower) / StorageBytesPerElement(weights);
      const double t = (a.counts.weight_bytes * ratio + static_cast<double>(d1->batch) * kv_seq) /
                       (a.dram_gbps * 1e9);
      a.advice.push_back(fmt::format("{} weights: {} instead of {} per step ({:.1f}x the tokens/s)",
                                     narrower, FormatRate(t * 1e3) + " ms",
                                     FormatRate(d1->seconds * 1e3) + " ms", d1->seconds / t));
    }
  }
  if (a.ridge_batch > 0) {
    a.advice.push_back(fmt::format(
        "decode turns compute-bound at a batch of about {:.0f} sequences (context {}): below that, "
        "batching and speculative verification of drafted tokens cost almost no extra time per "
        "step",
        std::ceil(a.ridge_batch), context));
  } else {
    a.advice.push_back(fmt::format(
        "with context {}, KV reads cap decode at {} FLOP/byte, below the ridge ({}): decode stays "
        "memory-bound at any batch; a shorter context, fewer KV heads or a narrower KV format "
        "moves it",
        context, FormatRate(a.ai_limit), FormatRate(a.ridge)));
  }
  if (spec.kv_heads < spec.heads) {
    a.advice.push_back(
        fmt::format("GQA: {} query heads share each KV head, {}x less KV traffic than MHA",
                    spec.heads / spec.kv_heads, spec.heads / spec.kv_heads));
  }
  if (kv == "f32") a.advice.push_back("an f16 KV cache would halve the KV bytes");
  return a;
}

std::string LlmAnalysisJson(const LlmAnalysis& a) {
  OrderedJson j;
  j["schema"] = "roofprof.model/1";
  j["tool"] = {{"name", "roofprof"}, {"version", kVersion}};
  j["model"] = {{"name", a.spec.name},         {"layers", a.spec.layers},
                {"hidden", a.spec.hidden},     {"ffn", a.spec.ffn},
                {"heads", a.spec.heads},       {"kv_heads", a.spec.kv_heads},
                {"head_dim", a.spec.head_dim}, {"vocab", a.spec.vocab},
                {"weights", a.weights},        {"kv", a.kv}};
  j["counts"] = {{"params_matmul", a.counts.params_matmul},
                 {"weight_bytes", a.counts.weight_bytes},
                 {"kv_bytes_per_token", a.counts.kv_bytes_per_token},
                 {"source", "model"}};
  j["ceilings"] = {{"compute_gflops", a.peak_gflops},
                   {"compute", a.compute_label},
                   {"dram_gbps", a.dram_gbps},
                   {"dram", a.dram_label},
                   {"ridge", a.ridge},
                   {"source", "measured"}};
  OrderedJson pts = OrderedJson::array();
  for (const auto& p : a.points) {
    pts.push_back({{"phase", p.phase},
                   {"batch", p.batch},
                   {"tokens", p.tokens},
                   {"context", p.context},
                   {"flops", p.flops},
                   {"dram_bytes", p.dram_bytes},
                   {"ai", p.ai},
                   {"bound", p.bound},
                   {"seconds", p.seconds},
                   {"tokens_per_second", p.tokens_per_second},
                   {"flops_source", "model"},
                   {"bytes_source", "model"}});
  }
  j["points"] = pts;
  j["ridge_batch"] = NumberOrNull(a.ridge_batch > 0 ? a.ridge_batch : std::nan(""));
  j["ai_limit"] = a.ai_limit;
  j["advice"] = a.advice;
  return DumpJson(j);
}

std::string LlmAnalysisText(const LlmAnalysis& a) {
  std::string s = fmt::format(
      "Model {}: {} B matmul parameters, {} weights = {}, {} KV = {} per token\n",
      a.spec.name.empty() ? "custom" : a.spec.name, FormatRate(a.counts.params_matmul / 1e9),
      a.weights, FormatBytes(a.counts.weight_bytes), a.kv,
      FormatBytes(a.counts.kv_bytes_per_token));
  s += fmt::format("Roofs (measured): {} GFLOP/s [{}], DRAM {} GB/s [{}], ridge {} FLOP/byte\n",
                   FormatRate(a.peak_gflops), a.compute_label, FormatRate(a.dram_gbps),
                   a.dram_label, FormatRate(a.ridge));
  s += "FLOPs and bytes: model (analytic); times are lower bounds, tokens/s upper bounds\n";
  s += fmt::format("  {:<8} {:>6} {:>7} {:>9} {:>9} {:>7} {:<8} {:>10} {:>10}\n", "phase", "batch",
                   "context", "GFLOP", "GB", "AI", "bound", "time ms", "tokens/s");
  for (const auto& p : a.points) {
    s += fmt::format("  {:<8} {:>6} {:>7} {:>9} {:>9} {:>7} {:<8} {:>10} {:>10}\n",
                     p.phase == "prefill" ? "prefill" : "decode", p.batch, p.context,
                     FormatRate(p.flops / 1e9), FormatRate(p.dram_bytes / 1e9), FormatRate(p.ai),
                     p.bound, FormatRate(p.seconds * 1e3), FormatRate(p.tokens_per_second));
  }
  s += "Advice\n";
  for (const auto& x : a.advice) s += "  - " + x + "\n";
  return s;
}

}  // namespace roofprof
