// Per-target GEMM code: the MR x NR register micro-kernel, the packing routines (W transposed
// into NR-wide panels in its own format), and the BLIS loop nest around them.
//
// Loop nest per thread (BLIS order; "B" = W^T, vectors run along n so C rows are stored
// contiguously):
//   for j3 in n step nc:            W block (kc x nc), packed once per (j3, p)   -> L3
//     for p in k step kc:
//       pack W[j3 .. j3+nc, p .. p+kc] into nr-wide panels (transposed, f32 or bf16)
//       for i2 in m step mc:        A block (mc x kc), packed once per (j3, p, i2) -> L2
//         pack A[i2 .. i2+mc, p .. p+kc] (rows copied, stride kc)
//         for j1 in nc step nr:     W micro-panel (kc x nr)                       -> L1
//           for i1 in mc step mr:   A micro-panel (mr x kc) streams from L2
//             C[i1.., j1..] (=|+=) A~ * W~   (mr x nr accumulators in registers)
//
// Register tile (accumulators = mr x nv vectors; every k step loads nv W vectors and
// broadcasts mr A values): FMA latency 4 cycles x 2 FMA pipes (Zen 4/5, Golden Cove) needs
// >= 8 independent accumulators; more hide the loads and loop overhead.
//   32 vector registers (AVX-512, NEON/SVE, RVV): 14 x 2 = 28 accumulators + 2 W vectors +
//     1 broadcast = 31 registers. Per k step 28 FMAs (14 cycles at 2/cycle) against 2 vector
//     loads + 14 broadcast loads (16 loads, within 2-3 loads/cycle).
//   16 vector registers (SSE4, AVX2): 6 x 2 = 12 + 2 + 1 = 15 registers (BLIS's Haswell
//     6x16 tile); 12 FMAs per 8 loads.
//   EMU128/SCALAR (portable C++, no register file to fill): 4 x 2.
// Cache blocking (Zen 5: L1d 48 KiB, L2 1 MiB per core, L3 32 MiB per 8-core CCD = 4 MiB per
// core), with R = 4 bytes per packed A element and per f32 weight:
//   kc: every micro-kernel call loads and stores its C tile once (k/kc passes over C) and
//       pays a fixed ~200 cycles (2 mr nv C vector loads and stores, C prefetches, pipeline
//       fill and drain). kc is chosen so a call runs 7168 FMA cycles and that cost stays under
//       3%: kc = 2 * 7168 / (mr * nv), a multiple of 16 (64-byte rows), at most 768 -> 512 for
//       14 x 2 vectors, 768 for 6 x 2 and 4 x 2. Both micro-panels then stream from L2 (the
//       f32 W panel, kc x nr x R = 64 KiB on AVX-512, exceeds the 48 KiB L1): 128 + 56 bytes
//       per 14-cycle k step, 13 B/cycle, well within L2's bandwidth. The k loop is cut into
//       equal blocks of at most kc (multiples of 16), so no pass is a short one where that
//       helps (k = 600: 304 + 296 rather than 512 + 88). Measured (1 thread, AVX-512, f32,
//       GFLOP/s over process CPU time with the other core busy, best of 5 interleaved runs,
//       several runs): 2048^3 171 (kc 256), 178-184 (320), 181-186 (384), 187-195 (512);
//       512x4096x4096 180-183 (384) against 182-186 (512).
//   mc: the packed A block (mc x kc) stays in L2 across the j1 loop: half of L2 ->
//       mc = 512 KiB / (kc * R), a multiple of mr.
//   nc: the packed W block (kc x nc) stays in L3 across the i2 loop: half a core's L3
//       share -> nc = 2 MiB / (kc * R), a multiple of nr.
// bf16 weights stay bf16 in the packed panels and are widened in the micro-kernel (PromoteTo:
// 2 shuffle/shift uops per W vector, off the FMA pipes; the L1-resident micro-kernel runs at
// 192 GFLOP/s either way). Half-size panels halve the packing stores and the L2->L1 refills.
// Measured against widening while packing (same harness): 512x11008x4096 172.6/162.6 against
// 164.0/152.3, 512x4096x4096 165.4/156.8 against 160.1/155.0, 512x4096x11008 154.9/151.0
// against 151.3/147.1, 2048^3 169.7/165.6 against 171.1/162.8.
#if defined(ROOFPROF_KERNELS_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ROOFPROF_KERNELS_GEMM_INL_H_
#undef ROOFPROF_KERNELS_GEMM_INL_H_
#else
#define ROOFPROF_KERNELS_GEMM_INL_H_
#endif

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/gemm.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#ifndef ROOFPROF_GEMM_MACROS
#define ROOFPROF_GEMM_MACROS
// Vector columns v of a tile row i, and the rows of a tile: M(i, v) / M(i) once each.
#define RP_GEMM_V2(M, i) M(i, 0) M(i, 1)
#define RP_GEMM_VLIST2(M) M(0) M(1)
#define RP_GEMM_R4(M) M(0) M(1) M(2) M(3)
#define RP_GEMM_R6(M) RP_GEMM_R4(M) M(4) M(5)
#define RP_GEMM_R14(M) RP_GEMM_R6(M) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13)
#endif

