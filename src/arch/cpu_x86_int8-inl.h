// Byte dot products summed in fours into int32 lanes, per x86 Highway target, which Highway 1.0
// does not expose as an op: vpdpbusd on AVX3_DL (AVX-512 VNNI), vpmaddubsw + vpmaddwd + vpaddd
// on AVX3 and AVX2. Included inside a kernel's HWY_NAMESPACE (hn = hwy::HWY_NAMESPACE) for
// those three targets only; the only x86 intrinsics a kernel uses, kept here by the portability
// rule (scripts/check-portability.sh). A translation unit compiles several targets, not all of
// which include this file: one guard per target, and the attribute macro set on every inclusion.

// Highway 1.0's AVX3_DL compiles for avxvnni (the VEX form) but not avx512vnni, although its
// runtime check for AVX3_DL requires AVX512-VNNI (CPUID 7.0 ECX bit 11). Functions that call
// SumsOf4MulAdd add the missing target with this attribute (nothing on the other targets).
#undef ROOFPROF_ATTR_AVX512VNNI
#if HWY_TARGET == HWY_AVX3_DL
#define ROOFPROF_ATTR_AVX512VNNI __attribute__((target("avx512vnni")))
#else
#define ROOFPROF_ATTR_AVX512VNNI
#endif

#if (HWY_TARGET == HWY_AVX3_DL && !defined(ROOFPROF_SRC_ARCH_CPU_X86_INT8_AVX3_DL_)) || \
    (HWY_TARGET == HWY_AVX3 && !defined(ROOFPROF_SRC_ARCH_CPU_X86_INT8_AVX3_)) ||       \
    (HWY_TARGET == HWY_AVX2 && !defined(ROOFPROF_SRC_ARCH_CPU_X86_INT8_AVX2_))
#if HWY_TARGET == HWY_AVX3_DL
#define ROOFPROF_SRC_ARCH_CPU_X86_INT8_AVX3_DL_
#elif HWY_TARGET == HWY_AVX3
#define ROOFPROF_SRC_ARCH_CPU_X86_INT8_AVX3_
#else
#define ROOFPROF_SRC_ARCH_CPU_X86_INT8_AVX2_
#endif

// v, which the compiler must take as changed (an empty asm: no instruction): keeps GCC from
// hoisting work on v out of a loop, or from reassociating a chain of adds into v.
template <class V>
HWY_API void Opaque(V& v) {
  asm volatile("" : "+v"(v.raw));
}

// s negated in the bytes where q is negative, for |q| x s products that carry q's sign (q8_0
// where the byte products saturate). AVX2: vpsignb, which also zeroes s where q is zero; AVX-512
// has no vpsignb: a mask of q's sign bits and a masked subtraction from zero, leaving s where q
// is zero, where the caller's |q| is zero.
#if HWY_TARGET == HWY_AVX2
HWY_API hn::Vec256<int8_t> CarrySign(hn::Vec256<int8_t> s, hn::Vec256<int8_t> q) {
  return hn::Vec256<int8_t>{_mm256_sign_epi8(s.raw, q.raw)};
}
#else
HWY_API hn::Vec512<int8_t> CarrySign(hn::Vec512<int8_t> s, hn::Vec512<int8_t> q) {
  return hn::Vec512<int8_t>{
      _mm512_mask_sub_epi8(s.raw, _mm512_movepi8_mask(q.raw), _mm512_setzero_si512(), s.raw)};
}
#endif

#if HWY_TARGET == HWY_AVX3_DL
// One instruction, exact: no intermediate can saturate.
inline constexpr bool kExactByteDots = true;

// acc + per 32-bit lane i: sum over j < 4 of u[4i + j] (unsigned) x s[4i + j] (signed), exact
// in int32 (vpdpbusd; no saturation).
ROOFPROF_ATTR_AVX512VNNI HWY_API hn::Vec512<int32_t> SumsOf4MulAdd(hn::Vec512<int32_t> acc,
                                                                   hn::Vec512<uint8_t> u,
                                                                   hn::Vec512<int8_t> s) {
  return hn::Vec512<int32_t>{_mm512_dpbusd_epi32(acc.raw, u.raw, s.raw)};
}
// SumsOf4MulAdd(SumsOf4MulAdd(acc, u0, s0), u1, s1).
ROOFPROF_ATTR_AVX512VNNI HWY_API hn::Vec512<int32_t> SumsOf8MulAdd(hn::Vec512<int32_t> acc,
                                                                   hn::Vec512<uint8_t> u0,
                                                                   hn::Vec512<int8_t> s0,
                                                                   hn::Vec512<uint8_t> u1,
                                                                   hn::Vec512<int8_t> s1) {
  return SumsOf4MulAdd(SumsOf4MulAdd(acc, u0, s0), u1, s1);
}
#else  // AVX3, AVX2
// vpmaddubsw saturates each pair u[2i] s[2i] + u[2i+1] s[2i+1] to int16: exact only where the
// pair's magnitude stays at most 32767 (bytes u <= 128 against |s| <= 127, or u <= 15 against
// any s), which the callers arrange; SumsOf8MulAdd adds two pairs in int16 (vpaddw), exact
// where four products stay at most 32767 (u <= 15: 4 x 15 x 128 = 7680).
inline constexpr bool kExactByteDots = false;

// Per 16-bit lane i: u[2i] x s[2i] + u[2i+1] x s[2i+1], saturated to int16 (vpmaddubsw).
HWY_API hn::Vec256<int16_t> SatSumsOf2Mul(hn::Vec256<uint8_t> u, hn::Vec256<int8_t> s) {
  return hn::Vec256<int16_t>{_mm256_maddubs_epi16(u.raw, s.raw)};
}
#if HWY_TARGET == HWY_AVX3
HWY_API hn::Vec512<int16_t> SatSumsOf2Mul(hn::Vec512<uint8_t> u, hn::Vec512<int8_t> s) {
  return hn::Vec512<int16_t>{_mm512_maddubs_epi16(u.raw, s.raw)};
}
#endif  // HWY_TARGET == HWY_AVX3

// acc + the int16 sums in `pairs`, two per 32-bit lane (vpmaddwd with ones, vpaddd).
template <class V16, class V32>
HWY_API V32 AddPairs(V32 acc, V16 pairs) {
  const hn::DFromV<V16> d16;
  V32 unused = acc;
  return hn::ReorderWidenMulAccumulate(hn::DFromV<V32>(), pairs, hn::Set(d16, 1), acc, unused);
}
// As the VNNI form: acc + per 32-bit lane i the sum over j < 4 of u[4i + j] x s[4i + j], here as
// two int16 pair sums (vpmaddubsw), summed into int32 by vpmaddwd with ones, then added.
template <class VI, class VU, class VS>
HWY_API VI SumsOf4MulAdd(VI acc, VU u, VS s) {
  return AddPairs(acc, SatSumsOf2Mul(u, s));
}
// acc + per 32-bit lane i the sums over j < 4 of u0[4i + j] x s0[4i + j] and u1[4i + j] x
// s1[4i + j]: two vpmaddubsw, one vpaddw, then vpmaddwd with ones and vpaddd (5 instructions
// for what SumsOf4MulAdd does in 6).
template <class VI, class VU, class VS>
HWY_API VI SumsOf8MulAdd(VI acc, VU u0, VS s0, VU u1, VS s1) {
  return AddPairs(acc, hn::Add(SatSumsOf2Mul(u0, s0), SatSumsOf2Mul(u1, s1)));
}
#endif  // AVX3_DL; AVX3, AVX2
#endif  // per target
