// Per-target SwiGLU code: panels of weight rows worked through in L1-sized k slices by a
// register-blocked dot-product tile, shared by the fused kernel (gate and up rows of the same
// outputs in one tile) and the unfused one (rows of one matrix).
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
#include "kernels/gemv-inl.h"  // GemvPanelRun: the panel path
#include "kernels/prefetch.h"

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
// instead of z e^z: both zero to within |z| x 6e-39.
constexpr float kSiluExpClamp = 88.0f;
// Floats per 64-byte cache line: the weight prefetch issues one prefetch per line.
constexpr size_t kLineFloats = 16;

template <class D>
HWY_INLINE hn::Vec<D> SiluMul(D d, hn::Vec<D> g, hn::Vec<D> u) {
  const auto e = hn::Exp(d, hn::Min(hn::Neg(g), hn::Set(d, kSiluExpClamp)));
  return hn::Mul(hn::Div(g, hn::Add(hn::Set(d, 1.0f), e)), u);
}

HWY_INLINE float SiluMulScalar(float g, float u) {
  return g / (1.0f + std::exp(std::min(-g, kSiluExpClamp))) * u;
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

// clang-format off
#define RP_FFN_TILE(M) \
  M(0, 0) M(0, 1) M(0, 2) M(0, 3) M(1, 0) M(1, 1) M(1, 2) M(1, 3) \
  M(2, 0) M(2, 1) M(2, 2) M(2, 3) M(3, 0) M(3, 1) M(3, 2) M(3, 3)
// clang-format on
#define RP_FFN_LOAD(r, w)   \
  VF a##r##w = hn::Zero(d); \
  if constexpr ((r) < kR && (w) < kW) a##r##w = hn::Load(d, partial + ((r)*kW + (w)) * lanes);
#define RP_FFN_FMA(r, w) \
  if constexpr ((r) < kR && (w) < kW) a##r##w = hn::MulAdd(x##r, wv##w, a##r##w);
#define RP_FFN_STORE(r, w) \
  if constexpr ((r) < kR && (w) < kW) hn::Store(a##r##w, d, partial + ((r)*kW + (w)) * lanes);

// Partial sums of a tile over one k slice: partial[(r kW + w) lanes ..] += lanes of
// x_r[c0 + i] * w_w[c0 + i] over nvec vectors, for kR rows of x (stride ldx) and kW weight rows.
// With `prefetch_ahead` > 0 (the first row block of a panel, which brings the weights into
// L1), it also prefetches the weight rows that far ahead into L2: a panel streams 16 rows
// 16 KiB apart at once, more streams than the hardware prefetchers follow. Measured before
// these prefetches compiled at all (prefetch.h; the L2 ones were dropped), so "into L2" below
// stood for none: Zen 4 guest, m = 1, n = 11008, k = 4096, 2 threads, interleaved best of 5,
// fused 8.21 ms without against 9.69 prefetching into L1, unfused 7.91 against 9.47; 4 slices
// ahead into L1 13.5 against 9.5-11.5. With them compiled (this path now runs where the GEMV panels
// do not, so
// --isa SSE4, best of 3-4): fused m = 1 on 1 thread 19.3 against 21.0 ms without, m = 16 on
// 2 threads 40.6 against 44.8, n = 2048 k = 1024 m = 4 (L3) 1.30 against 1.38.
template <int kR, int kW>
HWY_INLINE void TileSlice(DF d, const float* HWY_RESTRICT x, size_t ldx, const float* const* w,
                          size_t c0, size_t nvec, float* HWY_RESTRICT partial,
                          size_t prefetch_ahead) {
  const size_t lanes = hn::Lanes(d);
  const float* x0p = x + c0;
  const float* x1p = kR > 1 ? x0p + ldx : x0p;
  const float* x2p = kR > 2 ? x0p + 2 * ldx : x0p;
  const float* x3p = kR > 3 ? x0p + 3 * ldx : x0p;
  const float* w0p = w[0] + c0;
  const float* w1p = kW > 1 ? w[1] + c0 : w0p;
  const float* w2p = kW > 2 ? w[2] + c0 : w0p;
  const float* w3p = kW > 3 ? w[3] + c0 : w0p;
  RP_FFN_TILE(RP_FFN_LOAD)
  for (size_t v = 0, i = 0; v < nvec; ++v, i += lanes) {
    const VF x0 = hn::LoadU(d, x0p + i);
    const VF x1 = hn::LoadU(d, x1p + i);
    const VF x2 = hn::LoadU(d, x2p + i);
    const VF x3 = hn::LoadU(d, x3p + i);
    const VF wv0 = hn::LoadU(d, w0p + i);
    const VF wv1 = hn::LoadU(d, w1p + i);
    const VF wv2 = hn::LoadU(d, w2p + i);
    const VF wv3 = hn::LoadU(d, w3p + i);
    RP_FFN_TILE(RP_FFN_FMA)
    if (prefetch_ahead != 0 && (i % kLineFloats) == 0) {
      PrefetchToL2(w0p + i + prefetch_ahead);
      if constexpr (kW > 1) PrefetchToL2(w1p + i + prefetch_ahead);
      if constexpr (kW > 2) PrefetchToL2(w2p + i + prefetch_ahead);
      if constexpr (kW > 3) PrefetchToL2(w3p + i + prefetch_ahead);
    }
  }
  RP_FFN_TILE(RP_FFN_STORE)
}

#undef RP_FFN_TILE
#undef RP_FFN_LOAD
#undef RP_FFN_FMA
#undef RP_FFN_STORE

template <int kW>
HWY_INLINE void TileSliceRows(DF d, size_t rows, const float* x, size_t ldx, const float* const* w,
                              size_t c0, size_t nvec, float* partial, size_t prefetch_ahead) {
  switch (rows) {
    case 4:
      TileSlice<4, kW>(d, x, ldx, w, c0, nvec, partial, prefetch_ahead);
      break;
    case 3:
      TileSlice<3, kW>(d, x, ldx, w, c0, nvec, partial, prefetch_ahead);
      break;
    case 2:
      TileSlice<2, kW>(d, x, ldx, w, c0, nvec, partial, prefetch_ahead);
      break;
    default:
      TileSlice<1, kW>(d, x, ldx, w, c0, nvec, partial, prefetch_ahead);
      break;
  }
}

// sums[r * kFfnPanelRows + c] = x_r . w_c for nr (<= kFfnChunkRows) rows of x (stride ldx) and
// nw (<= kFfnPanelRows) weight rows, over k in slices of kFfnSliceK (see ffn.h): per slice,
// every tile (4 rows x kWeightRows weight rows) adds to its vector partial sums in `partial`;
// one horizontal sum per output at the end, and a scalar tail when k is not a multiple of the
// vector length.
inline void PanelDots(DF d, const float* x, size_t ldx, size_t nr, size_t k, const float* const* w,
                      size_t nw, float* HWY_RESTRICT partial, float* HWY_RESTRICT sums) {
  const size_t lanes = hn::Lanes(d);
  constexpr size_t kTileRows = static_cast<size_t>(kFfnTileRows);
  constexpr size_t kTileW = static_cast<size_t>(kWeightRows);
  constexpr size_t kPanel = static_cast<size_t>(kFfnPanelRows);
  const size_t slots = kTileRows * kTileW * lanes;  // floats of one tile's partial sums
  const size_t row_blocks = (nr + kTileRows - 1) / kTileRows;
  const size_t weight_tiles = (nw + kTileW - 1) / kTileW;
  const size_t kv = k / lanes * lanes;
  for (size_t i = 0; i < row_blocks * weight_tiles * slots; ++i) partial[i] = 0.0f;
  const size_t slice = static_cast<size_t>(kFfnSliceK) / lanes * lanes;
  for (size_t c0 = 0; c0 < kv; c0 += slice) {
    const size_t nvec = std::min(slice, kv - c0) / lanes;
    for (size_t wt = 0; wt < weight_tiles; ++wt) {
      const float* const* wp = w + wt * kTileW;
      const size_t wrows = std::min(kTileW, nw - wt * kTileW);
      for (size_t rb = 0; rb < row_blocks; ++rb) {
        const size_t rows = std::min(kTileRows, nr - rb * kTileRows);
        float* part = partial + (rb * weight_tiles + wt) * slots;
        const float* xr = x + rb * kTileRows * ldx;
        const size_t ahead = rb == 0 ? slice : 0;
        switch (wrows) {
          case 4:
            TileSliceRows<4>(d, rows, xr, ldx, wp, c0, nvec, part, ahead);
            break;
          case 3:
            TileSliceRows<3>(d, rows, xr, ldx, wp, c0, nvec, part, ahead);
            break;
          case 2:
            TileSliceRows<2>(d, rows, xr, ldx, wp, c0, nvec, part, ahead);
            break;
          default:
            TileSliceRows<1>(d, rows, xr, ldx, wp, c0, nvec, part, ahead);
            break;
        }
      }
    }
  }
  for (size_t wt = 0; wt < weight_tiles; ++wt) {
    const size_t wrows = std::min(kTileW, nw - wt * kTileW);
    for (size_t rb = 0; rb < row_blocks; ++rb) {
      const size_t rows = std::min(kTileRows, nr - rb * kTileRows);
      const float* part = partial + (rb * weight_tiles + wt) * slots;
      for (size_t r = 0; r < rows; ++r) {
        for (size_t c = 0; c < wrows; ++c) {
          const VF v = hn::Load(d, part + (r * wrows + c) * lanes);
          sums[(rb * kTileRows + r) * kPanel + wt * kTileW + c] = hn::GetLane(hn::SumOfLanes(d, v));
        }
      }
    }
  }
  for (size_t r = 0; r < nr; ++r) {  // k not a multiple of the vector length
    for (size_t c = 0; c < nw; ++c) {
      float t = 0.0f;
      for (size_t i = kv; i < k; ++i) t += x[r * ldx + i] * w[c][i];
      sums[r * kPanel + c] += t;
    }
  }
}

// Fused: outputs [j_begin, j_end), kFfnPanelRows / 2 at a time: the panel interleaves their
// gate and up rows, so each tile holds gate and up sums of the same outputs and each x load
// feeds both products; the activation turns the sums (in L1) into h.
inline void FusedRange(DF d, const FfnData& a, const float* x, size_t ldx, int64_t j_begin,
                       int64_t j_end, float* partial) {
  const size_t m = static_cast<size_t>(a.dims.m), n = static_cast<size_t>(a.dims.n);
  const size_t k = static_cast<size_t>(a.dims.k);
  constexpr size_t kPanel = static_cast<size_t>(kFfnPanelRows);
  constexpr size_t kOutputs = kPanel / 2;
  constexpr size_t kRows = static_cast<size_t>(kFfnChunkRows);
  HWY_ALIGN float sums[kRows * kPanel];
  HWY_ALIGN float g[kRows * kOutputs];
  HWY_ALIGN float u[kRows * kOutputs];
  HWY_ALIGN float h[kRows * kOutputs];
  const float* w[kPanel];
  for (size_t j0 = static_cast<size_t>(j_begin); j0 < static_cast<size_t>(j_end); j0 += kOutputs) {
    const size_t nj = std::min(kOutputs, static_cast<size_t>(j_end) - j0);
    for (size_t j = 0; j < nj; ++j) {
      w[2 * j] = a.wg + (j0 + j) * k;
      w[2 * j + 1] = a.wu + (j0 + j) * k;
    }
    for (size_t i0 = 0; i0 < m; i0 += kRows) {
      const size_t nr = std::min(kRows, m - i0);
      PanelDots(d, x + i0 * ldx, ldx, nr, k, w, 2 * nj, partial, sums);
      for (size_t r = 0; r < nr; ++r) {
        for (size_t j = 0; j < nj; ++j) {
          g[r * nj + j] = sums[r * kPanel + 2 * j];
          u[r * nj + j] = sums[r * kPanel + 2 * j + 1];
        }
      }
      SiluMulRow(d, g, u, nr * nj, h);  // all outputs of the chunk, a vector at a time
      for (size_t r = 0; r < nr; ++r) {
        for (size_t j = 0; j < nj; ++j) a.h[(i0 + r) * n + j0 + j] = h[r * nj + j];
      }
    }
  }
}

// One matrix product out = x W^T for outputs [j_begin, j_end), kFfnPanelRows rows of W at a
// time.
inline void ProductRange(DF d, const FfnData& a, const float* x, size_t ldx, const float* wmat,
                         float* out, int64_t j_begin, int64_t j_end, float* partial) {
  const size_t m = static_cast<size_t>(a.dims.m), n = static_cast<size_t>(a.dims.n);
  const size_t k = static_cast<size_t>(a.dims.k);
  constexpr size_t kPanel = static_cast<size_t>(kFfnPanelRows);
  constexpr size_t kRows = static_cast<size_t>(kFfnChunkRows);
  HWY_ALIGN float sums[kRows * kPanel];
  const float* w[kPanel];
  for (size_t j0 = static_cast<size_t>(j_begin); j0 < static_cast<size_t>(j_end); j0 += kPanel) {
    const size_t nw = std::min(kPanel, static_cast<size_t>(j_end) - j0);
    for (size_t c = 0; c < nw; ++c) w[c] = wmat + (j0 + c) * k;
    for (size_t i0 = 0; i0 < m; i0 += kRows) {
      const size_t nr = std::min(kRows, m - i0);
      PanelDots(d, x + i0 * ldx, ldx, nr, k, w, nw, partial, sums);
      for (size_t r = 0; r < nr; ++r) {
        for (size_t c = 0; c < nw; ++c) out[(i0 + r) * n + j0 + c] = sums[r * kPanel + c];
      }
    }
  }
}

// Unfused: G = x Wg^T and U = x Wu^T written to memory, then h = silu(G) * U read back.
inline void UnfusedRange(DF d, const FfnData& a, const float* x, size_t ldx, int64_t j_begin,
                         int64_t j_end, float* partial) {
  ProductRange(d, a, x, ldx, a.wg, a.g, j_begin, j_end, partial);
  ProductRange(d, a, x, ldx, a.wu, a.u, j_begin, j_end, partial);
  const size_t n = static_cast<size_t>(a.dims.n);
  const size_t j0 = static_cast<size_t>(j_begin);
  const size_t nj = static_cast<size_t>(j_end - j_begin);
  for (size_t i = 0; i < static_cast<size_t>(a.dims.m); ++i) {
    SiluMulRow(d, a.g + i * n + j0, a.u + i * n + j0, nj, a.h + i * n + j0);
  }
}

#if HWY_TARGET != HWY_SCALAR  // (kPanelTarget is false there)
// The fused panel epilogue (ffn.h, FfnPanelRows): a block's rows 0-7 hold the gate sums of 8
// outputs and rows 8-15 their up sums (16 lanes: the two halves of lo; 8 lanes: lo and hi);
// h = silu(gate) * up for the 8 outputs, in registers, straight to h.
struct SwigluPairs {
  static constexpr size_t kColumns = static_cast<size_t>(kGemvPanelRows) / 2;
  static constexpr int64_t PanelRows(int64_t columns) { return FfnPanelRows(columns, true); }
  template <class D8>
  static HWY_INLINE void Store8(D8 d8, hn::Vec<D8> gate, hn::Vec<D8> up, float* out,
                                size_t columns) {
    const auto h = SiluMul(d8, gate, up);
    if (columns >= kColumns) {
      hn::StoreU(h, d8, out);
      return;
    }
    HWY_ALIGN float edge[HWY_MAX_BYTES / sizeof(float)];
    hn::Store(h, d8, edge);
    for (size_t i = 0; i < columns; ++i) out[i] = edge[i];
  }
  template <class D>
  static HWY_INLINE void StoreBlock(D df, hn::Vec<D> lo, hn::Vec<D> hi, float* out,
                                    size_t columns) {
    if constexpr (hn::MaxLanes(D()) >= 2 * kColumns) {
      const hn::Half<D> dh;
      (void)hi;
      Store8(dh, hn::LowerHalf(dh, lo), hn::UpperHalf(dh, lo), out, columns);
    } else {
      Store8(df, lo, hi, out, columns);
    }
  }
};

// Both variants on the GEMV's panels (ffn.h): fused, one panel run whose epilogue writes h;
// unfused, one panel run per matrix into G and U, then the elementwise pass over each thread's
// columns.
inline void FfnPanelImpl(const FfnData& a) {
  GemvCall call;
  call.format = WeightFormat::kF32;
  call.m = a.dims.m;
  call.n = a.dims.n;
  call.k = a.dims.k;
  call.a = a.x;
  call.lda = a.dims.k;
  call.ldc = a.dims.n;
  call.threads = a.threads;
  const GemvBlocking b = ChooseGemvBlocking(a.dims.m, a.dims.k, kVectorRegisters);
  if (a.fused) {
    call.panels = a.panels_g;
    call.c = a.h;
    GemvPanelRun<1, SwigluPairs>(call, b, a.workspace);
    return;
  }
  call.panels = a.panels_g;
  call.c = a.g;
  GemvPanelRun<1>(call, b, a.workspace);
  call.panels = a.panels_u;
  call.c = a.u;
  GemvPanelRun<1>(call, b, a.workspace);
  const DF d;
  const size_t n = static_cast<size_t>(a.dims.n);
#pragma omp parallel num_threads(a.threads)
  {
    int64_t j0, j1;
    GemvRowRange(a.dims.n, a.threads, omp_get_thread_num(), &j0, &j1);
    for (size_t i = 0; i < static_cast<size_t>(a.dims.m); ++i) {
      const size_t at = i * n + static_cast<size_t>(j0);
      SiluMulRow(d, a.g + at, a.u + at, static_cast<size_t>(j1 - j0), a.h + at);
    }
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

inline void FfnSwigluImpl(const FfnData& a) {
#if HWY_TARGET != HWY_SCALAR
  if constexpr (kPanelTarget) {
    if (a.panels_g != nullptr) return FfnPanelImpl(a);
  }
#endif
  const DF d;
#pragma omp parallel num_threads(a.threads)
  {
    const int tid = omp_get_thread_num();
    int64_t j0, j1;
    StaticRange(a.dims.n, omp_get_num_threads(), tid, &j0, &j1);
    // This thread's copy of x with padded rows (kFfnRowPadFloats in ffn.h), then the partial
    // sums.
    const size_t m = static_cast<size_t>(a.dims.m), k = static_cast<size_t>(a.dims.k);
    const size_t ldx = static_cast<size_t>(FfnPackedStride(a.dims.k));
    float* x = a.scratch[tid];
    for (size_t r = 0; r < m; ++r) std::copy(a.x + r * k, a.x + (r + 1) * k, x + r * ldx);
    float* partial = x + (m * ldx + 15) / 16 * 16;
    if (a.fused) {
      FusedRange(d, a, x, ldx, j0, j1, partial);
    } else {
      UnfusedRange(d, a, x, ldx, j0, j1, partial);
    }
  }
}

}  // namespace ffn
}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
