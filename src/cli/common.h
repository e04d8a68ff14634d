// Pieces every verb shares: progress on stderr, validated thread counts, writing outputs.
#ifndef ROOFPROF_SRC_CLI_COMMON_H_
#define ROOFPROF_SRC_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "src/machine.h"
#include "src/topology.h"

namespace roofprof::cli {

// Prints "[ 42%] stage  ~17 s left" on one rewritten stderr line when stderr is a terminal and
// not quiet; silent otherwise. Finish() clears the line.
class Progress {
 public:
  explicit Progress(bool quiet);
  ~Progress();
  std::function<void(const std::string&, double)> Callback();
  void Update(const std::string& stage, double done);
  void Finish();

 private:
  bool enabled_;
  double start_;
  size_t last_width_ = 0;
};

// Option checks with plain messages ("--threads: must be a whole number of at least 1, not
// 'two'"): a count, and a positive amount such as 2.4e12.
const CLI::Validator& WholeNumberAtLeastOne();
const CLI::Validator& PositiveAmount();

// Checks a --threads value against what this process may use; 0 means "all usable".
int ResolveThreads(int requested, const Topology& topo);

// The machine model from `path`, or (when empty) from a quick probe of clock, compute and
// bandwidth with `threads` threads, reported through `progress` scaled into [0, share].
Machine LoadOrProbeMachine(const std::string& path, const Topology& topo, int threads,
                           Progress* progress, double share);

// Parses and checks the probe's --max-bytes: a size of at least 1 MiB that fits in memory.
uint64_t ParseProbeMaxBytes(const std::string& text);

// Writes `text` to `path` atomically, or to stdout when path is "-".
void WriteOutput(const std::string& path, const std::string& text);

// Whether the user's locale is UTF-8 (LC_ALL, LC_CTYPE or LANG), so Unicode charts display.
bool UnicodeLocale();

// Prints a one-line message on stderr prefixed with "roofprof: ".
void Say(const std::string& message);

}  // namespace roofprof::cli

#endif  // ROOFPROF_SRC_CLI_COMMON_H_
