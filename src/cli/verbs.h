// The verbs of `roofprof <verb>`: each registers its options on a CLI11 subcommand and runs.
#ifndef ROOFPROF_SRC_CLI_VERBS_H_
#define ROOFPROF_SRC_CLI_VERBS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace roofprof::cli {

// A verb: Setup adds its subcommand and options; Run executes after parsing and returns the
// exit status. Errors are thrown (UsageError, EnvironmentError, Interrupted).
class Verb {
 public:
  virtual ~Verb() = default;
  virtual CLI::App* Setup(CLI::App& app) = 0;
  virtual int Run() = 0;
};

std::unique_ptr<Verb> MakeProbeVerb();
std::unique_ptr<Verb> MakeKernelsVerb();
std::unique_ptr<Verb> MakeRunVerb();
std::unique_ptr<Verb> MakeModelVerb();
std::unique_ptr<Verb> MakeProfileVerb();
std::unique_ptr<Verb> MakeReportVerb();
std::unique_ptr<Verb> MakeCompareVerb();

}  // namespace roofprof::cli

#endif  // ROOFPROF_SRC_CLI_VERBS_H_
