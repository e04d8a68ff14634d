// `roofprof model`: an LLM's decode and prefill on this machine's roofline, from its dimensions.
#include <iostream>

#include "src/cli/common.h"
#include "src/cli/verbs.h"
#include "src/error.h"
#include "src/io.h"
#include "src/llm_model.h"
#include "src/units.h"

namespace roofprof::cli {
namespace {

std::vector<int64_t> ParseList(const std::string& text, const std::string& what) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    out.push_back(ParseInt(item, 1, 1 << 20, what));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

class ModelVerb : public Verb {
 public:
  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "model",
        "Place an LLM's decode and prefill on this machine's roofline: FLOPs and bytes "
        "per step from its dimensions, time and tokens/s bounds, the batch that reaches "
        "the ridge, and what a weight or KV format would change.");
    sub->add_option("--preset", preset_, "a known model: " + Join(LlmPresetNames()));
    sub->add_option("--layers", spec_.layers, "transformer layers")->check(WholeNumberAtLeastOne());
    sub->add_option("--hidden", spec_.hidden, "hidden size")->check(WholeNumberAtLeastOne());
    sub->add_option("--ffn", spec_.ffn, "FFN intermediate size (gated, 3 matrices)")
        ->check(WholeNumberAtLeastOne());
    sub->add_option("--heads", spec_.heads, "attention heads")->check(WholeNumberAtLeastOne());
    sub->add_option("--kv-heads", spec_.kv_heads, "KV heads (GQA/MQA)")
        ->check(WholeNumberAtLeastOne());
    sub->add_option("--head-dim", spec_.head_dim, "head dimension")->check(WholeNumberAtLeastOne());
    sub->add_option("--vocab", spec_.vocab, "vocabulary size")->check(WholeNumberAtLeastOne());
    sub->add_option("--weights", weights_,
                    "weight format: f32, bf16, f16, q8_0, q4_0 (default q4_0)");
    sub->add_option("--kv", kv_, "KV cache format: f32, f16, bf16 (default f16)");
    sub->add_option("--batch", batch_, "decode batch sizes, comma-separated (default 1,4,16,64)");
    sub->add_option("--context", context_, "KV context length per sequence (default 2048)")
        ->check(WholeNumberAtLeastOne());
    sub->add_option("--prompt", prompt_, "prefill prompt length (default 512)")
        ->check(WholeNumberAtLeastOne());
    sub->add_option("--machine", machine_, "machine.json (default: a quick probe first)");
    sub->add_option("--threads", threads_, "threads (default: every usable CPU)")
        ->check(WholeNumberAtLeastOne());
    sub->add_option("--json", json_, "write the analysis here ('-' for stdout)");
    sub->add_flag("--quiet", quiet_, "no progress on stderr");
    return sub;
  }

  int Run() override {
    if (!json_.empty()) CheckWritablePath(json_, "--json");
    LlmSpec spec = spec_;
    if (!preset_.empty()) {
      const LlmSpec* p = FindLlmPreset(preset_);
      if (p == nullptr) {
        throw UsageError("--preset: unknown model '" + preset_ +
                         "' (known: " + Join(LlmPresetNames()) + ")");
      }
      spec = *p;
      // Explicit dimensions override the preset's.
      for (auto [dst, src] : {std::pair{&spec.layers, spec_.layers},
                              {&spec.hidden, spec_.hidden},
                              {&spec.ffn, spec_.ffn},
                              {&spec.heads, spec_.heads},
                              {&spec.kv_heads, spec_.kv_heads},
                              {&spec.head_dim, spec_.head_dim},
                              {&spec.vocab, spec_.vocab}}) {
        if (src > 0) *dst = src;
      }
    } else if (spec.layers == 0 && spec.hidden == 0) {
      throw UsageError(
          "give --preset NAME or the model's dimensions (--layers, --hidden, --ffn, "
          "--heads, --kv-heads, --head-dim, --vocab)");
    }
    ValidateLlmSpec(spec);
    const std::vector<int64_t> batches = ParseList(batch_, "--batch");
    const Topology topo = DetectTopology();
    const int threads = ResolveThreads(threads_, topo);
    Progress progress(quiet_);
    const Machine m = LoadOrProbeMachine(machine_, topo, threads, &progress, 1.0);
    progress.Finish();
    const LlmAnalysis a = AnalyzeLlm(spec, weights_, kv_, batches, context_, prompt_, m, threads);
    if (!json_.empty()) WriteOutput(json_, LlmAnalysisJson(a));
    if (json_ != "-") std::cout << LlmAnalysisText(a);
    return 0;
  }

 private:
  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  LlmSpec spec_;
  std::string preset_;
  std::string weights_ = "q4_0";
  std::string kv_ = "f16";
  std::string batch_ = "1,4,16,64";
  int64_t context_ = 2048;
  int64_t prompt_ = 512;
  std::string machine_;
  int threads_ = 0;
  std::string json_;
  bool quiet_ = false;
};

}  // namespace

std::unique_ptr<Verb> MakeModelVerb() { return std::make_unique<ModelVerb>(); }

}  // namespace roofprof::cli