// Register tile of this target (derivation above). RP_GEMM_ROWS/VECS expand the tile.
#undef RP_GEMM_ROWS
#undef RP_GEMM_VECS
#undef RP_GEMM_VLIST
#if HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR
#define RP_GEMM_ROWS RP_GEMM_R4
inline constexpr int kGemmMR = 4;
#elif HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
#define RP_GEMM_ROWS RP_GEMM_R6
inline constexpr int kGemmMR = 6;
#else
#define RP_GEMM_ROWS RP_GEMM_R14
inline constexpr int kGemmMR = 14;
#endif
#define RP_GEMM_VECS RP_GEMM_V2
#define RP_GEMM_VLIST RP_GEMM_VLIST2
inline constexpr int kGemmNV = 2;

// FMA cycles per micro-kernel call and cache budgets (Zen 5 numbers, derivation above).
inline constexpr int kGemmCallCycles = 7168;
inline constexpr int kGemmL2Budget = 512 << 10;
inline constexpr int kGemmL3Budget = 2 << 20;

constexpr int GemmRoundDown(int x, int multiple) { return x / multiple * multiple; }
// kc from the cycles per call (kc * mr * nv FMAs at 2 per cycle), at most 768 so the A block
// keeps a dozen or more register tiles of rows in half of L2.
inline constexpr int kGemmKC =
    std::min(768, GemmRoundDown(2 * kGemmCallCycles / (kGemmMR * kGemmNV), 16));
inline constexpr int kGemmMC =
    std::max(kGemmMR, GemmRoundDown(kGemmL2Budget / (kGemmKC * 4), kGemmMR));

using GemmTag = hn::ScalableTag<float>;

inline GemmBlocking ThisTargetBlocking() {
  const int nr = kGemmNV * static_cast<int>(hn::Lanes(GemmTag()));
  GemmBlocking b;
  b.mr = kGemmMR;
  b.nr = nr;
  b.kc = kGemmKC;
  b.mc = kGemmMC;
  b.nc = std::max(nr, GemmRoundDown(kGemmL3Budget / (kGemmKC * 4), nr));
  return b;
}

// ---------------------------------------------------------------------------------------
// Packing W: panel[kk * nr + jj] = W[j + jj][p + kk], zero beyond the last row, in W's own
// element type. L x L blocks are transposed in registers where the lane count is fixed (4, 8,
// 16), one element at a time elsewhere. Rows are transposed as f32 vectors (bf16 widened and
// narrowed back, both exact).

