// AVX-512 VNNI byte dot products for Highway's AVX3_DL target, which Highway 1.0 does not
// expose as an op. Included by kernels/gemv-inl.h inside its HWY_NAMESPACE, for HWY_TARGET ==
// HWY_AVX3_DL only; the only x86 intrinsic a kernel uses, kept here by the portability rule
// (scripts/check-portability.sh).
#ifndef ROOFPROF_SRC_ARCH_CPU_X86_VNNI_INL_H_
#define ROOFPROF_SRC_ARCH_CPU_X86_VNNI_INL_H_

// Highway 1.0's AVX3_DL compiles for avxvnni (the VEX form) but not avx512vnni, although its
// runtime check for AVX3_DL requires AVX512-VNNI (CPUID 7.0 ECX bit 11). Functions that call
// SumsOf4MulAdd add the missing target with this attribute.
#define ROOFPROF_ATTR_AVX512VNNI __attribute__((target("avx512vnni")))

// acc + per 32-bit lane i: sum over j < 4 of u[4i + j] (unsigned) x s[4i + j] (signed), exact
// in int32 (vpdpbusd; no saturation).
ROOFPROF_ATTR_AVX512VNNI HWY_API hn::Vec512<int32_t> SumsOf4MulAdd(hn::Vec512<int32_t> acc,
                                                                   hn::Vec512<uint8_t> u,
                                                                   hn::Vec512<int8_t> s) {
  return hn::Vec512<int32_t>{_mm512_dpbusd_epi32(acc.raw, u.raw, s.raw)};
}

#endif  // ROOFPROF_SRC_ARCH_CPU_X86_VNNI_INL_H_
