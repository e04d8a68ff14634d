// Peak floating-point throughput probes: independent FMA/ADD chains per precision and target.
#ifndef ROOFPROF_PROBES_PEAK_FLOPS_H_
#define ROOFPROF_PROBES_PEAK_FLOPS_H_

#include <cstdint>
#include <string>

namespace roofprof {

enum class Precision { kFp64, kFp32 };
enum class FlopOp { kFma, kAdd, kFmaAdd };

const char* PrecisionName(Precision p);  // "fp64", "fp32"
const char* FlopOpName(FlopOp op);       // "fma", "add", "fma+add"

// 1.0, read through a volatile so the compiler cannot treat the kernels' starting values as
// known constants.
double FlopSeed();

// Whether `target` has a fused multiply-add instruction. Without one (SSE4), the "fma" kernel
// runs a multiply then an add, and results name the op "mul+add".
bool TargetHasFma(int64_t target);

// Floating-point operations one iteration of the (precision, op) kernel performs on `target`
// (an FMA counts as two). The count is the kernel's exact instruction mix, so its provenance
// is "model".
double FlopsPerIteration(int64_t target, Precision p, FlopOp op);

// Runs `iterations` iterations on the calling thread; returns a checksum of the accumulators.
double RunFlopKernel(int64_t target, Precision p, FlopOp op, uint64_t iterations);

// int8 dot products (8-bit multiplies summed in fours into int32 lanes, as the quantized
// GEMV's integer path runs them): whether `target` has them (AVX3_DL, Highway's AVX-512 VNNI
// target, in one instruction; AVX3 and AVX2 in three), the int8 operations one iteration
// performs (2 per byte multiply-add; 0 without them; provenance "model"), and the loop itself
// (returns a checksum).
bool TargetHasInt8Dot(int64_t target);
double Int8OpsPerIteration(int64_t target);
double RunInt8DotKernel(int64_t target, uint64_t iterations);

}  // namespace roofprof

#endif  // ROOFPROF_PROBES_PEAK_FLOPS_H_
