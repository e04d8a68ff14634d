// Per-target peak-FLOP loops. Each loop keeps C independent accumulator chains in registers;
// C must cover latency x pipes of the unit under test. Zen 4/5 and Golden Cove: FMA latency 4
// on 2 pipes -> 8 chains in flight; Apple Firestorm: latency 4 on 4 pipes -> 16. We use about
// 1.5x that where the register file allows: 24 chains with 32 vector registers (AVX-512,
// NEON/SVE on AArch64, RVV), 12 with 16 (SSE4/AVX2). Values follow a fixed-point recurrence
// (x <- x*0.5 + 0.5 tends to 1; the adds alternate +0.5/-0.5), so they stay finite and normal
// however long the loop runs: no denormal slow paths. One constant register serves all chains,
// leaving 15 of 16 registers for chains on SSE4/AVX2 (8 FMA + 6 ADD: latency 4 x 2 pipes and
// latency 3 x 2 pipes) without spills.
// Arrays of vectors are not allowed for SVE/RVV (sizeless types), hence the macros.
#if defined(ROOFPROF_PROBES_PEAK_FLOPS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ROOFPROF_PROBES_PEAK_FLOPS_INL_H_
#undef ROOFPROF_PROBES_PEAK_FLOPS_INL_H_
#else
#define ROOFPROF_PROBES_PEAK_FLOPS_INL_H_
#endif

#include "hwy/highway.h"
#include "probes/peak_flops.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX2
#include "src/arch/cpu_x86_int8-inl.h"
#endif

#ifndef ROOFPROF_PEAK_FLOPS_MACROS
#define ROOFPROF_PEAK_FLOPS_MACROS
#define RP_REP6(M, o) M(o##0) M(o##1) M(o##2) M(o##3) M(o##4) M(o##5)
#define RP_REP8(M, o) RP_REP6(M, o) M(o##6) M(o##7)
#define RP_REP12(M, o) RP_REP8(M, o) M(o##8) M(o##9) M(o##a) M(o##b)
#define RP_REP24(M) RP_REP12(M, x) RP_REP12(M, y)
#endif

// Chains for the pure loops, and the FMA/ADD split for the mixed loop.
#if HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR
#define RP_PURE(M) RP_REP8(M, x)
#define RP_MIX_FMA(M) RP_REP6(M, x)
#define RP_MIX_ADD(M) RP_REP6(M, y)
inline constexpr int kPureChains = 8;
inline constexpr int kMixFmaChains = 6;
inline constexpr int kMixAddChains = 6;
#elif HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2
#define RP_PURE(M) RP_REP12(M, x)
#define RP_MIX_FMA(M) RP_REP8(M, x)
#define RP_MIX_ADD(M) RP_REP6(M, y)
inline constexpr int kPureChains = 12;
inline constexpr int kMixFmaChains = 8;
inline constexpr int kMixAddChains = 6;
#else
#define RP_PURE(M) RP_REP24(M)
#define RP_MIX_FMA(M) RP_REP12(M, x)
#define RP_MIX_ADD(M) RP_REP12(M, y)
inline constexpr int kPureChains = 24;
inline constexpr int kMixFmaChains = 12;
inline constexpr int kMixAddChains = 12;
#endif

// Distinct starting values keep the compiler from proving two chains equal and merging them;
// starting from a volatile seed keeps it from evaluating the loop at compile time (x + c - c
// is exactly x for a known x, so constant propagation would otherwise delete the add loop).
#define RP_DECL(a)    \
  init = init + step; \
  auto a = hn::Set(d, init);
#define RP_FMA(a) a = hn::MulAdd(a, half, half);
#define RP_ADD(a) a = hn::Add(a, half);
#define RP_SUB(a) a = hn::Sub(a, half);
#define RP_SUM(a) total = hn::Add(total, a);

