// Dispatch for the peak-FLOP probes: one exported entry per target, callable for any target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "probes/peak_flops.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "probes/peak_flops-inl.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {

double FlopsPerIterationEntry(int precision, int op) {
  return FlopsPerIterationImpl(precision, op);
}
bool HasNativeFmaEntry() { return HasNativeFma(); }
double RunFlopKernelEntry(int precision, int op, uint64_t iterations) {
  return RunFlopKernelImpl(precision, op, iterations);
}
double Int8OpsPerIterationEntry() { return Int8OpsPerIterationImpl(); }
double RunInt8DotKernelEntry(uint64_t iterations) { return RunInt8DotKernelImpl(iterations); }

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "probes/peak_flops.h"
#include "src/hwy_dispatch.h"

namespace roofprof {

HWY_EXPORT(FlopsPerIterationEntry);
HWY_EXPORT(HasNativeFmaEntry);
HWY_EXPORT(RunFlopKernelEntry);
HWY_EXPORT(Int8OpsPerIterationEntry);
HWY_EXPORT(RunInt8DotKernelEntry);

const char* PrecisionName(Precision p) { return p == Precision::kFp64 ? "fp64" : "fp32"; }

const char* FlopOpName(FlopOp op) {
  switch (op) {
    case FlopOp::kFma:
      return "fma";
    case FlopOp::kAdd:
      return "add";
    default:
      return "fma+add";
  }
}

double FlopSeed() {
  static volatile double seed = 1.0;
  return seed;
}

bool TargetHasFma(int64_t target) { return ROOFPROF_DISPATCH_FOR(HasNativeFmaEntry, target)(); }

double FlopsPerIteration(int64_t target, Precision p, FlopOp op) {
  return ROOFPROF_DISPATCH_FOR(FlopsPerIterationEntry, target)(p == Precision::kFp64 ? 0 : 1,
                                                               static_cast<int>(op));
}

double RunFlopKernel(int64_t target, Precision p, FlopOp op, uint64_t iterations) {
  return ROOFPROF_DISPATCH_FOR(RunFlopKernelEntry, target)(p == Precision::kFp64 ? 0 : 1,
                                                           static_cast<int>(op), iterations);
}

double Int8OpsPerIteration(int64_t target) {
  return ROOFPROF_DISPATCH_FOR(Int8OpsPerIterationEntry, target)();
}

bool TargetHasInt8Dot(int64_t target) { return Int8OpsPerIteration(target) > 0; }

double RunInt8DotKernel(int64_t target, uint64_t iterations) {
  return ROOFPROF_DISPATCH_FOR(RunInt8DotKernelEntry, target)(iterations);
}

}  // namespace roofprof
#endif  // HWY_ONCE
