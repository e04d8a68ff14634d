// Per-target SwiGLU code: a register-blocked dot-product tile shared by the fused kernel
// (gate and up rows of the same outputs in one tile) and the unfused one (rows of one matrix).
// Arrays of vectors are not allowed for SVE/RVV (sizeless types), hence the macros.
#if defined(ROOFPROF_KERNELS_FFN_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ROOFPROF_KERNELS_FFN_INL_H_
#undef ROOFPROF_KERNELS_FFN_INL_H_
#else
#define ROOFPROF_KERNELS_FFN_INL_H_
#endif

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/attention.h"  // StaticRange
#include "kernels/ffn.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace ffn {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Weight rows per tile (see kFfnTileRows): 4 with 32 vector registers, 2 with 16.
#if HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2
constexpr int kWeightRows = 2;
#else
constexpr int kWeightRows = 4;
#endif

// exp(-z) overflows f32 for -z > 88.7 (and Highway's Exp is specified up to 104): clamping
// the argument at 88 keeps 1 + exp(-z) finite, and silu(z) for z < -88 is then z e^-88
// instead of z e^z, both below 1e-36 in magnitude.
constexpr float kSiluExpClamp = 88.0f;

HWY_INLINE VF SiluMul(DF d, VF g, VF u) {
  const VF e = hn::Exp(d, hn::Min(hn::Neg(g), hn::Set(d, kSiluExpClamp)));
  return hn::Mul(hn::Div(g, hn::Add(hn::Set(d, 1.0f), e)), u);
}

HWY_INLINE float SiluMulScalar(float g, float u) {
  return g / (1.0f + std::exp(std::min(-g, kSiluExpClamp))) * u;
}

// clang-format off
#define RP_FFN_TILE(M) \
  M(0, 0) M(0, 1) M(0, 2) M(0, 3) M(1, 0) M(1, 1) M(1, 2) M(1, 3) \
  M(2, 0) M(2, 1) M(2, 2) M(2, 3) M(3, 0) M(3, 1) M(3, 2) M(3, 3)
// clang-format on
#define RP_FFN_DECL(r, w) VF a##r##w = hn::Zero(d);
#define RP_FFN_FMA(r, w) \
  if constexpr ((r) < kR && (w) < kW) a##r##w = hn::MulAdd(x##r, wv##w, a##r##w);
