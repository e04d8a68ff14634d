// `roofprof profile -- PROGRAM ARGS...`: run a program and place it (and its marked regions)
// on this machine's roofline.
#include <cmath>
#include <iostream>

#include "src/cli/common.h"
#include "src/cli/verbs.h"
#include "src/console.h"
#include "src/error.h"
#include "src/io.h"
#include "src/profile.h"
#include "src/units.h"

namespace roofprof::cli {
namespace {

class ProfileVerb : public Verb {
 public:
  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "profile",
        "Run a program (after '--') and place the whole run, and each region marked "
        "with the roofprof marker API, on the roofline. Counts come from you "
        "(--flops/--bytes, roofprof_region_add_work) and are labelled 'user'.");
    sub->add_option("--flops", flops_, "FLOPs the whole run performs (e.g. 2.4e12)")
        ->check(PositiveAmount());
    sub->add_option("--bytes", bytes_, "DRAM bytes the whole run moves (e.g. 48GB)");
    sub->add_option("--precision", precision_,
                    "arithmetic to compare with: fp32 (default) or fp64");
    sub->add_option("--threads", threads_, "threads the program uses (default: every usable CPU)")
        ->check(WholeNumberAtLeastOne());
    sub->add_option("--machine", machine_, "machine.json (default: a quick probe first)");
    sub->add_option("--json", json_,
                    "write results here (kernels.json layout, so 'roofprof "
                    "report --kernels' can draw them)");
    sub->add_flag("--quiet", quiet_, "no progress on stderr");
    sub->add_option("command", command_, "the program and its arguments (after '--')")
        ->expected(1, -1);
    return sub;
  }

  int Run() override {
    if (!json_.empty()) CheckWritablePath(json_, "--json");
    if (command_.empty())
      throw UsageError("profile: no command given (use: roofprof profile -- PROGRAM ARGS...)");
    if (precision_ != "fp32" && precision_ != "fp64") {
      throw UsageError("--precision: '" + precision_ + "' is not fp32 or fp64");
    }
    const Topology topo = DetectTopology();
    ProfileOptions opt;
    opt.command = command_;
    opt.flops = flops_;
    if (!bytes_.empty()) opt.dram_bytes = static_cast<double>(ParseSize(bytes_, "--bytes"));
    opt.precision = precision_;
    opt.threads = ResolveThreads(threads_, topo);
    Machine m;
    {
      Progress progress(quiet_);
      m = LoadOrProbeMachine(machine_, topo, opt.threads, &progress, 1.0);
    }
    const ChildRun run = RunChild(command_);
    CheckInterrupted();
    const KernelsFile results = ProfileResults(opt, run, m);
    if (!json_.empty()) WriteOutput(json_, KernelsToJsonText(results));
    if (json_ != "-") std::cout << KernelsTableText(results);
    if (run.exit_status != 0) {
      Say("the command exited with status " + std::to_string(run.exit_status));
      return kExitFailure;
    }
    return 0;
  }

 private:
  double flops_ = -1;
  std::string bytes_;
  std::string precision_ = "fp32";
  int threads_ = 0;
  std::string machine_;
  std::string json_;
  bool quiet_ = false;
  std::vector<std::string> command_;
};

}  // namespace

std::unique_ptr<Verb> MakeProfileVerb() { return std::make_unique<ProfileVerb>(); }

}  // namespace roofprof::cli
