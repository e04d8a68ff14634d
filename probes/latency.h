// Load-to-use latency by pointer chase: a random cyclic permutation of cache lines, so every
// load depends on the previous one and no prefetcher can guess the next address.
#ifndef ROOFPROF_PROBES_LATENCY_H_
#define ROOFPROF_PROBES_LATENCY_H_

#include <cstddef>
#include <cstdint>

namespace roofprof {

inline constexpr size_t kChaseStride = 64;  // one pointer per cache line

// Links the first `bytes` of `buffer` (64-byte aligned, bytes >= 2 lines) into one random
// cycle through every line (Sattolo's algorithm: a single cycle, uniformly chosen). Returns
// the number of lines in the cycle.
size_t BuildChase(void* buffer, size_t bytes, uint64_t seed);

// Follows the chain `steps` times from `buffer`; returns the final address as an integer so
// the chase cannot be elided.
uintptr_t Chase(const void* buffer, uint64_t steps);

}  // namespace roofprof

#endif  // ROOFPROF_PROBES_LATENCY_H_
