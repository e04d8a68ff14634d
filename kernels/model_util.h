// Shared arithmetic for kernel work models: where data lives between back-to-back runs, and
// the traffic a stream of it causes at each memory level.
#ifndef ROOFPROF_KERNELS_MODEL_UTIL_H_
#define ROOFPROF_KERNELS_MODEL_UTIL_H_

#include <array>
#include <string>

#include "kernels/workload.h"

namespace roofprof {

// A cache holds data for reuse only up to this fraction of its capacity: the rest goes to
// other data (stack, code, the other operands) and to conflict misses.
inline constexpr double kUsableCacheFraction = 0.8;

// The Highway target a model describes: ctx.target, or the best one here when that is 0.
int64_t ModelTarget(const ModelContext& ctx);

// Level index (0 = L1 ... 3 = DRAM) where `bytes` of data, split evenly over ctx.threads,
// stay resident between runs: the first level whose usable per-thread capacity holds each
// thread's share. Shared caches give each thread its share of the instances in use.
int ResidentLevel(double bytes, const ModelContext& ctx);

// Traffic when the core streams through `bytes` that reside at `level` (index as above):
// the bytes cross every boundary between that level and the core, so bytes[l] = `bytes` for
// l <= level and 0 beyond.
std::array<double, kNumLevels> StreamTraffic(double bytes, int level);

// Element-wise sum.
void AddTraffic(std::array<double, kNumLevels>* into, const std::array<double, kNumLevels>& add);

// "W (45.1 MiB) streams from DRAM" style line for WorkModel::derivation.
std::string DescribeStream(const std::string& what, double bytes, int level);

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_MODEL_UTIL_H_
