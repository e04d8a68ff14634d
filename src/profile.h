// `roofprof profile`: run a user's program, time it (and its marked regions), and place the
// whole run and each region on the machine's roofline with the counts available.
#ifndef ROOFPROF_SRC_PROFILE_H_
#define ROOFPROF_SRC_PROFILE_H_

#include <string>
#include <vector>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {

struct ProfileOptions {
  std::vector<std::string> command;  // program and arguments
  double flops = -1;                 // user-given FLOPs for the whole run; < 0 = not given
  double dram_bytes = -1;            // user-given DRAM bytes for the whole run; < 0 = not given
  std::string precision = "fp32";
  int threads = 1;  // threads the program uses, for choosing ceilings
};

struct ChildRun {
  int exit_status = 0;  // exit code, or 128 + signal when killed by a signal
  double wall_seconds = 0;
  double cpu_seconds = 0;    // user + system time of the child and its descendants
  std::string regions_json;  // contents of the regions file the marker library wrote, if any
};

// Runs `command` with ROOFPROF_REGIONS pointing at a private temporary file; waits for it.
// Throws UsageError when the program cannot be started (not found, not executable).
ChildRun RunChild(const std::vector<std::string>& command);

// Builds classified results: the whole run (when counts were given) and every marked region
// (regions without counts are listed with their time only: bound "unknown").
KernelsFile ProfileResults(const ProfileOptions& opt, const ChildRun& run, const Machine& m);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_PROFILE_H_