template <class D>
HWY_INLINE hn::Vec<D> LoadRowF32(D d, const float* HWY_RESTRICT p) {
  return hn::LoadU(d, p);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadRowF32(D d, const hwy::bfloat16_t* HWY_RESTRICT p) {
  const hn::Rebind<hwy::bfloat16_t, D> dbf;
  return hn::PromoteTo(d, hn::LoadU(dbf, p));
}
// Packed-panel element stores; f32 values that came from bf16 demote exactly.
template <class D>
HWY_INLINE void StorePanel(D d, hn::Vec<D> v, float* HWY_RESTRICT p) {
  hn::StoreU(v, d, p);
}
template <class D>
HWY_INLINE void StorePanel(D /* d */, hn::Vec<D> v, hwy::bfloat16_t* HWY_RESTRICT p) {
  const hn::Rebind<hwy::bfloat16_t, D> dbf;
  hn::StoreU(hn::DemoteTo(dbf, v), dbf, p);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadPanel(D d, const float* HWY_RESTRICT p) {
  return hn::LoadU(d, p);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadPanel(D d, const hwy::bfloat16_t* HWY_RESTRICT p) {
  const hn::Rebind<hwy::bfloat16_t, D> dbf;
  return hn::PromoteTo(d, hn::LoadU(dbf, p));
}

// Lanes of the in-register transpose this target uses; 0 = element by element.
template <class D>
constexpr size_t GemmTransposeLanes(D d) {
#if HWY_HAVE_SCALABLE || HWY_TARGET == HWY_SCALAR
  (void)d;
  return 0;
#else
  return (hn::MaxLanes(d) == 4 || hn::MaxLanes(d) == 8 || hn::MaxLanes(d) == 16) ? hn::MaxLanes(d)
                                                                                 : 0;
#endif
}

#if !HWY_HAVE_SCALABLE && HWY_TARGET != HWY_SCALAR
// Rows r0..r(L-1) (L = lanes) of src (row stride lds) -> columns, column t stored at
// dst + t * ldd. Stage 1 interleaves 32-bit pairs within 128-bit blocks, stage 2 64-bit
// pairs; 256- and 512-bit vectors then exchange 128-bit blocks and halves.
#define RP_GEMM_LOAD_ROW(x) const auto r##x = LoadRowF32(d, src + (x)*lds)
#define RP_GEMM_S1(a, b) \
  const auto t##a = hn::InterleaveLower(d, r##a, r##b), t##b = hn::InterleaveUpper(d, r##a, r##b)
#define RP_GEMM_S2(a, b)                                                                        \
  const auto u##a =                                                                             \
      hn::BitCast(d, hn::InterleaveLower(d64, hn::BitCast(d64, t##a), hn::BitCast(d64, t##b))), \
             u##b = hn::BitCast(                                                                \
                 d, hn::InterleaveUpper(d64, hn::BitCast(d64, t##a), hn::BitCast(d64, t##b)))
// Stores the lower halves of x and y as column ca, the upper halves as column cb.
#define RP_GEMM_HALVES(x, y, ca, cb)                              \
  do {                                                            \
    StorePanel(d, hn::ConcatLowerLower(d, y, x), dst + (ca)*ldd); \
    StorePanel(d, hn::ConcatUpperUpper(d, y, x), dst + (cb)*ldd); \
  } while (0)

template <class D, typename T>
HWY_INLINE void Transpose4(D d, const T* HWY_RESTRICT src, size_t lds, T* HWY_RESTRICT dst,
                           size_t ldd) {
  const hn::Repartition<uint64_t, D> d64;
  RP_GEMM_LOAD_ROW(0);
  RP_GEMM_LOAD_ROW(1);
  RP_GEMM_LOAD_ROW(2);
  RP_GEMM_LOAD_ROW(3);
  RP_GEMM_S1(0, 1);
  RP_GEMM_S1(2, 3);
  // u0: column 0, u2: column 1, u1: column 2, u3: column 3.
  RP_GEMM_S2(0, 2);
  RP_GEMM_S2(1, 3);
  StorePanel(d, u0, dst);
  StorePanel(d, u2, dst + ldd);
  StorePanel(d, u1, dst + 2 * ldd);
  StorePanel(d, u3, dst + 3 * ldd);
}

template <class D, typename T>
HWY_INLINE void Transpose8(D d, const T* HWY_RESTRICT src, size_t lds, T* HWY_RESTRICT dst,
                           size_t ldd) {
  const hn::Repartition<uint64_t, D> d64;
  RP_GEMM_LOAD_ROW(0);
  RP_GEMM_LOAD_ROW(1);
  RP_GEMM_LOAD_ROW(2);
  RP_GEMM_LOAD_ROW(3);
  RP_GEMM_LOAD_ROW(4);
  RP_GEMM_LOAD_ROW(5);
  RP_GEMM_LOAD_ROW(6);
  RP_GEMM_LOAD_ROW(7);
  RP_GEMM_S1(0, 1);
  RP_GEMM_S1(2, 3);
  RP_GEMM_S1(4, 5);
  RP_GEMM_S1(6, 7);
  // Per 128-bit block b (columns 4b + c): u0 holds column c=0, u2 c=1, u1 c=2, u3 c=3 of
  // rows 0-3; u4.. likewise for rows 4-7. Halves then join rows 0-3 and 4-7.
  RP_GEMM_S2(0, 2);
  RP_GEMM_S2(1, 3);
  RP_GEMM_S2(4, 6);
  RP_GEMM_S2(5, 7);
  RP_GEMM_HALVES(u0, u4, 0, 4);
  RP_GEMM_HALVES(u2, u6, 1, 5);
  RP_GEMM_HALVES(u1, u5, 2, 6);
  RP_GEMM_HALVES(u3, u7, 3, 7);
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// v(a) = [u(a) block 0, u(b) block 0, u(a) block 2, u(b) block 2] and
// v(b) = [u(a) block 1, u(b) block 1, u(a) block 3, u(b) block 3].
#define RP_GEMM_S3(a, b)                                                   \
  const auto v##a = hn::OddEvenBlocks(hn::SwapAdjacentBlocks(u##b), u##a), \
             v##b = hn::OddEvenBlocks(u##b, hn::SwapAdjacentBlocks(u##a))

template <class D, typename T>
HWY_INLINE void Transpose16(D d, const T* HWY_RESTRICT src, size_t lds, T* HWY_RESTRICT dst,
                            size_t ldd) {
  const hn::Repartition<uint64_t, D> d64;
  RP_GEMM_LOAD_ROW(0);
  RP_GEMM_LOAD_ROW(1);
  RP_GEMM_LOAD_ROW(2);
  RP_GEMM_LOAD_ROW(3);
  RP_GEMM_LOAD_ROW(4);
  RP_GEMM_LOAD_ROW(5);
  RP_GEMM_LOAD_ROW(6);
  RP_GEMM_LOAD_ROW(7);
  RP_GEMM_LOAD_ROW(8);
  RP_GEMM_LOAD_ROW(9);
  RP_GEMM_LOAD_ROW(10);
  RP_GEMM_LOAD_ROW(11);
  RP_GEMM_LOAD_ROW(12);
  RP_GEMM_LOAD_ROW(13);
  RP_GEMM_LOAD_ROW(14);
  RP_GEMM_LOAD_ROW(15);
  RP_GEMM_S1(0, 1);
  RP_GEMM_S1(2, 3);
  RP_GEMM_S1(4, 5);
  RP_GEMM_S1(6, 7);
  RP_GEMM_S1(8, 9);
  RP_GEMM_S1(10, 11);
  RP_GEMM_S1(12, 13);
  RP_GEMM_S1(14, 15);
  // Per 128-bit block b: u0 holds column 4b, u2 4b+1, u1 4b+2, u3 4b+3 of rows 0-3; u4..
  // rows 4-7, u8.. rows 8-11, u12.. rows 12-15.
  RP_GEMM_S2(0, 2);
  RP_GEMM_S2(1, 3);
  RP_GEMM_S2(4, 6);
  RP_GEMM_S2(5, 7);
  RP_GEMM_S2(8, 10);
  RP_GEMM_S2(9, 11);
  RP_GEMM_S2(12, 14);
  RP_GEMM_S2(13, 15);
  // Blocks exchanged between row groups 0-3 and 4-7 (8-11 and 12-15): v0 holds
  // [rows 0-3 col 0, rows 4-7 col 0, rows 0-3 col 8, rows 4-7 col 8], v4 the same for
  // columns 4 and 12 (v2: 1 and 9, v1: 2 and 10, v3: 3 and 11, ...).
  RP_GEMM_S3(0, 4);
  RP_GEMM_S3(1, 5);
  RP_GEMM_S3(2, 6);
  RP_GEMM_S3(3, 7);
  RP_GEMM_S3(8, 12);
  RP_GEMM_S3(9, 13);
  RP_GEMM_S3(10, 14);
  RP_GEMM_S3(11, 15);
  // Halves join rows 0-7 with rows 8-15.
  RP_GEMM_HALVES(v0, v8, 0, 8);
  RP_GEMM_HALVES(v2, v10, 1, 9);
  RP_GEMM_HALVES(v1, v9, 2, 10);
  RP_GEMM_HALVES(v3, v11, 3, 11);
  RP_GEMM_HALVES(v4, v12, 4, 12);
  RP_GEMM_HALVES(v6, v14, 5, 13);
  RP_GEMM_HALVES(v5, v13, 6, 14);
  RP_GEMM_HALVES(v7, v15, 7, 15);
}
#undef RP_GEMM_S3
#endif  // AVX-512

#undef RP_GEMM_LOAD_ROW
#undef RP_GEMM_S1
#undef RP_GEMM_S2
#undef RP_GEMM_HALVES
#endif  // fixed-size vectors

// L x L block (L = GemmTransposeLanes(d) != 0) of src into dst (see Transpose4).
template <class D, typename T>
HWY_INLINE void TransposeBlock(D d, const T* HWY_RESTRICT src, size_t lds, T* HWY_RESTRICT dst,
                               size_t ldd) {
#if !HWY_HAVE_SCALABLE && HWY_TARGET != HWY_SCALAR
  constexpr size_t kL = GemmTransposeLanes(D());
  if constexpr (kL == 4) {
    Transpose4(d, src, lds, dst, ldd);
  } else if constexpr (kL == 8) {
    Transpose8(d, src, lds, dst, ldd);
  }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if constexpr (kL == 16) Transpose16(d, src, lds, dst, ldd);
#endif
#else
  (void)d, (void)src, (void)lds, (void)dst, (void)ldd;
#endif
}

// Packs `rows` rows (of W, stride ldw, starting at the block's first row and column) and kc
// columns into ceil(rows / nr) panels of kc x nr floats, consecutive in `wp`.
template <typename T>
void PackW(const T* HWY_RESTRICT w, size_t ldw, size_t rows, size_t kc, T* HWY_RESTRICT wp) {
  const GemmTag d;
  const size_t lanes = hn::Lanes(d);
  const size_t nr = kGemmNV * lanes;
  constexpr size_t kL = GemmTransposeLanes(GemmTag());
  for (size_t j = 0; j < rows; j += nr) {
    T* HWY_RESTRICT panel = wp + (j / nr) * kc * nr;
    for (size_t jj = 0; jj < nr; jj += lanes) {
      // Rows of this lane group that exist (the last panel may be ragged).
      const size_t valid = j + jj >= rows ? 0 : std::min(lanes, rows - j - jj);
      const T* HWY_RESTRICT src = w + (j + jj) * ldw;
      size_t kk = 0;
      if (kL != 0 && valid == lanes) {
        for (; kk + kL <= kc; kk += kL) {
          TransposeBlock(d, src + kk, ldw, panel + kk * nr + jj, nr);
        }
      }
      for (size_t r = 0; r < lanes; ++r) {
        for (size_t k2 = kk; k2 < kc; ++k2) {
          panel[k2 * nr + jj + r] = r < valid ? src[r * ldw + k2] : T();  // T(): +0
        }
      }
    }
  }
}

// Packs `rows` rows of A (stride lda) and kc columns into rows of stride kGemmKC, padded
// with zero rows to a multiple of mr.
inline void PackA(const float* HWY_RESTRICT a, size_t lda, size_t rows, size_t kc,
                  float* HWY_RESTRICT ap) {
  const size_t padded = (rows + kGemmMR - 1) / kGemmMR * kGemmMR;
  for (size_t i = 0; i < rows; ++i) {
    // A row segment is kc * 4 bytes (2 KiB) followed by a jump of lda: too short for the
    // hardware stream prefetchers, so fetch the row two ahead by hand (in-loop packing time
    // 3.6 -> 2.5 ms per 2048^3 run, 1 thread).
    if (i + 2 < rows) {
      const uint8_t* ahead = reinterpret_cast<const uint8_t*>(a + (i + 2) * lda);
      for (size_t byte = 0; byte < kc * sizeof(float); byte += 64) hwy::Prefetch(ahead + byte);
    }
    std::memcpy(ap + i * kGemmKC, a + i * lda, kc * sizeof(float));
  }
  for (size_t i = rows; i < padded; ++i) std::memset(ap + i * kGemmKC, 0, kc * sizeof(float));
}

// ---------------------------------------------------------------------------------------
// The micro-kernel: C[0..mr, 0..nr] = (accumulate ? C : 0) + sum over kk < kc of
// ap[i * kGemmKC + kk] * wp[kk * nr + j]. Accumulators are named registers c<i>_<v>.
#define RP_GEMM_DECL(i, v) auto c##i##_##v = hn::Zero(d);
#define RP_GEMM_DECL_ROW(i) RP_GEMM_VECS(RP_GEMM_DECL, i)
#define RP_GEMM_PREFETCH(i, v) hwy::Prefetch(c + i * ldc + v * N);
#define RP_GEMM_PREFETCH_ROW(i) \
  RP_GEMM_VECS(RP_GEMM_PREFETCH, i) hwy::Prefetch(c + i * ldc + nr - 1);
#define RP_GEMM_LOADW(v) const auto w##v = LoadPanel(d, wk + v * N);
#define RP_GEMM_FMA(i, v) c##i##_##v = hn::MulAdd(a##i, w##v, c##i##_##v);
#define RP_GEMM_ROW_FMA(i)                         \
  {                                                \
    const auto a##i = hn::Set(d, ak[i * kGemmKC]); \
    RP_GEMM_VECS(RP_GEMM_FMA, i)                   \
  }
#define RP_GEMM_STORE(i, v) hn::StoreU(c##i##_##v, d, c + i * ldc + v * N);
#define RP_GEMM_STORE_ROW(i) RP_GEMM_VECS(RP_GEMM_STORE, i)
#define RP_GEMM_ADD(i, v)                                     \
  {                                                           \
    float* HWY_RESTRICT cp = c + i * ldc + v * N;             \
    hn::StoreU(hn::Add(hn::LoadU(d, cp), c##i##_##v), d, cp); \
  }
#define RP_GEMM_ADD_ROW(i) RP_GEMM_VECS(RP_GEMM_ADD, i)

template <typename T>
HWY_INLINE void MicroKernel(size_t kc, const float* HWY_RESTRICT ap, const T* HWY_RESTRICT wp,
                            float* HWY_RESTRICT c, size_t ldc, bool accumulate) {
  const GemmTag d;
  const size_t N = hn::Lanes(d);
  const size_t nr = kGemmNV * N;
  // The C tile is read (or written) only after the k loop: start fetching its lines now so
  // the ~kc * mr / 2 cycles of FMAs hide their latency (C lives in L3 or DRAM between the
  // k/kc passes).
  if (accumulate) {
    RP_GEMM_ROWS(RP_GEMM_PREFETCH_ROW)
  }
  RP_GEMM_ROWS(RP_GEMM_DECL_ROW)
  for (size_t kk = 0; kk < kc; ++kk) {
    const T* HWY_RESTRICT wk = wp + kk * nr;
    const float* HWY_RESTRICT ak = ap + kk;
    RP_GEMM_VLIST(RP_GEMM_LOADW)
    RP_GEMM_ROWS(RP_GEMM_ROW_FMA)
  }
  if (accumulate) {
    RP_GEMM_ROWS(RP_GEMM_ADD_ROW)
  } else {
    RP_GEMM_ROWS(RP_GEMM_STORE_ROW)
  }
}

#undef RP_GEMM_DECL
#undef RP_GEMM_DECL_ROW
#undef RP_GEMM_PREFETCH
#undef RP_GEMM_PREFETCH_ROW
#undef RP_GEMM_LOADW
#undef RP_GEMM_FMA
#undef RP_GEMM_ROW_FMA
#undef RP_GEMM_STORE
#undef RP_GEMM_STORE_ROW
#undef RP_GEMM_ADD
#undef RP_GEMM_ADD_ROW

// ---------------------------------------------------------------------------------------
// One thread's block of C: rows [m0, m1), columns [n0, n1). `buf` holds the packed A block
// (mc x kc), the packed W block (nc x kc) and one edge tile (mr x nr).
template <typename T>
void GemmBlock(const float* HWY_RESTRICT a, size_t lda, const T* HWY_RESTRICT w, size_t ldw,
               float* HWY_RESTRICT c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1,
               size_t k, float* HWY_RESTRICT buf) {
  const GemmBlocking b = ThisTargetBlocking();
  const size_t mr = static_cast<size_t>(b.mr), nr = static_cast<size_t>(b.nr);
  // Blocks of equal size (at most kc, mc and nc), so the loops end on no sliver.
  const size_t kc = static_cast<size_t>(GemmBalancedBlock(static_cast<int64_t>(k), b.kc, 16));
  const size_t mc =
      static_cast<size_t>(GemmBalancedBlock(static_cast<int64_t>(m1 - m0), b.mc, b.mr));
  const size_t nc =
      static_cast<size_t>(GemmBalancedBlock(static_cast<int64_t>(n1 - n0), b.nc, b.nr));
  // Buffer layout for the largest blocks: A~ rows have stride kGemmKC = b.kc.
  float* HWY_RESTRICT ap = buf;
  T* HWY_RESTRICT wp = reinterpret_cast<T*>(ap + static_cast<size_t>(b.mc) * kGemmKC);
  float* HWY_RESTRICT tile = ap + static_cast<size_t>(b.mc + b.nc) * kGemmKC;
  for (size_t j3 = n0; j3 < n1; j3 += nc) {
    const size_t nb = std::min(nc, n1 - j3);
    for (size_t p = 0; p < k; p += kc) {
      const size_t kb = std::min(kc, k - p);
      const bool accumulate = p > 0;
      PackW(w + j3 * ldw + p, ldw, nb, kb, wp);
      for (size_t i2 = m0; i2 < m1; i2 += mc) {
        const size_t mb = std::min(mc, m1 - i2);
        PackA(a + i2 * lda + p, lda, mb, kb, ap);
        for (size_t j1 = 0; j1 < nb; j1 += nr) {
          const T* HWY_RESTRICT wpanel = wp + (j1 / nr) * kb * nr;
          const size_t cols = std::min(nr, nb - j1);
          for (size_t i1 = 0; i1 < mb; i1 += mr) {
            const size_t rows = std::min(mr, mb - i1);
            float* HWY_RESTRICT cp = c + (i2 + i1) * ldc + j3 + j1;
            if (rows == mr && cols == nr) {
              MicroKernel(kb, ap + i1 * kGemmKC, wpanel, cp, ldc, accumulate);
              continue;
            }
            // Edge tile: compute the full tile into `tile`, then fold the valid part into C.
            MicroKernel(kb, ap + i1 * kGemmKC, wpanel, tile, nr, false);
            for (size_t i = 0; i < rows; ++i) {
              for (size_t j = 0; j < cols; ++j) {
                cp[i * ldc + j] = (accumulate ? cp[i * ldc + j] : 0.0f) + tile[i * nr + j];
              }
            }
          }
        }
      }
    }
  }
}

// C = A * W^T with ws->threads() threads over the grid ChooseGemmGrid picks.
template <typename T>
void GemmImpl(const float* a, int64_t lda, const T* w, int64_t ldw, float* c, int64_t ldc,
              int64_t m, int64_t n, int64_t k, GemmWorkspace* ws) {
  const GemmBlocking b = ThisTargetBlocking();
  const int threads = ws->threads();
  const GemmGrid grid = ChooseGemmGrid(m, n, threads, b);
#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    const auto rows = GemmPartRange(m, grid.tm, tid / grid.tn, b.mr);
    const auto cols = GemmPartRange(n, grid.tn, tid % grid.tn, b.nr);
    if (rows.first < rows.second && cols.first < cols.second) {
      GemmBlock(a, static_cast<size_t>(lda), w, static_cast<size_t>(ldw), c,
                static_cast<size_t>(ldc), static_cast<size_t>(rows.first),
                static_cast<size_t>(rows.second), static_cast<size_t>(cols.first),
                static_cast<size_t>(cols.second), static_cast<size_t>(k), ws->buffer(tid));
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