// One iteration = two trips through every chain (so the adds return to where they started).
template <typename T>
HWY_NOINLINE double FmaLoop(uint64_t iterations) {
  const hn::ScalableTag<T> d;
  T init = static_cast<T>(FlopSeed());
  const T step = T(1) / T(64);
  const auto half = hn::Set(d, T(0.5));
  RP_PURE(RP_DECL)
  for (uint64_t i = 0; i < iterations; ++i) {
    RP_PURE(RP_FMA)
    RP_PURE(RP_FMA)
  }
  auto total = hn::Zero(d);
  RP_PURE(RP_SUM)
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(d, total)));
}

template <typename T>
HWY_NOINLINE double AddLoop(uint64_t iterations) {
  const hn::ScalableTag<T> d;
  T init = static_cast<T>(FlopSeed());
  const T step = T(1) / T(64);
  const auto half = hn::Set(d, T(0.5));
  RP_PURE(RP_DECL)
  for (uint64_t i = 0; i < iterations; ++i) {
    RP_PURE(RP_ADD)
    RP_PURE(RP_SUB)
  }
  auto total = hn::Zero(d);
  RP_PURE(RP_SUM)
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(d, total)));
}

// FMA and ADD chains interleaved, for cores with separate FADD pipes (AMD Zen): both units
// busy at once.
template <typename T>
HWY_NOINLINE double FmaAddLoop(uint64_t iterations) {
  const hn::ScalableTag<T> d;
  T init = static_cast<T>(FlopSeed());
  const T step = T(1) / T(64);
  const auto half = hn::Set(d, T(0.5));
  RP_MIX_FMA(RP_DECL)
  RP_MIX_ADD(RP_DECL)
  for (uint64_t i = 0; i < iterations; ++i) {
    RP_MIX_FMA(RP_FMA)
    RP_MIX_ADD(RP_ADD)
    RP_MIX_FMA(RP_FMA)
    RP_MIX_ADD(RP_SUB)
  }
  auto total = hn::Zero(d);
  RP_MIX_FMA(RP_SUM)
  RP_MIX_ADD(RP_SUM)
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(d, total)));
}

// int8 dot products: 8-bit multiplies summed into int32 lanes, what the quantized GEMV's integer
// path runs at its fastest (SumsOf8MulAdd: two vpdpbusd on AVX3_DL, Highway's AVX-512 VNNI
// target; on AVX3 and AVX2 two vpmaddubsw, vpaddw, vpmaddwd and vpaddd, as q4_0 takes them).
// Each of kInt8Chains accumulators takes SumsOf8MulAdd once per iteration (two dot products of
// 4 bytes per lane); int32 lanes wrap harmlessly (the test's bytes, 3 x -1, never saturate the
// int16 steps). Other targets have no byte dot product in Highway 1.0 and measure nothing.
#if HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX2
#define RP_HAVE_INT8_DOT 1
#if HWY_TARGET == HWY_AVX3_DL
#define RP_DOT(a) a = SumsOf8MulAdd(a, u0, s, u1, s);
#define RP_INT8(M) RP_PURE(M)
inline constexpr int kInt8Chains = kPureChains;
#else
// The int16 forms' chains run through a one-cycle vpaddd, so fewer of them do, and leave the
// registers for the operands: 8 on AVX2 (16 registers), 12 on AVX3.
#if HWY_TARGET == HWY_AVX2
#define RP_INT8(M) RP_REP8(M, x)
inline constexpr int kInt8Chains = 8;
#else
#define RP_INT8(M) RP_REP12(M, x)
inline constexpr int kInt8Chains = 12;
#endif
// The int16 forms' products do not depend on the sum: the operands are made opaque before each
// dot product (Opaque: no instruction), else GCC computes the products once before the loop.
// The sum passes Opaque too, which keeps each chain in one register: without it GCC (12) added
// into a second register and copied back, and on AVX2 kept 4 of the 8 sums on the stack (a load
// and a store per chain and iteration): 276 against 284 GOP/s on one thread (Zen 4 guest, best
// of 7), AVX3 level (303 / 304). The chains are not the limit on AVX2: 4, 6 and 8 of them
// measured 283, 280 and 284.
#define RP_DOT(a)                     \
  Opaque(u0);                         \
  Opaque(u1);                         \
  a = SumsOf8MulAdd(a, u0, s, u1, s); \
  Opaque(a);
