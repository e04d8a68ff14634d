// Kernel-selection options shared by `kernels` and `run`.
#ifndef ROOFPROF_SRC_CLI_KERNELS_COMMON_H_
#define ROOFPROF_SRC_CLI_KERNELS_COMMON_H_

#include <CLI/CLI.hpp>
#include <string>

#include "src/kernel_runner.h"
#include "src/topology.h"

namespace roofprof::cli {

struct KernelCliOptions {
  std::string only;   // comma-separated kernel names
  std::string shape;  // "m=4,n=4096,k=4096" (with exactly one kernel)
  int threads = 0;
  std::string isa;
  std::string baseline;
  bool quick = false;
  bool no_verify = false;
};

void AddKernelOptions(CLI::App* sub, KernelCliOptions* o);
// Validates the options and builds the run plan (jobs, threads, ...). Throws UsageError.
KernelRunOptions ResolveKernelOptions(const KernelCliOptions& o, const Topology& topo);
// `roofprof kernels --list`.
std::string KernelListText();

}  // namespace roofprof::cli

#endif  // ROOFPROF_SRC_CLI_KERNELS_COMMON_H_
