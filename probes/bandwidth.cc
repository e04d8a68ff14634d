// Dispatch for the bandwidth probes.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "probes/bandwidth.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "probes/bandwidth-inl.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {

size_t BwGranuleEntry() { return BwGranuleImpl(); }
double RunBandwidthEntry(int kernel, double* const* arrays, size_t n, uint64_t passes) {
  return RunBandwidthImpl(kernel, arrays, n, passes);
}

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "probes/bandwidth.h"
#include "src/hwy_dispatch.h"

namespace roofprof {

HWY_EXPORT(BwGranuleEntry);
HWY_EXPORT(RunBandwidthEntry);

const char* BwKernelName(BwKernel k) {
  switch (k) {
    case BwKernel::kLoad:
      return "load";
    case BwKernel::kStore:
      return "store";
    case BwKernel::kCopy:
      return "copy";
    case BwKernel::kTriad:
      return "triad";
    default:
      return "store_nt";
  }
}

int BwKernelArrays(BwKernel k) {
  switch (k) {
    case BwKernel::kCopy:
      return 2;
    case BwKernel::kTriad:
      return 3;
    default:
      return 1;
  }
}

size_t BwGranuleElems(int64_t target) { return ROOFPROF_DISPATCH_FOR(BwGranuleEntry, target)(); }

double RunBandwidthKernel(int64_t target, BwKernel k, double* const* arrays, size_t elems,
                          uint64_t passes) {
  return ROOFPROF_DISPATCH_FOR(RunBandwidthEntry, target)(static_cast<int>(k), arrays, elems,
                                                          passes);
}

}  // namespace roofprof
#endif  // HWY_ONCE
