// Software prefetch into L2 for the kernels' streaming loops.
#ifndef ROOFPROF_KERNELS_PREFETCH_H_
#define ROOFPROF_KERNELS_PREFETCH_H_

namespace roofprof {

// A read prefetch into L2 and the levels beyond it, not L1 (prefetcht1 on x86, PLDL2KEEP on
// Arm; nothing where the ISA has no prefetch). Streams prefetched kilobytes ahead would
// otherwise fill L1 with lines not yet needed and evict the operands the loop reuses; the L1
// hardware prefetchers cover L2's latency.
inline void PrefetchToL2(const void* p) { __builtin_prefetch(p, 0, 2); }

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_PREFETCH_H_
