// `roofprof probe`: measure the machine and write machine.json.
#include <cstdio>
#include <iostream>

#include "probes/probe.h"
#include "src/cli/common.h"
#include "src/cli/verbs.h"
#include "src/console.h"
#include "src/error.h"
#include "src/io.h"
#include "src/memory.h"
#include "src/units.h"

namespace roofprof::cli {
namespace {

class ProbeVerb : public Verb {
 public:
  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "probe",
        "Measure the machine: clock, peak FLOP/s per precision and SIMD target, "
        "bandwidth at every cache level from a working-set sweep, latency. Writes "
        "machine.json (--json).");
    sub->add_flag("--quick", quick_, "coarser and faster (about 15 s instead of about a minute)");
    sub->add_option("--threads", threads_, "the 'all threads' count (default: every usable CPU)")
        ->check(WholeNumberAtLeastOne());
    sub->add_option("--json", json_, "write the machine model here ('-' for stdout)");
    sub->add_option("--max-bytes", max_bytes_,
                    "largest working set for the sweeps, e.g. 512MiB (default: 4x the last-level "
                    "cache, within a third of available memory)");
    sub->add_flag("--quiet", quiet_, "no progress on stderr");
    return sub;
  }

  int Run() override {
    if (!json_.empty()) CheckWritablePath(json_, "--json");
    const Topology topo = DetectTopology();
    ProbeOptions opt;
    opt.quick = quick_;
    opt.threads = ResolveThreads(threads_, topo);
    if (!max_bytes_.empty()) opt.max_bytes = ParseProbeMaxBytes(max_bytes_);
    Progress progress(quiet_);
    opt.progress = progress.Callback();
    const Machine m = RunProbe(topo, opt);
    progress.Finish();
    if (!json_.empty()) WriteOutput(json_, MachineToJsonText(m));
    if (json_ != "-") {
      std::cout << MachineContextText(m) << "\n"
                << ComputeTableText(m) << "\n"
                << BandwidthTableText(m);
      if (!json_.empty()) std::cout << "\nwrote " << json_ << "\n";
    }
    return 0;
  }

 private:
  bool quick_ = false;
  bool quiet_ = false;
  int threads_ = 0;
  std::string json_;
  std::string max_bytes_;
};

}  // namespace

std::unique_ptr<Verb> MakeProbeVerb() { return std::make_unique<ProbeVerb>(); }

}  // namespace roofprof::cli
