// The hierarchical, time-based roofline (DESIGN.md "Classification"): lower bounds on time from
// compute and from each memory level, the binding resource, attainable performance and
// efficiency; plus the cache-aware (CARM) arithmetic intensity.
#ifndef ROOFPROF_SRC_ROOFLINE_H_
#define ROOFPROF_SRC_ROOFLINE_H_

#include <array>
#include <string>
#include <vector>

#include "src/machine.h"

namespace roofprof {

// The ceilings one piece of work is held against: measured, same precision and thread count.
struct Ceilings {
  double compute_gflops = 0;                   // 0 = unknown
  std::string compute_label;                   // "fp32 fma AVX3, 2 threads"
  std::array<double, kNumLevels> gbps{};       // 0 = unknown
  std::array<std::string, kNumLevels> labels;  // "L2 copy, 2 threads"
  double theoretical_gflops = 0;  // spec-sheet compute peak beside it (NaN/0 = unknown)
};

// Picks ceilings from `m` for work of `precision` on `threads` threads. Compute: the best op
// among fma/mul+add for that precision (on `isa` when given and measured, else the best ISA).
// Precisions without their own ceiling map to what executes them: bf16 and f16 weights are
// widened to fp32 arithmetic, int8 dot products use the int8 ceiling when measured, else fp32.
// Bandwidth per level: the best of load/copy/triad (an upper bound, so efficiency <= ~1).
// When the exact thread count was not probed, the nearest probed count is scaled linearly
// (and the label says so).
Ceilings SelectCeilings(const Machine& m, const std::string& precision, int threads,
                        const std::string& isa = "");

struct Classification {
  // Lower bounds on time in seconds: [0] compute, [1..4] L1, L2, L3, DRAM. 0 where the
  // resource is not used (no bytes at that level); NaN where its ceiling is unknown.
  std::array<double, kNumLevels + 1> bound_seconds{};
  int binding = -1;              // index into bound_seconds; -1 when nothing could be bounded
  std::string bound;             // "compute", "L1", "L2", "L3", "DRAM", or "unknown"
  double attainable_gflops = 0;  // flops / max(bounds)
  double efficiency = 0;         // max(bounds) / measured seconds
  std::array<double, kNumLevels> ai{};  // flops / bytes[l]; +inf where bytes[l] == 0
  double carm_ai = 0;                   // flops / bytes[L1] (bytes the core loads and stores)
};

// Classifies work of `flops` taking `seconds` with `bytes` moved per level. A tie between
// resources (within 1e-9 relative) goes to the one nearer the core's arithmetic: compute,
// then L1, L2, L3, DRAM, so the stated cause is the one cheapest to examine first.
Classification Classify(double flops, double seconds, const std::array<double, kNumLevels>& bytes,
                        const Ceilings& c);

// Share of a beyond-last-level-cache stream that DRAM serves when `working_set_bytes` (all
// threads) are read again and again, from the machine's own load sweep: the sweep measures
// exactly that pattern, and a working set somewhat larger than the last-level cache still hits
// it in part (victim and non-LRU caches, a detected cache edge below the real one). The share
// makes DRAM bytes / DRAM ceiling equal the working set / the swept bandwidth there:
// share = DRAM ceiling / sweep(working set), clamped to [0, 1], with the sweep interpolated
// log-linearly in size and continued to the DRAM ceiling's own working set. 1 where the sweep
// or the DRAM ceiling is missing, or at and beyond the DRAM ceiling's working set. `why`, when
// not null, gets one line saying where the share came from.
double DramShare(const Machine& m, int threads, double working_set_bytes, std::string* why);

// The probed thread count nearest to `want` (ties to the larger); -1 when `have` is empty.
int NearestThreads(const std::vector<int>& have, int want);

// Name of bound_seconds index i: "compute", "L1", ..., "DRAM".
const char* ResourceName(int i);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_ROOFLINE_H_
