// AVX-512 instruction forms that Highway 1.0 has no op for and GCC does not choose on its own;
// kept here by the portability rule (scripts/check-portability.sh). Macros, so that a kernel's
// per-target code (AVX-512 targets only) can use them inside its own Highway namespace.
#ifndef ROOFPROF_SRC_ARCH_CPU_X86_AVX512_H_
#define ROOFPROF_SRC_ARCH_CPU_X86_AVX512_H_

// sum += vec * (*mem) in every lane, for 512-bit vectors of f32 (the raw __m512 of a Highway
// vector, sum an lvalue): one vfmadd231ps whose memory operand is broadcast ({1to16}), so the
// load unit does the broadcast. GCC turns several multiply-adds by the same broadcast value
// into one vbroadcastss and register operands, whatever the source says. AT&T syntax, GCC's
// and clang's default (not for -masm=intel).
#define ROOFPROF_AVX512_FMADD_BROADCAST(sum, mem, vec) \
  __asm__("vfmadd231ps %[m]%{1to16%}, %[v], %[s]" : [s] "+v"(sum) : [m] "m"(*(mem)), [v] "v"(vec))

#endif  // ROOFPROF_SRC_ARCH_CPU_X86_AVX512_H_