#endif
// The skeleton of FmaLoop; not shared through a template taking the step as a lambda, since
// the lambda could not carry the avx512vnni target attribute that SumsOf4MulAdd needs.
ROOFPROF_ATTR_AVX512VNNI HWY_NOINLINE double Int8DotLoop(uint64_t iterations) {
  const hn::ScalableTag<int32_t> d;
  int32_t init = static_cast<int32_t>(FlopSeed());
  const int32_t step = 0x1001;
  auto u0 = hn::Set(hn::Repartition<uint8_t, decltype(d)>(), static_cast<uint8_t>(3 * init));
  auto u1 = u0;
  const auto s = hn::Set(hn::Repartition<int8_t, decltype(d)>(), static_cast<int8_t>(-init));
  RP_INT8(RP_DECL)
  for (uint64_t i = 0; i < iterations; ++i) {
    RP_INT8(RP_DOT)
  }
  auto total = hn::Zero(d);
  RP_INT8(RP_SUM)
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(d, total)));
}
#undef RP_INT8
#undef RP_DOT
#else
#define RP_HAVE_INT8_DOT 0
#endif

#undef RP_DECL
#undef RP_FMA
#undef RP_ADD
#undef RP_SUB
#undef RP_SUM
#undef RP_PURE
#undef RP_MIX_FMA
#undef RP_MIX_ADD

// Whether MulAdd is one fused instruction on this target (SSE4 has no FMA: mul then add).
inline bool HasNativeFma() { return HWY_NATIVE_FMA != 0; }

// op: 0 fma, 1 add, 2 fma+add; precision: 0 fp64, 1 fp32.
inline double FlopsPerIterationImpl(int precision, int op) {
  const double lanes = precision == 0 ? static_cast<double>(hn::Lanes(hn::ScalableTag<double>()))
                                      : static_cast<double>(hn::Lanes(hn::ScalableTag<float>()));
  switch (op) {
    case 0:
      return 2.0 * kPureChains * 2.0 * lanes;  // 2 trips x chains x FMA(2 flops) x lanes
    case 1:
      return 2.0 * kPureChains * lanes;
    default:
      return 2.0 * (kMixFmaChains * 2.0 + kMixAddChains) * lanes;
  }
}

// int8 operations per iteration of Int8DotLoop (2 per byte multiply-add, as an FMA counts 2
// flops); 0 where the target has no int8 dot product.
inline double Int8OpsPerIterationImpl() {
#if RP_HAVE_INT8_DOT
  const double bytes = static_cast<double>(hn::Lanes(hn::ScalableTag<int8_t>()));
  return 2.0 * kInt8Chains * 2.0 * bytes;
#else
  return 0.0;
#endif
}

inline double RunInt8DotKernelImpl(uint64_t iterations) {
#if RP_HAVE_INT8_DOT
  return Int8DotLoop(iterations);
#else
  (void)iterations;
  return 0.0;
#endif
}

inline double RunFlopKernelImpl(int precision, int op, uint64_t iterations) {
  if (precision == 0) {
    if (op == 0) return FmaLoop<double>(iterations);
    if (op == 1) return AddLoop<double>(iterations);
    return FmaAddLoop<double>(iterations);
  }
  if (op == 0) return FmaLoop<float>(iterations);
  if (op == 1) return AddLoop<float>(iterations);
  return FmaAddLoop<float>(iterations);
}

#undef RP_HAVE_INT8_DOT

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
