// `roofprof report` and `roofprof compare`: charts and HTML from saved results, and ratios
// between two machines or two runs.
#include <iostream>

#include "src/cli/common.h"
#include "src/cli/verbs.h"
#include "src/error.h"
#include "src/io.h"
#include "src/report/compare.h"
#include "src/report/report.h"
#include "src/report/terminal.h"

namespace roofprof::cli {
namespace {

class ReportVerb : public Verb {
 public:
  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "report",
        "Draw the roofline (roofline.svg), the cache staircase (staircase.svg), "
        "latency (latency.svg) and a self-contained report.html, plus CSV tables, "
        "from machine.json and optionally kernels.json.");
    sub->add_option("--machine", machine_, "machine.json from 'roofprof probe'")->required();
    sub->add_option("--kernels", kernels_, "kernels.json from 'roofprof kernels' or 'profile'");
    sub->add_option("--out", out_, "output folder (created if needed)")->required();
    sub->add_flag("--terminal", terminal_, "also print the roofline in the terminal");
    return sub;
  }

  int Run() override {
    CheckCreatableDirectory(out_, "--out");
    const Machine m = LoadMachine(machine_);
    KernelsFile k;
    if (!kernels_.empty()) k = LoadKernels(kernels_);
    EnsureDirectory(out_);
    const std::vector<std::string> written = WriteReport(m, kernels_.empty() ? nullptr : &k, out_);
    if (terminal_) {
      std::cout << TerminalRoofline(m, kernels_.empty() ? nullptr : &k, 100, 24, UnicodeLocale())
                << "\n";
    }
    for (const auto& f : written) std::cout << "wrote " << f << "\n";
    return 0;
  }

 private:
  std::string machine_, kernels_, out_;
  bool terminal_ = false;
};

class CompareVerb : public Verb {
 public:
  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "compare",
        "Compare two machines or two runs: ratios per ceiling and per kernel. A and "
        "B are two machine.json, two kernels.json, or two 'roofprof run' folders.");
    sub->add_option("A", a_, "the reference")->required();
    sub->add_option("B", b_, "compared with A (ratios > 1: B is better)")->required();
    sub->add_option("--json", json_, "write the comparison here ('-' for stdout)");
    return sub;
  }

  int Run() override {
    if (!json_.empty()) CheckWritablePath(json_, "--json");
    const std::vector<report::Comparison> cs = report::CompareFiles(a_, b_);
    if (!json_.empty()) WriteOutput(json_, report::ComparisonsJson(cs));
    if (json_ != "-") std::cout << report::ComparisonsText(cs, UnicodeLocale());
    return 0;
  }

 private:
  std::string a_, b_, json_;
};

}  // namespace

std::unique_ptr<Verb> MakeReportVerb() { return std::make_unique<ReportVerb>(); }
std::unique_ptr<Verb> MakeCompareVerb() { return std::make_unique<CompareVerb>(); }

}  // namespace roofprof::cli
