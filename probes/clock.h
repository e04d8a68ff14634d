// The real core clock under load, from a dependent integer-add chain (one add per cycle).
#ifndef ROOFPROF_PROBES_CLOCK_H_
#define ROOFPROF_PROBES_CLOCK_H_

#include <cstdint>

namespace roofprof {

// Runs `adds` dependent integer additions on the calling thread and returns their result (so
// the chain cannot be elided). Each add depends on the previous one, so on every core we know
// of (latency 1 cycle) the chain takes `adds` cycles.
uint64_t DependentAddChain(uint64_t adds);

// Number of dependent adds per call of the chain's inner loop body (the unroll).
inline constexpr uint64_t kAddChainUnroll = 16;

}  // namespace roofprof

#endif  // ROOFPROF_PROBES_CLOCK_H_
