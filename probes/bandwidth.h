// Memory bandwidth probes: load, store, copy, triad and non-temporal store over one thread's
// arrays. Bytes counted are the explicit ones (a store's write-allocate read is not counted).
#ifndef ROOFPROF_PROBES_BANDWIDTH_H_
#define ROOFPROF_PROBES_BANDWIDTH_H_

#include <cstddef>
#include <cstdint>

namespace roofprof {

enum class BwKernel { kLoad, kStore, kCopy, kTriad, kStoreNt };
inline constexpr BwKernel kAllBwKernels[] = {BwKernel::kLoad, BwKernel::kStore, BwKernel::kCopy,
                                             BwKernel::kTriad, BwKernel::kStoreNt};

const char* BwKernelName(BwKernel k);  // "load", "store", "copy", "triad", "store_nt"
// Number of arrays the kernel touches: load/store/store_nt 1, copy 2 (src, dst), triad 3.
int BwKernelArrays(BwKernel k);

// Elements (doubles) in one vector of `target`: array lengths must be a multiple of it.
size_t BwGranuleElems(int64_t target);

// Runs `passes` passes of kernel `k` over arrays[0..BwKernelArrays(k)) of `elems` doubles
// each, 64-byte aligned. Returns a checksum. Explicit bytes moved per pass:
// load/store/store_nt elems*8; copy 2*elems*8; triad 3*elems*8 (a = b + s*c).
double RunBandwidthKernel(int64_t target, BwKernel k, double* const* arrays, size_t elems,
                          uint64_t passes);

}  // namespace roofprof

#endif  // ROOFPROF_PROBES_BANDWIDTH_H_
