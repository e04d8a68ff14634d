// `roofprof kernels`: run LLM-style kernels and place them on the machine's roofline.
#include <fmt/format.h>

#include <iostream>
#include <sstream>

#include "kernels/workload.h"
#include "src/cli/common.h"
#include "src/cli/kernels_common.h"
#include "src/cli/verbs.h"
#include "src/console.h"
#include "src/error.h"
#include "src/io.h"
#include "src/kernel_runner.h"
#include "src/units.h"

namespace roofprof::cli {
namespace {

class KernelsVerb : public Verb {
 public:
  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "kernels",
        "Run LLM-style kernels (prefill GEMM, decode GEMV incl. quantized weights, "
        "attention with a KV cache, fused vs unfused FFN) and classify each on the "
        "roofline. Writes kernels.json (--json).");
    sub->add_option("--machine", machine_,
                    "machine.json from 'roofprof probe' (default: probe "
                    "what is needed first, quickly)");
    AddKernelOptions(sub, &opts_);
    sub->add_option("--json", json_, "write the results here ('-' for stdout)");
    sub->add_flag("--list", list_, "list the kernels, their dimensions and default shapes");
    sub->add_flag("--quiet", quiet_, "no progress on stderr");
    return sub;
  }

  int Run() override {
    if (!json_.empty()) CheckWritablePath(json_, "--json");
    if (list_) {
      std::cout << KernelListText();
      return 0;
    }
    const Topology topo = DetectTopology();
    // Input files first (cheap), then options, then a probe if no machine was given.
    Machine machine;
    if (!machine_.empty()) machine = LoadMachine(machine_);
    KernelRunOptions run = ResolveKernelOptions(opts_, topo);
    Progress progress(quiet_);
    if (machine_.empty()) machine = LoadOrProbeMachine("", topo, run.threads, &progress, 0.3);
    run.progress = [&](const std::string& s, double d) {
      progress.Update("kernels: " + s, machine_.empty() ? 0.3 + 0.7 * d : d);
    };
    KernelsFile results;
    try {
      RunKernels(machine, topo, run, &results);
    } catch (const Interrupted&) {
      progress.Finish();
      SavePartial(results, run.jobs.size());
      throw;
    }
    progress.Finish();
    if (!json_.empty()) WriteOutput(json_, KernelsToJsonText(results));
    if (json_ != "-") {
      std::cout << MachineContextText(machine) << "\n" << KernelsTableText(results);
      if (!json_.empty()) std::cout << "\nwrote " << json_ << "\n";
    }
    return 0;
  }

 private:
  void SavePartial(KernelsFile& results, size_t planned) {
    if (json_.empty() || json_ == "-" || results.results.empty()) return;
    results.notes.push_back(
        fmt::format("interrupted: {} of {} kernels completed", results.results.size(), planned));
    WriteOutput(json_, KernelsToJsonText(results));
    Say("kept the " + std::to_string(results.results.size()) + " completed result(s) in " + json_);
  }

  KernelCliOptions opts_;
  std::string machine_;
  std::string json_;
  bool list_ = false;
  bool quiet_ = false;
};

}  // namespace

std::unique_ptr<Verb> MakeKernelsVerb() { return std::make_unique<KernelsVerb>(); }

}  // namespace roofprof::cli