#define RP_FFN_REDUCE(r, w) \
  if constexpr ((r) < kR && (w) < kW) s[r][w] = hn::GetLane(hn::SumOfLanes(d, a##r##w));

// out_w[r * ldo] = x_r . w_w for kR rows of x (stride k) and kW weight rows, over k.
template <int kR, int kW>
HWY_INLINE void DotTile(DF d, const float* HWY_RESTRICT x, size_t k, const float* const* w,
                        float* const* out, size_t ldo) {
  const size_t lanes = hn::Lanes(d);
  const float* x0p = x;
  const float* x1p = kR > 1 ? x + k : x;
  const float* x2p = kR > 2 ? x + 2 * k : x;
  const float* x3p = kR > 3 ? x + 3 * k : x;
  const float* w0p = w[0];
  const float* w1p = kW > 1 ? w[1] : w[0];
  const float* w2p = kW > 2 ? w[2] : w[0];
  const float* w3p = kW > 3 ? w[3] : w[0];
  RP_FFN_TILE(RP_FFN_DECL)
  size_t i = 0;
  for (; i + lanes <= k; i += lanes) {
    const VF x0 = hn::LoadU(d, x0p + i);
    const VF x1 = hn::LoadU(d, x1p + i);
    const VF x2 = hn::LoadU(d, x2p + i);
    const VF x3 = hn::LoadU(d, x3p + i);
    const VF wv0 = hn::LoadU(d, w0p + i);
    const VF wv1 = hn::LoadU(d, w1p + i);
    const VF wv2 = hn::LoadU(d, w2p + i);
    const VF wv3 = hn::LoadU(d, w3p + i);
    RP_FFN_TILE(RP_FFN_FMA)
  }
  float s[4][4] = {};
  RP_FFN_TILE(RP_FFN_REDUCE)
  const float* xr[4] = {x0p, x1p, x2p, x3p};
  const float* wr[4] = {w0p, w1p, w2p, w3p};
  for (; i < k; ++i) {  // k not a multiple of the vector length
    for (int r = 0; r < kR; ++r) {
      for (int c = 0; c < kW; ++c) s[r][c] += xr[r][i] * wr[c][i];
    }
  }
  for (int r = 0; r < kR; ++r) {
    for (int c = 0; c < kW; ++c) out[c][static_cast<size_t>(r) * ldo] = s[r][c];
  }
}

#undef RP_FFN_TILE
#undef RP_FFN_DECL
#undef RP_FFN_FMA
#undef RP_FFN_REDUCE

// DotTile for `rows` (1..4) rows of x.
template <int kW>
HWY_INLINE void DotRows(DF d, size_t rows, const float* x, size_t k, const float* const* w,
                        float* const* out, size_t ldo) {
  switch (rows) {
    case 4:
      DotTile<4, kW>(d, x, k, w, out, ldo);
      break;
    case 3:
      DotTile<3, kW>(d, x, k, w, out, ldo);
      break;
    case 2:
      DotTile<2, kW>(d, x, k, w, out, ldo);
      break;
    default:
      DotTile<1, kW>(d, x, k, w, out, ldo);
      break;
  }
}

// h = silu(g) * u for n contiguous values.
HWY_INLINE void SiluMulRow(DF d, const float* HWY_RESTRICT g, const float* HWY_RESTRICT u, size_t n,
                           float* HWY_RESTRICT h) {
  const size_t lanes = hn::Lanes(d);
  size_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    hn::StoreU(SiluMul(d, hn::LoadU(d, g + j), hn::LoadU(d, u + j)), d, h + j);
  }
  for (; j < n; ++j) h[j] = SiluMulScalar(g[j], u[j]);
}

// Fused: outputs [j_begin, j_end). Per chunk of kFfnChunkCols outputs and kFfnChunkRows rows,
// each tile computes gate and up sums of kWeightRows / 2 outputs for 4 rows of x at once; the
// activation then writes h. G and U never exist beyond the 2 KiB chunk.
inline void FusedRange(DF d, const FfnData& a, int64_t j_begin, int64_t j_end) {
  const size_t m = static_cast<size_t>(a.dims.m), n = static_cast<size_t>(a.dims.n);
  const size_t k = static_cast<size_t>(a.dims.k);
  constexpr size_t kCols = static_cast<size_t>(kFfnChunkCols);
  constexpr size_t kRows = static_cast<size_t>(kFfnChunkRows);
  constexpr size_t kTileRows = static_cast<size_t>(kFfnTileRows);
  constexpr size_t kPairs = static_cast<size_t>(kWeightRows / 2);
  HWY_ALIGN float gbuf[kRows * kCols];
  HWY_ALIGN float ubuf[kRows * kCols];
  for (size_t j0 = static_cast<size_t>(j_begin); j0 < static_cast<size_t>(j_end); j0 += kCols) {
    const size_t nj = std::min(kCols, static_cast<size_t>(j_end) - j0);
    for (size_t i0 = 0; i0 < m; i0 += kRows) {
      const size_t nr = std::min(kRows, m - i0);
      for (size_t jj = 0; jj < nj; jj += kPairs) {
        const size_t pairs = std::min(kPairs, nj - jj);
        const float* w[4];
        for (size_t p = 0; p < pairs; ++p) {
          w[2 * p] = a.wg + (j0 + jj + p) * k;
          w[2 * p + 1] = a.wu + (j0 + jj + p) * k;
        }
        for (size_t ib = 0; ib < nr; ib += kTileRows) {
          const size_t rows = std::min(kTileRows, nr - ib);
          float* out[4];
          for (size_t p = 0; p < pairs; ++p) {
            out[2 * p] = gbuf + ib * kCols + jj + p;
            out[2 * p + 1] = ubuf + ib * kCols + jj + p;
          }
          const float* x = a.x + (i0 + ib) * k;
          if (pairs == 2) {
            DotRows<4>(d, rows, x, k, w, out, kCols);
          } else {
            DotRows<2>(d, rows, x, k, w, out, kCols);
          }
        }
      }
      for (size_t r = 0; r < nr; ++r) {
        SiluMulRow(d, gbuf + r * kCols, ubuf + r * kCols, nj, a.h + (i0 + r) * n + j0);
      }
    }
  }
}

// One matrix product out = x W^T for outputs [j_begin, j_end), tiles of kWeightRows rows of
// W against 4 rows of x.
inline void ProductRange(DF d, const FfnData& a, const float* wmat, float* out, int64_t j_begin,
                         int64_t j_end) {
  const size_t m = static_cast<size_t>(a.dims.m), n = static_cast<size_t>(a.dims.n);
  const size_t k = static_cast<size_t>(a.dims.k);
  constexpr size_t kTileRows = static_cast<size_t>(kFfnTileRows);
  for (size_t j0 = static_cast<size_t>(j_begin); j0 < static_cast<size_t>(j_end);
       j0 += static_cast<size_t>(kWeightRows)) {
    const size_t nw = std::min(static_cast<size_t>(kWeightRows), static_cast<size_t>(j_end) - j0);
    const float* w[4];
    for (size_t c = 0; c < nw; ++c) w[c] = wmat + (j0 + c) * k;
    for (size_t i0 = 0; i0 < m; i0 += kTileRows) {
      const size_t rows = std::min(kTileRows, m - i0);
      float* o[4];
      for (size_t c = 0; c < nw; ++c) o[c] = out + i0 * n + j0 + c;
      const float* x = a.x + i0 * k;
      switch (nw) {
        case 4:
          DotRows<4>(d, rows, x, k, w, o, n);
          break;
        case 3:
          DotRows<3>(d, rows, x, k, w, o, n);
          break;
        case 2:
          DotRows<2>(d, rows, x, k, w, o, n);
          break;
        default:
          DotRows<1>(d, rows, x, k, w, o, n);
          break;
      }
    }
  }
}

// Unfused: G = x Wg^T and U = x Wu^T written to memory, then h = silu(G) * U read back.
inline void UnfusedRange(DF d, const FfnData& a, int64_t j_begin, int64_t j_end) {
  ProductRange(d, a, a.wg, a.g, j_begin, j_end);
  ProductRange(d, a, a.wu, a.u, j_begin, j_end);
  const size_t n = static_cast<size_t>(a.dims.n);
  const size_t j0 = static_cast<size_t>(j_begin);
  const size_t nj = static_cast<size_t>(j_end - j_begin);
  for (size_t i = 0; i < static_cast<size_t>(a.dims.m); ++i) {
    SiluMulRow(d, a.g + i * n + j0, a.u + i * n + j0, nj, a.h + i * n + j0);
  }
}

inline void FfnSwigluImpl(const FfnData& a) {
  const DF d;
#pragma omp parallel num_threads(a.threads)
  {
    int64_t j0, j1;
    StaticRange(a.dims.n, omp_get_num_threads(), omp_get_thread_num(), &j0, &j1);
    if (a.fused) {
      FusedRange(d, a, j0, j1);
    } else {
      UnfusedRange(d, a, j0, j1);
    }
  }
}

}  // namespace ffn
}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
