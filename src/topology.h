// What the process can run on: CPUs, cores, cache levels, and where to place threads (hwloc).
#ifndef ROOFPROF_SRC_TOPOLOGY_H_
#define ROOFPROF_SRC_TOPOLOGY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/machine.h"

namespace roofprof {

struct Topology {
  std::string model;
  std::string vendor;
  std::string arch;
  int logical_cpus = 1;  // in the machine
  int cores = 1;         // in the machine
  // OS CPU index for thread i: one PU per allowed core first (spread over caches), then SMT
  // siblings. Its size is the number of CPUs this process may use.
  std::vector<int> placement;
  int usable_threads = 1;          // min(placement.size(), cgroup quota rounded down, at least 1)
  std::vector<CacheLevel> caches;  // data/unified levels 1..3, ascending
  std::string source;              // "hwloc" or the fallback used
  std::vector<std::string> notes;  // what could not be determined, and what was assumed
};

// Detects the topology with hwloc; falls back to the OS (sysconf/sysfs) and then to stated
// defaults, recording each fallback in `notes`. Never throws for environment problems.
Topology DetectTopology();

// Merges cache descriptions from the preferred source and a fallback: levels missing in
// `primary` come from `fallback`; levels missing in both get conservative defaults
// (32 KiB, 1 MiB, 8 MiB shared by all cores) with a note. Pure; exposed for tests.
std::vector<CacheLevel> MergeCaches(const std::vector<CacheLevel>& primary,
                                    const std::vector<CacheLevel>& fallback,
                                    std::vector<std::string>* notes);

// Number of threads the user may ask for, given placement size and cgroup quota. Pure.
int UsableThreads(int allowed_cpus, double cgroup_quota);

// Name of the build's architecture ("x86_64", "aarch64", "riscv64", ...).
const char* ArchName();

// Caches as the OS reports them without hwloc (platform::OsCacheSizes), possibly empty.
std::vector<CacheLevel> OsReportedCaches();

}  // namespace roofprof

#endif  // ROOFPROF_SRC_TOPOLOGY_H_
