// roofprof command line: verb dispatch, one-line errors and exit statuses.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "src/cli/common.h"
#include "src/cli/verbs.h"
#include "src/error.h"
#include "src/io.h"
#include "src/version.h"

int main(int argc, char** argv) {
  using namespace roofprof;
  InstallSignalHandlers();
  CLI::App app{
      "roofprof " + std::string(kVersion) +
          ": a CPU roofline profiler. Measures the machine (probe), runs LLM-style kernels "
          "(kernels) and places them on a multi-level roofline (report).",
      "roofprof"};
  app.set_version_flag("--version", std::string("roofprof ") + kVersion);
  app.require_subcommand(1, 1);
  app.fallthrough(false);
  std::vector<std::unique_ptr<cli::Verb>> verbs;
  verbs.push_back(cli::MakeRunVerb());
  verbs.push_back(cli::MakeProbeVerb());
  verbs.push_back(cli::MakeKernelsVerb());
  verbs.push_back(cli::MakeReportVerb());
  verbs.push_back(cli::MakeModelVerb());
  verbs.push_back(cli::MakeProfileVerb());
  verbs.push_back(cli::MakeCompareVerb());
  std::vector<std::pair<CLI::App*, cli::Verb*>> subs;
  for (auto& v : verbs) subs.emplace_back(v->Setup(app), v.get());

  // Unknown verbs get a clear one-liner instead of CLI11's generic complaint.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto& [sub, verb] : subs) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      cli::Say(std::string("unknown verb '") + argv[1] + "' (verbs: " + names +
               "); see 'roofprof --help'");
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string verb;
    for (const auto& [sub, v] : subs) {
      if (sub->parsed()) verb = " " + sub->get_name();
    }
    cli::Say(std::string(e.what()) + " (see 'roofprof" + verb + " --help')");
    return kExitUsage;
  }
  try {
    for (const auto& [sub, verb] : subs) {
      if (sub->parsed()) return verb->Run();
    }
  } catch (const UsageError& e) {
    cli::Say(e.what());
    return kExitUsage;
  } catch (const Interrupted&) {
    cli::Say("interrupted; files written before the signal are complete and kept");
    return kExitInterrupted;
  } catch (const EnvironmentError& e) {
    cli::Say(e.what());
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    cli::Say("out of memory");
    return kExitFailure;
  } catch (const std::exception& e) {
    cli::Say(std::string("internal error: ") + e.what());
    return kExitFailure;
  }
  return kExitUsage;
}
