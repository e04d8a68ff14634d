// `roofprof probe`: measures the machine (clock, compute ceilings, bandwidth sweep and
// per-level ceilings, latency) and returns the machine model.
#ifndef ROOFPROF_PROBES_PROBE_H_
#define ROOFPROF_PROBES_PROBE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/machine.h"
#include "src/topology.h"

namespace roofprof {

struct ProbeOptions {
  bool quick = false;
  int threads = 0;  // the "all threads" count; 0 = every usable CPU
  // Called with a stage description and the estimated fraction of the run done (0..1).
  std::function<void(const std::string& stage, double done)> progress;
  // Only the parts named here ("clock", "compute", "bandwidth", "latency"); empty = all.
  std::vector<std::string> parts;
  // Upper limit for the sweep's total working set; 0 = automatic (4x the last-level cache,
  // within a third of available memory).
  uint64_t max_bytes = 0;
};

Machine RunProbe(const Topology& topo, const ProbeOptions& options);

// The sweep's working-set sizes: multiples of `granule` bytes from about `min_bytes` up to
// `max_bytes` (rounded to the granule), each at most `ratio` (> 1) times the previous and
// strictly increasing. Pure; exposed for tests.
std::vector<uint64_t> SweepSizes(uint64_t min_bytes, uint64_t max_bytes, double ratio,
                                 uint64_t granule = 64);

// Per-thread capacity of cache `c` when `threads` threads share the machine (private caches:
// the whole cache; shared ones: the instances in use divided among the threads).
double PerThreadCapacity(const CacheLevel& c, int threads);

// Capacity of the last cache level across all instances `threads` threads use.
double AggregateLastLevel(const std::vector<CacheLevel>& caches, int threads);

}  // namespace roofprof

#endif  // ROOFPROF_PROBES_PROBE_H_
