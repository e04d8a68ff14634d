// Software prefetch for the kernels' streaming loops.
#ifndef ROOFPROF_KERNELS_PREFETCH_H_
#define ROOFPROF_KERNELS_PREFETCH_H_

// Always inlined: the kernels call these from Highway's per-target code, often from
// HWY_INLINE (always-inline) helpers compiled for a target. A plain inline function there is
// not inlined across the target boundary, GCC then finds that it has no effect it must keep (a
// prefetch changes no memory) and deletes the call: the decode kernel and the FFN row tiles
// compiled without a single prefetch instruction that way (GCC 12).
#if defined(__GNUC__) || defined(__clang__)
#define ROOFPROF_PREFETCH_INLINE inline __attribute__((always_inline))
#else
#define ROOFPROF_PREFETCH_INLINE inline
#endif

namespace roofprof {

// A read prefetch into L2 and the levels beyond it, not L1 (prefetcht1 on x86, PLDL2KEEP on
// Arm; nothing where the ISA has no prefetch). Streams prefetched kilobytes ahead would
// otherwise fill L1 with lines not yet needed and evict the operands the loop reuses; the L1
// hardware prefetchers cover L2's latency.
ROOFPROF_PREFETCH_INLINE void PrefetchToL2(const void* p) { __builtin_prefetch(p, 0, 2); }
// A read prefetch that leaves the inner levels alone (prefetcht2 on x86, PLDL3KEEP on Arm):
// where the next lines should wait farther out while the loop works in L1 and L2.
ROOFPROF_PREFETCH_INLINE void PrefetchToL3(const void* p) { __builtin_prefetch(p, 0, 1); }

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_PREFETCH_H_
