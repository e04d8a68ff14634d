// Per-target attention code: decode over a KV cache (one pass per K/V tile serving a block of
// query heads) and causal prefill, naive (score matrix in memory) and flash (online softmax).
// Arrays of vectors are not allowed for SVE/RVV (sizeless types), hence the named accumulators.
#if defined(ROOFPROF_KERNELS_ATTENTION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ROOFPROF_KERNELS_ATTENTION_INL_H_
#undef ROOFPROF_KERNELS_ATTENTION_INL_H_
#else
#define ROOFPROF_KERNELS_ATTENTION_INL_H_
#endif

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/attention.h"
#include "kernels/prefetch.h"
#if HWY_ARCH_X86
#include "src/arch/cpu_x86_avx512.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace attn {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;
// Decode scores: a vector holds one dimension of up to a key block's rows.
using DK = hn::CappedTag<float, static_cast<size_t>(kDecodeKeyBlock)>;
using VK = hn::Vec<DK>;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// Decode PV accumulation: query heads per pass over a V tile (kPvHeadsF32/F16) and vectors
// of head_dim per step (PvVecs: as many as kPvAccumulators allow, at most kMaxPvVecs). With
// 32 registers (AVX-512, NEON, SVE), f32: 2 heads x 8 vectors = 16 accumulators + 8 V vectors
// + 2 broadcasts = 26, so at head_dim 128 (16 lanes) a pass reads whole V rows one after the
// other and the memory stream stays sequential for the hardware prefetchers. Walking the tile
// in column blocks instead (4 heads x 4 vectors) cost bandwidth: a read of decode's access
// pattern without arithmetic moved 48 GB/s that way against 61 GB/s row by row (2 threads,
// 536 MB). f16 is bound by arithmetic rather than memory on a core (one thread computed about
// 20 GB/s of f16 KV with the cache in L3 and 19 GB/s from DRAM), so it takes 4 heads x 4
// vectors and widens each V vector once per tile instead of once per pair of heads: on a Zen 4
// guest (2 threads, batch 8, ctx 8192, interleaved best of 3) GQA 32/8 7.23 ms against 7.88,
// MQA 6.48 against 6.96, in L3 (batch 1, ctx 2048) 0.196 against 0.210; MHA level (one head per
// pass either way). With 16 registers (SSE4/AVX2): 4 heads x 2 vectors = 8 + 2 + 4.
#if HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2
constexpr int kPvHeadsF32 = 4;
constexpr int kPvAccumulators = 8;
constexpr size_t kMaxPvVecs = 4;
#else
constexpr int kPvHeadsF32 = 2;
constexpr int kPvAccumulators = 16;
constexpr size_t kMaxPvVecs = 8;
#endif
constexpr int kPvHeadsF16 = 4;
template <class Kv>
constexpr int PvHeads() {
  return sizeof(typename Kv::T) == 4 ? kPvHeadsF32 : kPvHeadsF16;
}
// Vectors of head_dim per PV step with `heads` heads per pass (the work model reads these).
constexpr size_t PvVecs(int heads) {
  return std::min(kMaxPvVecs, static_cast<size_t>(kPvAccumulators / heads));
}
// Prefetch granularity: the cache line of every current x86 and Arm server core.
constexpr size_t kCacheLine = 64;

// Vectors per micro-tile row in the prefill products (see kPrefillMicroRows): 4 with 32
// vector registers, 2 with 16.
#if HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2
constexpr size_t kMicroVecs = 2;
#else
constexpr size_t kMicroVecs = 4;
#endif

// ------------------------------------------------------------------------------------------
// KV element formats: widen one vector (or one element) of a cache row to f32. The arithmetic
// below is written once against these policies.
struct KvF32 {
  using T = float;
  static constexpr bool kVectorLoad = true;
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const float* HWY_RESTRICT p) {
    return hn::LoadU(d, p);
  }
  static HWY_INLINE float Scalar(const float* p) { return *p; }
};

#if HWY_HAVE_FLOAT16
struct KvF16 {
  using T = uint16_t;
  static constexpr bool kVectorLoad = true;
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const uint16_t* HWY_RESTRICT p) {
    const hn::Rebind<hwy::float16_t, D> dh;
    return hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p)));
  }
  static HWY_INLINE float Scalar(const uint16_t* p) { return F16ToF32(*p); }
};
#endif

// ------------------------------------------------------------------------------------------
// Softmax exponential.

// 2^x for x in [-125, 64] (smaller x, -inf included, clamps to 2^-125, which weighs nothing
// beside the row's largest weight of at least 1): x = n + f with n = round(x) and f in
// [-0.5, 0.5] exact, 2^f from a degree-6 polynomial fitted for this code, 2^n added to the
// exponent field. Largest relative error over the test's 221k points: 1.28 x 2^-24 with fused
// multiply-adds, 1.61 x 2^-24 without (SSE4, scalar). n comes from adding 1.5 x 2^23, which
// leaves round(x) (ties to even) in the low mantissa bits of the sum; shifted left by 23 they
// are n's exponent-field increment, the sum's own exponent bits shifting out. 12 vector
// instructions with FMAs, where rounding with hn::Round and converting with hn::ConvertTo took
// 16 on AVX-512 (the conversion guards against out-of-range lanes these inputs cannot have),
// and hn::Exp about 22 (it handles any sign and range). Decode's softmax, Zen 4 guest, f16 GQA 32/8
// in L3, one thread: 78.5 -> 77.3 cycles per K+V row pair.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Exp2Bounded(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V magic = hn::Set(d, 12582912.0f);  // 1.5 * 2^23
  x = hn::Max(x, hn::Set(d, -125.0f));
  const V t = hn::Add(x, magic);  // round(x) in the low mantissa bits
  const V n = hn::Sub(t, magic);
  const V f = hn::Sub(x, n);
  V p = hn::Set(d, 1.534580078e-4f);
  p = hn::MulAdd(p, f, hn::Set(d, 1.339993090e-3f));
  p = hn::MulAdd(p, f, hn::Set(d, 9.618489072e-3f));
  p = hn::MulAdd(p, f, hn::Set(d, 5.550328642e-2f));
  p = hn::MulAdd(p, f, hn::Set(d, 2.402264625e-1f));
  p = hn::MulAdd(p, f, hn::Set(d, 6.931471825e-1f));
  p = hn::MulAdd(p, f, hn::Set(d, 1.0f));
  const auto e = hn::ShiftLeft<23>(hn::BitCast(di, t));
  return hn::BitCast(d, hn::Add(hn::BitCast(di, p), e));
}

// Both online softmaxes let a row's reference max lag its true max by up to this much (log2
// units): weights 2^(s - m) stay below 2^kSoftmaxSlack, far inside Exp2Bounded's range and
// f32's, and the max moves (a cross-lane reduction and a rescale) only on a real rise.
constexpr float kSoftmaxSlack = 8.0f;

// Both softmaxes compute e^(s / sqrt(D)) as 2^(s c): c = log2(e) / sqrt(D), rounded once.
inline float SoftmaxExp2Scale(int64_t head_dim) {
  return static_cast<float>(1.4426950408889634 / std::sqrt(static_cast<double>(head_dim)));
}

// ------------------------------------------------------------------------------------------
// Decode.

// Scratch layout of one decode thread (floats, each part 64-byte aligned).
struct DecodeScratch {
  float* qs;            // [group][D] queries scaled by log2(e)/sqrt(D) (SoftmaxExp2Scale)
  float* acc;           // [group][D] unnormalised output
  float* m;             // [group] reference max of the scores (lags by kSoftmaxSlack at most)
  float* lsum;          // [group][lanes of DF]: running sum of 2^(s - m), a DK vector per head
  float* scores;        // [kDecodeGroupBlock][tile_rows] weights of one head block
  float* ktile;         // f32 copy of a K tile (scalar f16 path), laid out as the cache
  float* vtile;         // [tile_rows][D]
  size_t score_stride;  // tile_rows: floats from one head's scores to the next's
};

inline size_t RoundUp16(size_t n) { return (n + 15) / 16 * 16; }

inline DecodeScratch CarveDecodeScratch(const AttnDecodeDims& dims, float* base) {
  const size_t gd = static_cast<size_t>(dims.group() * dims.head_dim);
  const size_t g = static_cast<size_t>(dims.group());
  const size_t rows = static_cast<size_t>(DecodeTileRows(dims));
  const size_t tile = rows * static_cast<size_t>(dims.head_dim);
  DecodeScratch s;
  s.qs = base;
  s.acc = s.qs + RoundUp16(gd);
  s.m = s.acc + RoundUp16(gd);
  s.lsum = s.m + RoundUp16(g);
  s.scores = s.lsum + RoundUp16(g * hn::Lanes(DF()));  // DecodeScratchFloats: the widest
  s.ktile = s.scores + RoundUp16(static_cast<size_t>(kDecodeGroupBlock) * rows);
  s.vtile = s.ktile + RoundUp16(tile);
  s.score_stride = rows;
  return s;
}

// Decode prefetches the next tile while it works on this one, spread over the work: each
// step over a key block's dimensions asks for the same bytes of the next tile's block, and the
// last PV pass over each V row for the next tile's row, with the hint that leaves L1 and L2
// alone (PrefetchToL3). Where: compute-heavy decode on every target (its longer tiles need it,
// see kDecodeHeavyTileBytes in attention.h), and on the 16-register targets always: they walk
// a V tile in 8 column passes (AVX2; SSE4 more). Zen 4 guest, GQA 32/8, batch 4, ctx 8192
// (134 MB), 1 thread, 4 KiB tiles, best of 3, ms with no prefetch / PrefetchToL3 /
// PrefetchToL2: --isa AVX2 f16 11.9 / 7.6 / 8.5, f32 31.0 / 11.9 / 12.3; --isa SSE4 f32
// 36.9 / 21.1. Light decode with AVX-512 streamed faster with the hardware prefetchers alone
// (attention.h). The Arm targets follow the same rule unmeasured.
#if HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2
constexpr bool kDecodePrefetchAlways = true;
#else
constexpr bool kDecodePrefetchAlways = false;
#endif
template <class T>
HWY_INLINE void PrefetchBytes(const T* p, size_t bytes) {
  const char* c = reinterpret_cast<const char*>(p);
  for (size_t off = 0; off < bytes; off += kCacheLine) PrefetchToL3(c + off);
}

// Vectors of a key block's rows that one decode score step holds per head (kScoreRowVecs):
// with 16 registers and 8 or 4 lanes a step covers 16 (8) rows in two vectors, 4 heads x 2 =
// 8 accumulators, instead of one vector and two dimensions. Zen 4 guest, GQA 32/8, 1 thread,
// best of 3, two vectors against one: --isa AVX2 batch 4 ctx 8192 f16 6.41 against 7.08 ms,
// f32 15.0 against 16.0; in L2/L3 (batch 1, ctx 1024 f32 / 2048 f16) 0.198 against 0.222 and
// 0.390 against 0.417; --isa SSE4 f32 17.5 against 21.7 (DRAM), 0.510 against 0.598 (cache).
#if HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2 || \
    HWY_TARGET == HWY_EMU128
constexpr size_t kScoreRowVecs = 2;
#elif HWY_TARGET == HWY_NEON
constexpr size_t kScoreRowVecs = 4;
#else
constexpr size_t kScoreRowVecs = 1;
#endif

// The online softmax of a block of query heads, pointers at its first head: reference max m
// and running sum lsum (a DK vector at lsum + g * lsum_stride) per head, and corr, where the
// current tile's rises gather 2^(m_old - m_new) per head for DecodeAccumulate's rescale.
struct DecodeSoftmaxRefs {
  float* m;
  float* lsum;
  size_t lsum_stride;
  float* corr;
};

// Head g's reference max moves: a score s passed m + kSoftmaxSlack (every score does while m
// is -inf, on a unit's first rows). m becomes the largest score seen, and the weights of the
// tile's first `done` rows (pg_tile, already 2^(s - m_old)), the running sum and corr are
// scaled by 2^(m_old - m_new); 0 on the first rows, where there is nothing to keep.
HWY_NOINLINE void DecodeRise(DK dk, VK sg, float* HWY_RESTRICT pg_tile, size_t done, float* m,
                             float* HWY_RESTRICT lsum, float* corr) {
  if (hn::AllFalse(dk, hn::Gt(sg, hn::Set(dk, *m + kSoftmaxSlack)))) return;
  const float m_new = std::max(*m, hn::GetLane(hn::MaxOfLanes(dk, sg)));
  const float c = *m == kNegInf ? 0.0f : std::exp2(*m - m_new);
  const VK vc = hn::Set(dk, c);
  const size_t lanes = hn::Lanes(dk);
  for (size_t i = 0; i < done; i += lanes) {  // done: whole vectors of rows
    hn::StoreU(hn::Mul(hn::LoadU(dk, pg_tile + i), vc), dk, pg_tile + i);
  }
  hn::StoreU(hn::Mul(hn::LoadU(dk, lsum), vc), dk, lsum);
  *corr *= c;
  *m = m_new;
}

// Head g's weights 2^(s - m) of one vector of rows, stored at pg and added to its running sum
// at lg.
HWY_INLINE void DecodeWeigh(DK dk, VK sg, float m, float* HWY_RESTRICT pg, float* HWY_RESTRICT lg) {
  const VK e = Exp2Bounded(dk, hn::Sub(sg, hn::Set(dk, m)));
  hn::StoreU(e, dk, pg);
  hn::StoreU(hn::Add(hn::LoadU(dk, lg), e), dk, lg);
}

// One vector of rows of kG heads' scores s_g (log2 units, see SoftmaxExp2Scale) becomes
// weights 2^(s - m) at p + g * ps, added to each head's running sum, while the score step
// still holds them: `valid` rows (at least one) hold keys, the others are a key block's
// padding, and `done` rows of the tile come before p. Padding scores -inf (whatever its K
// holds), which leaves the max alone and weighs Exp2Bounded's floor 2^-125: nothing in a sum
// of at least 1, and the PV reads only the rows that hold keys. The reference max m of a head
// lags its true max by up to kSoftmaxSlack, so a vector rarely moves it (DecodeRise): weights
// stay below 2^kSoftmaxSlack, and most tiles neither reduce across lanes nor rescale (corr
// stays 1). Fused into the score step instead of a pass over the tile's stored scores (Zen 4
// guest, GQA 32/8 in L3, one thread, best of 5, cycles per K+V row pair, ranges over 3 runs):
// f16 (batch 1, ctx 2048) 71.6-72.1 -> 70.7-71.2, f32 (ctx 1024) 84.0-84.3 -> 80.4-81.7;
// --isa AVX2 level (80 and 85); from DRAM on 2 threads level within the memory's noise. The
// exponentials' multiply-adds remain (6 of them per vector of rows and head).
template <int kG>
HWY_INLINE void DecodeWeights(DK dk, VK s0, VK s1, VK s2, VK s3, size_t valid,
                              float* HWY_RESTRICT p, size_t ps, size_t done,
                              const DecodeSoftmaxRefs& st) {
  if (valid < hn::Lanes(dk)) {
    const auto live = hn::FirstN(dk, valid);
    const VK neg = hn::Set(dk, kNegInf);
    s0 = hn::IfThenElse(live, s0, neg);
    s1 = hn::IfThenElse(live, s1, neg);
    s2 = hn::IfThenElse(live, s2, neg);
    s3 = hn::IfThenElse(live, s3, neg);
  }
  auto over = hn::Gt(s0, hn::Set(dk, st.m[0] + kSoftmaxSlack));
  if constexpr (kG > 1) over = hn::Or(over, hn::Gt(s1, hn::Set(dk, st.m[1] + kSoftmaxSlack)));
  if constexpr (kG > 2) over = hn::Or(over, hn::Gt(s2, hn::Set(dk, st.m[2] + kSoftmaxSlack)));
  if constexpr (kG > 3) over = hn::Or(over, hn::Gt(s3, hn::Set(dk, st.m[3] + kSoftmaxSlack)));
  // Named, not an array or a lambda's captures: SVE and RVV vectors and masks are sizeless.
  const auto pg = [&](int g) { return p + static_cast<size_t>(g) * ps; };
  const auto lg = [&](int g) { return st.lsum + static_cast<size_t>(g) * st.lsum_stride; };
  if (HWY_UNLIKELY(!hn::AllFalse(dk, over))) {
    DecodeRise(dk, s0, pg(0) - done, done, st.m, lg(0), st.corr);
    if constexpr (kG > 1) DecodeRise(dk, s1, pg(1) - done, done, st.m + 1, lg(1), st.corr + 1);
    if constexpr (kG > 2) DecodeRise(dk, s2, pg(2) - done, done, st.m + 2, lg(2), st.corr + 2);
    if constexpr (kG > 3) DecodeRise(dk, s3, pg(3) - done, done, st.m + 3, lg(3), st.corr + 3);
  }
  DecodeWeigh(dk, s0, st.m[0], pg(0), lg(0));
  if constexpr (kG > 1) DecodeWeigh(dk, s1, st.m[1], pg(1), lg(1));
  if constexpr (kG > 2) DecodeWeigh(dk, s2, st.m[2], pg(2), lg(2));
  if constexpr (kG > 3) DecodeWeigh(dk, s3, st.m[3], pg(3), lg(3));
}

// Accumulators of DecodeBlockScores, head g and slot j (row vector j % kScoreRowVecs,
// dimension phase j / kScoreRowVecs).
// clang-format off
#define RP_SC_ACC(M) \
  M(0, 0) M(0, 1) M(0, 2) M(0, 3) M(1, 0) M(1, 1) M(1, 2) M(1, 3) \
  M(2, 0) M(2, 1) M(2, 2) M(2, 3) M(3, 0) M(3, 1) M(3, 2) M(3, 3)
#define RP_SC_SLOT(M) M(0) M(1) M(2) M(3)
// clang-format on
#define RP_SC_DECL(g, j) VK a##g##j = hn::Zero(dk);
#define RP_SC_LOAD(j)                                                                     \
  VK x##j = hn::Zero(dk);                                                                 \
  if constexpr ((j) < kSlots) {                                                           \
    x##j = Kv::Load(dk, kr + ((j) / kScoreRowVecs) * kB + ((j) % kScoreRowVecs) * lanes); \
  }
#define RP_SC_FMA(g, j)                                                                 \
  if constexpr ((g) < kG && (j) < kSlots) {                                             \
    a##g##j = hn::MulAdd(hn::Set(dk, q##g##p[i + (j) / kScoreRowVecs]), x##j, a##g##j); \
  }
// The tail's loads and multiply-adds: one dimension, the slots of phase 0.
#define RP_SC_TAIL_LOAD(j) \
  VK y##j = hn::Zero(dk);  \
  if constexpr ((j) < kScoreRowVecs) y##j = Kv::Load(dk, kr + (j)*lanes);
#define RP_SC_TAIL_FMA(g, j)                                      \
  if constexpr ((g) < kG && (j) < kScoreRowVecs) {                \
    a##g##j = hn::MulAdd(hn::Set(dk, q##g##p[i]), y##j, a##g##j); \
  }
// Row vector r of the heads (slot r, its phases folded in) becomes weights at row offset r.
#define RP_SC_WEIGHTS(r)                                                                           \
  if constexpr ((r) < kScoreRowVecs) {                                                             \
    const size_t row = j0 + (r)*lanes;                                                             \
    if (row < valid) {                                                                             \
      DecodeWeights<kG>(dk, a0##r, a1##r, a2##r, a3##r, std::min(lanes, valid - row), p + row, ps, \
                        t + row, st);                                                              \
    }                                                                                              \
  }

// Weights from the scores qs_g . K_r for kG query heads and the kDecodeKeyBlock rows of one
// key block kb ([head_dim][kDecodeKeyBlock]), the tile's rows [t, t + kDecodeKeyBlock), of
// which `valid` hold keys: DecodeWeights at p[g * ps + r] (p: the block's first row). A step loads
// (and widens) kScoreRowVecs vectors of rows for each of kPhases dimensions, and each vector feeds
// one multiply-add per head with the query element broadcast; the scores leave the accumulators as
// vectors of rows, with no sum across lanes. The phases keep kG x kSlots = 8 multiply-add chains in
// flight (16 with NEON's row vectors; 4 for one head elsewhere). With pf, the step also prefetches
// the same dimensions of the next tile's block.
template <class Kv, int kG>
HWY_INLINE void DecodeBlockScores(const float* HWY_RESTRICT qs, size_t dim,
                                  const typename Kv::T* HWY_RESTRICT kb, float* HWY_RESTRICT p,
                                  size_t ps, size_t t, size_t valid, const DecodeSoftmaxRefs& st,
                                  const typename Kv::T* pf) {
  constexpr size_t kB = static_cast<size_t>(kDecodeKeyBlock);
  constexpr size_t kWant = kG >= 4 ? 2 : 4;  // slots per head
  constexpr size_t kPhases = kWant > kScoreRowVecs ? kWant / kScoreRowVecs : 1;
  constexpr size_t kSlots = kPhases * kScoreRowVecs;
  static_assert(kSlots <= 4, "four accumulator slots per head");
  static_assert(kScoreRowVecs * hn::MaxLanes(DK()) <= kB, "a step stays within a key block");
  const DK dk;
  const size_t lanes = hn::Lanes(dk);
  const size_t step_rows = kScoreRowVecs * lanes;
  const float* q0p = qs;
  const float* q1p = kG > 1 ? qs + dim : qs;
  const float* q2p = kG > 2 ? qs + 2 * dim : qs;
  const float* q3p = kG > 3 ? qs + 3 * dim : qs;
  for (size_t j0 = 0; j0 < kB; j0 += step_rows) {
    RP_SC_ACC(RP_SC_DECL)
    size_t i = 0;
    for (; i + kPhases <= dim; i += kPhases) {
      if (pf != nullptr && j0 == 0) {
        PrefetchBytes(pf + i * kB, kPhases * kB * sizeof(typename Kv::T));
      }
      const typename Kv::T* kr = kb + i * kB + j0;
      RP_SC_SLOT(RP_SC_LOAD)
      RP_SC_ACC(RP_SC_FMA)
    }
    for (; i < dim; ++i) {  // head_dim not a multiple of the phases: slots of phase 0
      if (pf != nullptr && j0 == 0) PrefetchBytes(pf + i * kB, kB * sizeof(typename Kv::T));
      const typename Kv::T* kr = kb + i * kB + j0;
      RP_SC_SLOT(RP_SC_TAIL_LOAD)
      RP_SC_ACC(RP_SC_TAIL_FMA)
    }
    // Slot j holds row vector j % kScoreRowVecs: fold the phases onto slots [0, kRowVecs).
    if constexpr (kSlots == 4 && kScoreRowVecs == 1) {
      a00 = hn::Add(hn::Add(a00, a01), hn::Add(a02, a03));
      a10 = hn::Add(hn::Add(a10, a11), hn::Add(a12, a13));
      a20 = hn::Add(hn::Add(a20, a21), hn::Add(a22, a23));
      a30 = hn::Add(hn::Add(a30, a31), hn::Add(a32, a33));
    } else if constexpr (kSlots == 4 && kScoreRowVecs == 2) {
      a00 = hn::Add(a00, a02);
      a01 = hn::Add(a01, a03);
      a10 = hn::Add(a10, a12);
      a11 = hn::Add(a11, a13);
      a20 = hn::Add(a20, a22);
      a21 = hn::Add(a21, a23);
      a30 = hn::Add(a30, a32);
      a31 = hn::Add(a31, a33);
    } else if constexpr (kSlots == 2 && kScoreRowVecs == 1) {
      a00 = hn::Add(a00, a01);
      a10 = hn::Add(a10, a11);
      a20 = hn::Add(a20, a21);
      a30 = hn::Add(a30, a31);
    }
    RP_SC_SLOT(RP_SC_WEIGHTS)
  }
}

#undef RP_SC_ACC
#undef RP_SC_SLOT
#undef RP_SC_DECL
#undef RP_SC_LOAD
#undef RP_SC_FMA
#undef RP_SC_TAIL_LOAD
#undef RP_SC_TAIL_FMA
#undef RP_SC_WEIGHTS

// Weights of a tile of nt rows (whole key blocks but the last; padding in a vector of rows
// with keys weighs 2^-125, vectors of padding alone are skipped, unwritten): p[g * ps + t] for kG
// heads, ps >= nt rounded up to a key block, with the softmax state st. Rows of blocks that start
// below pf_rows prefetch the same rows of the next K tile (pf_k).
template <class Kv, int kG>
HWY_INLINE void DecodeScores(const float* HWY_RESTRICT qs, size_t dim,
                             const typename Kv::T* HWY_RESTRICT k, size_t nt, float* HWY_RESTRICT p,
                             size_t ps, const DecodeSoftmaxRefs& st, const typename Kv::T* pf_k,
                             size_t pf_rows) {
  constexpr size_t kB = static_cast<size_t>(kDecodeKeyBlock);
  for (size_t t = 0; t < nt; t += kB) {
    DecodeBlockScores<Kv, kG>(qs, dim, k + t * dim, p + t, ps, t, std::min(kB, nt - t), st,
                              t < pf_rows ? pf_k + t * dim : nullptr);
  }
}

// Decode's f16 PV multiply-adds take their weight as a broadcast memory operand ({1to16}) on
// AVX-512: a V vector there is a load and a widening, and the separate broadcast of each
// weight into a register (vbroadcastss) competed with the widenings; with the broadcast done
// by the load unit the f16 PV ran 34 against 37 cycles per K+V row pair (Zen 4 guest, GQA
// 32/8, head_dim 128, 64-row tiles, one thread, in L3). f32 keeps the register: its V
// vectors are full-width loads, and a load per multiply-add measured slower there (37.6
// against 42.0 GB/s in L3, one thread). GCC shares one broadcast between the multiply-adds
// of a weight whatever the source says, hence the instruction written out
// (src/arch/cpu_x86_avx512.h).
#undef ROOFPROF_DECODE_EMBED_BROADCAST
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3 && (defined(__GNUC__) || defined(__clang__))
#define ROOFPROF_DECODE_EMBED_BROADCAST 1
#else
#define ROOFPROF_DECODE_EMBED_BROADCAST 0
#endif
constexpr bool kEmbedBroadcast = ROOFPROF_DECODE_EMBED_BROADCAST;

// acc + v * w[0] in every lane: with kEmbed (and kEmbedBroadcast), one multiply-add with the
// broadcast memory operand; else from a broadcast register.
template <bool kEmbed>
HWY_INLINE VF MulAddBroadcast(DF d, const float* w, VF v, VF acc) {
#if ROOFPROF_DECODE_EMBED_BROADCAST
  static_assert(hn::MaxLanes(DF()) == 16, "{1to16}: a 512-bit vector of f32");
  if constexpr (kEmbed) {
    ROOFPROF_AVX512_FMADD_BROADCAST(acc.raw, w, v.raw);
    return acc;
  }
#endif
  return hn::MulAdd(hn::Set(d, *w), v, acc);
}

// Accumulators of DecodeColumns, head g and vector c.
// clang-format off
#define RP_DEC_ACC(M) \
  M(0, 0) M(0, 1) M(0, 2) M(0, 3) M(0, 4) M(0, 5) M(0, 6) M(0, 7) \
  M(1, 0) M(1, 1) M(1, 2) M(1, 3) M(1, 4) M(1, 5) M(1, 6) M(1, 7) \
  M(2, 0) M(2, 1) M(2, 2) M(2, 3) M(2, 4) M(2, 5) M(2, 6) M(2, 7) \
  M(3, 0) M(3, 1) M(3, 2) M(3, 3) M(3, 4) M(3, 5) M(3, 6) M(3, 7)
#define RP_DEC_VEC(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)
// clang-format on
#define RP_DEC_LOAD(g, c)                                             \
  VF acc##g##c = hn::Zero(d);                                         \
  if constexpr ((g) < kH && (c) < kV) {                               \
    acc##g##c = hn::LoadU(d, o##g + (c)*lanes);                       \
    if (rescale) acc##g##c = hn::Mul(acc##g##c, hn::Set(d, corr[g])); \
  }
#define RP_DEC_V(c)      \
  VF v##c = hn::Zero(d); \
  if constexpr ((c) < kV) v##c = Kv::Load(d, v + (c)*lanes);
#define RP_DEC_FMA(g, c)              \
  if constexpr ((g) < kH && (c) < kV) \
    acc##g##c = MulAddBroadcast<kEmbed>(d, p##g + t, v##c, acc##g##c);
#define RP_DEC_STORE(g, c) \
  if constexpr ((g) < kH && (c) < kV) hn::StoreU(acc##g##c, d, o##g + (c)*lanes);

// Columns [0, kV vectors) of acc_g = corr_g acc_g + sum_t p[g ps + t] V_t for kH heads (p
// and corr at the pass's first head, o_g: the heads' accumulators at the first column, v: V
// at the first column). The rescale by corr_g (the online softmax's
// 2^(m_old - m_new)) rides on the accumulator loads, where a head's max moved this tile. Each V
// vector is loaded (and widened) once for the kH heads, each broadcast weight serves kV vectors
// (f16 on AVX-512: each multiply-add loads its weight, MulAddBroadcast). Rows t < pf_rows prefetch
// the same columns of row t at pf.
template <class Kv, int kH, int kV>
HWY_INLINE void DecodeColumns(DF d, const float* HWY_RESTRICT p, size_t ps, const float* corr,
                              const typename Kv::T* HWY_RESTRICT v, size_t nt, size_t dim,
                              float* o0, float* o1, float* o2, float* o3, const typename Kv::T* pf,
                              size_t pf_rows) {
  const size_t lanes = hn::Lanes(d);
  constexpr bool kEmbed = kEmbedBroadcast && sizeof(typename Kv::T) == 2;
  bool rescale = false;  // most tiles leave the reference max where it was
  for (int g = 0; g < kH; ++g) rescale |= corr[g] != 1.0f;
  RP_DEC_ACC(RP_DEC_LOAD)
  const float* p0 = p;
  const float* p1 = kH > 1 ? p + ps : p;
  const float* p2 = kH > 2 ? p + 2 * ps : p;
  const float* p3 = kH > 3 ? p + 3 * ps : p;
  for (size_t t = 0; t < nt; ++t, v += dim) {
    if (t < pf_rows) PrefetchBytes(pf + t * dim, kV * lanes * sizeof(typename Kv::T));
    RP_DEC_VEC(RP_DEC_V)
    RP_DEC_ACC(RP_DEC_FMA)
  }
  RP_DEC_ACC(RP_DEC_STORE)
}

#undef RP_DEC_ACC
#undef RP_DEC_VEC
#undef RP_DEC_LOAD
#undef RP_DEC_V
#undef RP_DEC_FMA
#undef RP_DEC_STORE

// acc_g = corr_g acc_g + sum_t p[g ps + t] V_t for kG heads, in passes of kH =
// min(PvHeads, kG) heads; per pass PvVecs(kH) vectors of head_dim at a time, then 4 (head_dim
// 64 with 8-vector steps: f32 GQA 32/8 at batch 8, ctx 8192 took 7.3 ms against 9.9 in single
// vectors), then single vectors, then a scalar tail. The last pass prefetches
// rows [0, pf_rows) of the next V tile (pf_v), after the earlier passes have re-read this
// tile from L1.
template <class Kv, int kG>
HWY_INLINE void DecodeAccumulate(DF d, const float* HWY_RESTRICT p, size_t ps, const float* corr,
                                 const typename Kv::T* HWY_RESTRICT v, size_t nt, size_t dim,
                                 float* HWY_RESTRICT acc, const typename Kv::T* pf_v,
                                 size_t pf_rows) {
  constexpr int kH = kG < PvHeads<Kv>() ? kG : PvHeads<Kv>();
  constexpr size_t kV = PvVecs(kH);
  const size_t lanes = hn::Lanes(d);
  for (int g = 0; g < kG; g += kH) {
    float* o0 = acc + static_cast<size_t>(g) * dim;
    float* o1 = kH > 1 ? o0 + dim : o0;
    float* o2 = kH > 2 ? o0 + 2 * dim : o0;
    float* o3 = kH > 3 ? o0 + 3 * dim : o0;
    const float* pg = p + static_cast<size_t>(g) * ps;
    const float* cg = corr + g;
    const size_t pf = g + kH >= kG ? pf_rows : 0;
    size_t i = 0;
    for (; i + kV * lanes <= dim; i += kV * lanes) {
      DecodeColumns<Kv, kH, kV>(d, pg, ps, cg, v + i, nt, dim, o0 + i, o1 + i, o2 + i, o3 + i,
                                pf ? pf_v + i : nullptr, pf);
    }
    if constexpr (kV > 4) {
      for (; i + 4 * lanes <= dim; i += 4 * lanes) {
        DecodeColumns<Kv, kH, 4>(d, pg, ps, cg, v + i, nt, dim, o0 + i, o1 + i, o2 + i, o3 + i,
                                 pf ? pf_v + i : nullptr, pf);
      }
    }
    for (; i + lanes <= dim; i += lanes) {
      DecodeColumns<Kv, kH, 1>(d, pg, ps, cg, v + i, nt, dim, o0 + i, o1 + i, o2 + i, o3 + i,
                               pf ? pf_v + i : nullptr, pf);
    }
    for (; i < dim; ++i) {  // head_dim not a multiple of the vector length
      float sum[4];
      for (int h = 0; h < kH; ++h) sum[h] = o0[static_cast<size_t>(h) * dim + i] * cg[h];
      const typename Kv::T* e = v + i;
      for (size_t t = 0; t < nt; ++t, e += dim) {
        const float x = Kv::Scalar(e);
        for (int h = 0; h < kH; ++h) sum[h] += pg[static_cast<size_t>(h) * ps + t] * x;
      }
      for (int h = 0; h < kH; ++h) o0[static_cast<size_t>(h) * dim + i] = sum[h];
    }
  }
}

// One tile of nt rows for the query heads [g0, g0 + kG) of a (batch, KV head) pair.
template <class Kv, int kG>
HWY_INLINE void DecodeTileBlock(DF d, const DecodeScratch& s, size_t g0, size_t dim,
                                const typename Kv::T* k, const typename Kv::T* v, size_t nt,
                                const typename Kv::T* pf_k, const typename Kv::T* pf_v,
                                size_t pf_rows) {
  float corr[4] = {1.0f, 1.0f, 1.0f, 1.0f};
  const DecodeSoftmaxRefs st{s.m + g0, s.lsum + g0 * hn::Lanes(d), hn::Lanes(d), corr};
  DecodeScores<Kv, kG>(s.qs + g0 * dim, dim, k, nt, s.scores, s.score_stride, st, pf_k, pf_rows);
  DecodeAccumulate<Kv, kG>(d, s.scores, s.score_stride, corr, v, nt, dim, s.acc + g0 * dim, pf_v,
                           pf_rows);
}

// All query heads of the group over one tile, kDecodeGroupBlock at a time; the first block
// prefetches the next tile (`next_rows` rows at k + nt * dim, v + nt * dim; 0: none).
template <class Kv>
HWY_INLINE void DecodeTile(DF d, const DecodeScratch& s, size_t group, size_t dim,
                           const typename Kv::T* k, const typename Kv::T* v, size_t nt,
                           size_t next_rows) {
  const typename Kv::T* pf_k = nullptr;
  const typename Kv::T* pf_v = nullptr;
  size_t pf_rows = 0;
  const auto block = [&](size_t g0) {
    // Prefetch over the first block's rows only: the next tile has nt rows or fewer.
    pf_rows = g0 == 0 ? next_rows : 0;
    pf_k = pf_rows ? k + nt * dim : nullptr;
    pf_v = pf_rows ? v + nt * dim : nullptr;
  };
  size_t g0 = 0;
  for (; g0 + 4 <= group; g0 += 4) {
    block(g0);
    DecodeTileBlock<Kv, 4>(d, s, g0, dim, k, v, nt, pf_k, pf_v, pf_rows);
  }
  if (group - g0 >= 2) {
    block(g0);
    DecodeTileBlock<Kv, 2>(d, s, g0, dim, k, v, nt, pf_k, pf_v, pf_rows);
    g0 += 2;
  }
  if (g0 < group) {
    block(g0);
    DecodeTileBlock<Kv, 1>(d, s, g0, dim, k, v, nt, pf_k, pf_v, pf_rows);
  }
}

// Widens nt rows of an f16 tile into f32 scratch with portable scalar code.
inline void WidenF16Tile(const uint16_t* HWY_RESTRICT src, size_t n, float* HWY_RESTRICT dst) {
  for (size_t i = 0; i < n; ++i) dst[i] = F16ToF32(src[i]);
}

// Rows [c0, c1) of (batch b, KV head kvh) for all its query heads. Writes the normalised
// output, or (split ctx) the partial (max, sum, unnormalised accumulator) per head.
template <class Kv>
void DecodeUnit(const AttnDecodeData& a, const DecodeScratch& s, int64_t b, int64_t kvh, int64_t c0,
                int64_t c1, float* partial, bool scalar_f16) {
  const DF d;
  const AttnDecodeDims& dims = a.dims;
  const size_t dim = static_cast<size_t>(dims.head_dim);
  const size_t group = static_cast<size_t>(dims.group());
  const size_t tile_rows = static_cast<size_t>(DecodeTileRows(dims));
  const float scale = SoftmaxExp2Scale(dims.head_dim);  // scores in log2 units
  const int64_t h0 = kvh * dims.group();
  const float* q = a.q + (b * dims.heads + h0) * dims.head_dim;
  for (size_t i = 0; i < group * dim; ++i) {
    s.qs[i] = q[i] * scale;
    s.acc[i] = 0.0f;
  }
  for (size_t g = 0; g < group; ++g) {
    s.m[g] = kNegInf;
    hn::StoreU(hn::Zero(d), d, s.lsum + g * hn::Lanes(d));
  }
  // Tiles start at whole key blocks (c0 is one), so a tile's K is at the same element offset
  // t0 * dim as its V, from the pair's first K block.
  const auto* k = static_cast<const typename Kv::T*>(a.k) +
                  static_cast<size_t>(DecodeKeyIndex(dims, b, kvh, 0, 0));
  const auto* v = static_cast<const typename Kv::T*>(a.v) +
                  static_cast<size_t>((b * dims.kv_heads + kvh) * dims.ctx) * dim;
  constexpr size_t kB = static_cast<size_t>(kDecodeKeyBlock);
  const bool prefetch = kDecodePrefetchAlways || DecodeComputeHeavy(dims);
  for (int64_t t0 = c0; t0 < c1; t0 += static_cast<int64_t>(tile_rows)) {
    const size_t nt = static_cast<size_t>(std::min<int64_t>(tile_rows, c1 - t0));
    const size_t off = static_cast<size_t>(t0) * dim;
    if constexpr (sizeof(typename Kv::T) == 2) {
      if (scalar_f16 || !Kv::kVectorLoad) {
        // The portable path: widen the tile once with scalar code (K's blocks whole, padding
        // included), then run the f32 code.
        WidenF16Tile(k + off, (nt + kB - 1) / kB * kB * dim, s.ktile);
        WidenF16Tile(v + off, nt * dim, s.vtile);
        DecodeTile<KvF32>(d, s, group, dim, s.ktile, s.vtile, nt, 0);
        continue;
      }
    }
    const size_t next =
        !prefetch ? 0
                  : static_cast<size_t>(std::min<int64_t>(
                        tile_rows, std::max<int64_t>(0, c1 - t0 - static_cast<int64_t>(nt))));
    if constexpr (Kv::kVectorLoad) {
      DecodeTile<Kv>(d, s, group, dim, k + off, v + off, nt, next);
    }
  }
  float* out = a.out + (b * dims.heads + h0) * dims.head_dim;
  for (size_t g = 0; g < group; ++g) {
    const VF lv = hn::LoadU(d, s.lsum + g * hn::Lanes(d));
    const float l = hn::GetLane(hn::SumOfLanes(d, lv));
    if (partial != nullptr) {
      float* p = partial + g * (dim + 2);
      p[0] = s.m[g];
      p[1] = l;
      for (size_t i = 0; i < dim; ++i) p[2 + i] = s.acc[g * dim + i];
    } else {
      const float inv = 1.0f / l;
      for (size_t i = 0; i < dim; ++i) out[g * dim + i] = s.acc[g * dim + i] * inv;
    }
  }
}

// Scalar widening stands in for every f16 element when the target has no float16 lanes.
struct KvF16Scalar {
  using T = uint16_t;
  static constexpr bool kVectorLoad = false;
  static HWY_INLINE float Scalar(const uint16_t* p) { return F16ToF32(*p); }
};

inline void AttnDecodeImpl(const AttnDecodeData& a) {
  const AttnDecodeDims& dims = a.dims;
  const int64_t splits = DecodeSplits(dims, a.threads);
  const int64_t pairs = dims.batch * dims.kv_heads;
  const int64_t units = pairs * splits;
  const size_t dim = static_cast<size_t>(dims.head_dim);
  const size_t group = static_cast<size_t>(dims.group());
  const size_t partial_floats = group * (dim + 2);
#if HWY_HAVE_FLOAT16
  const bool scalar_f16 = a.f16_path == F16Path::kScalar;
#else
  const bool scalar_f16 = true;
#endif
#pragma omp parallel num_threads(a.threads)
  {
    const int tid = omp_get_thread_num();
    const int nth = omp_get_num_threads();
    const DecodeScratch s = CarveDecodeScratch(dims, a.scratch[tid]);
    int64_t u0, u1;
    StaticRange(units, nth, tid, &u0, &u1);
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t pair = u / splits, piece = u % splits;
      int64_t c0, c1;
      DecodePieceRows(dims, splits, piece, &c0, &c1);
      float* partial = splits > 1 ? a.partials + static_cast<size_t>(u) * partial_floats : nullptr;
      if (dims.kv_bits == 16) {
#if HWY_HAVE_FLOAT16
        DecodeUnit<KvF16>(a, s, pair / dims.kv_heads, pair % dims.kv_heads, c0, c1, partial,
                          scalar_f16);
#else
        DecodeUnit<KvF16Scalar>(a, s, pair / dims.kv_heads, pair % dims.kv_heads, c0, c1, partial,
                                scalar_f16);
#endif
      } else {
        DecodeUnit<KvF32>(a, s, pair / dims.kv_heads, pair % dims.kv_heads, c0, c1, partial, false);
      }
    }
    if (splits > 1) {
      // Merge the pieces of each query head: out = sum_s 2^(m_s - M) acc_s /
      // sum_s 2^(m_s - M) l_s with M the largest piece max (log2 units).
#pragma omp barrier
      int64_t h0, h1;
      StaticRange(dims.batch * dims.heads, nth, tid, &h0, &h1);
      for (int64_t bh = h0; bh < h1; ++bh) {
        const int64_t b = bh / dims.heads, h = bh % dims.heads;
        const int64_t pair = b * dims.kv_heads + h / dims.group();
        const size_t g = static_cast<size_t>(h % dims.group());
        float mx = kNegInf;
        for (int64_t p = 0; p < splits; ++p) {
          mx = std::max(
              mx,
              a.partials[static_cast<size_t>(pair * splits + p) * partial_floats + g * (dim + 2)]);
        }
        float* out = a.out + bh * dims.head_dim;
        float sum = 0.0f;
        for (size_t i = 0; i < dim; ++i) out[i] = 0.0f;
        for (int64_t p = 0; p < splits; ++p) {
          const float* part =
              a.partials + static_cast<size_t>(pair * splits + p) * partial_floats + g * (dim + 2);
          const float c = std::exp2(part[0] - mx);  // maxes in log2 units
          sum += c * part[1];
          for (size_t i = 0; i < dim; ++i) out[i] += c * part[2 + i];
        }
        const float inv = 1.0f / sum;
        for (size_t i = 0; i < dim; ++i) out[i] *= inv;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Prefill.

// Named accumulators of a kPrefillMicroRows x 4 micro-tile: row r, vector v.
// clang-format off
#define RP_ATTN_TILE(M) \
  M(0, 0) M(0, 1) M(0, 2) M(0, 3) M(1, 0) M(1, 1) M(1, 2) M(1, 3) \
  M(2, 0) M(2, 1) M(2, 2) M(2, 3) M(3, 0) M(3, 1) M(3, 2) M(3, 3)
// clang-format on
#define RP_ATTN_DECL(r, v)                            \
  VF c##r##v = hn::Zero(d);                           \
  if constexpr (kAcc && (r) < kRows && (v) < kVecs) { \
    c##r##v = hn::LoadU(d, c + (r)*ldc + (v)*lanes);  \
  }
#define RP_ATTN_FMA(r, v) \
  if constexpr ((r) < kRows && (v) < kVecs) c##r##v = hn::MulAdd(a##r, b##v, c##r##v);
#define RP_ATTN_STORE(r, v) \
  if constexpr ((r) < kRows && (v) < kVecs) hn::StoreU(c##r##v, d, c + (r)*ldc + (v)*lanes);

// C[kRows x kVecs vectors] (+)= A[kRows x kc] B[kc x kVecs vectors]: A broadcast element by
// element, B rows loaded as vectors.
template <int kRows, int kVecs, bool kAcc>
HWY_INLINE void MicroTile(DF d, const float* HWY_RESTRICT a, size_t lda,
                          const float* HWY_RESTRICT b, size_t ldb, size_t kc, float* HWY_RESTRICT c,
                          size_t ldc) {
  const size_t lanes = hn::Lanes(d);
  RP_ATTN_TILE(RP_ATTN_DECL)
  const float* a0p = a;
  const float* a1p = kRows > 1 ? a + lda : a;
  const float* a2p = kRows > 2 ? a + 2 * lda : a;
  const float* a3p = kRows > 3 ? a + 3 * lda : a;
  for (size_t p = 0; p < kc; ++p, b += ldb) {
    const VF b0 = hn::LoadU(d, b);
    VF b1 = b0, b2 = b0, b3 = b0;
    if constexpr (kVecs > 1) b1 = hn::LoadU(d, b + lanes);
    if constexpr (kVecs > 2) b2 = hn::LoadU(d, b + 2 * lanes);
    if constexpr (kVecs > 3) b3 = hn::LoadU(d, b + 3 * lanes);
    const VF a0 = hn::Set(d, a0p[p]);
    const VF a1 = hn::Set(d, a1p[p]);
    const VF a2 = hn::Set(d, a2p[p]);
    const VF a3 = hn::Set(d, a3p[p]);
    RP_ATTN_TILE(RP_ATTN_FMA)
  }
  RP_ATTN_TILE(RP_ATTN_STORE)
}

#undef RP_ATTN_DECL
#undef RP_ATTN_FMA
#undef RP_ATTN_STORE
#undef RP_ATTN_TILE

template <int kVecs, bool kAcc>
HWY_INLINE void GemmColumns(DF d, size_t rows, size_t kc, const float* a, size_t lda,
                            const float* b, size_t ldb, float* c, size_t ldc) {
  constexpr size_t kMr = static_cast<size_t>(kPrefillMicroRows);
  size_t r = 0;
  for (; r + kMr <= rows; r += kMr) {
    MicroTile<kPrefillMicroRows, kVecs, kAcc>(d, a + r * lda, lda, b, ldb, kc, c + r * ldc, ldc);
  }
  switch (rows - r) {
    case 3:
      MicroTile<3, kVecs, kAcc>(d, a + r * lda, lda, b, ldb, kc, c + r * ldc, ldc);
      break;
    case 2:
      MicroTile<2, kVecs, kAcc>(d, a + r * lda, lda, b, ldb, kc, c + r * ldc, ldc);
      break;
    case 1:
      MicroTile<1, kVecs, kAcc>(d, a + r * lda, lda, b, ldb, kc, c + r * ldc, ldc);
      break;
    default:
      break;
  }
}

// C[rows x cols] (+)= A[rows x kc] B[kc x cols]; cols a multiple of the vector length. The
// B panel of one column block (kc x kMicroVecs vectors) is reused by every row block.
template <bool kAcc>
HWY_INLINE void Gemm(DF d, size_t rows, size_t cols, size_t kc, const float* a, size_t lda,
                     const float* b, size_t ldb, float* c, size_t ldc) {
  const size_t lanes = hn::Lanes(d);
  const size_t nv = cols / lanes;
  for (size_t v0 = 0; v0 < nv; v0 += kMicroVecs) {
    const size_t off = v0 * lanes;
    switch (std::min(kMicroVecs, nv - v0)) {
      case 4:
        GemmColumns<4, kAcc>(d, rows, kc, a, lda, b + off, ldb, c + off, ldc);
        break;
      case 3:
        GemmColumns<3, kAcc>(d, rows, kc, a, lda, b + off, ldb, c + off, ldc);
        break;
      case 2:
        GemmColumns<2, kAcc>(d, rows, kc, a, lda, b + off, ldb, c + off, ldc);
        break;
      default:
        GemmColumns<1, kAcc>(d, rows, kc, a, lda, b + off, ldb, c + off, ldc);
        break;
    }
  }
}

// Packs key tile `tile` of KV head kvh: K^T columns [j0, j0 + key_tile) and padded V rows.
inline void PackKeyTile(const AttnPrefillData& a, const PrefillLayout& lay, int64_t kvh,
                        int64_t tile) {
  const AttnPrefillDims& dims = a.dims;
  const int64_t dim = dims.head_dim, tokens = dims.tokens;
  const int64_t tp = lay.padded_tokens, dp = lay.padded_dim;
  const int64_t j0 = tile * lay.key_tile, j1 = j0 + lay.key_tile;
  const int64_t valid = std::min(j1, tokens);
  const float* k = a.k + kvh * tokens * dim;
  const float* v = a.v + kvh * tokens * dim;
  const int64_t bk = lay.key_tile;
  float* kt = a.kt + (kvh * (tp / bk) + tile) * dim * bk;  // this tile's [dim x key_tile] panel
  float* vp = a.vp + kvh * tp * dp;
  for (int64_t i = 0; i < dim; ++i) {
    float* row = kt + i * bk - j0;
    for (int64_t j = j0; j < valid; ++j) row[j] = k[j * dim + i];
    for (int64_t j = valid; j < j1; ++j) row[j] = 0.0f;
  }
  for (int64_t j = j0; j < j1; ++j) {
    float* row = vp + j * dp;
    int64_t i = 0;
    if (j < tokens) {
      for (; i < dim; ++i) row[i] = v[j * dim + i];
    }
    for (; i < dp; ++i) row[i] = 0.0f;
  }
}

// Lanes of the vector at t that are causal when the first `valid` of the tile are.
HWY_INLINE hn::Mask<DF> CausalLanes(DF d, int64_t valid, size_t t) {
  const int64_t left = valid - static_cast<int64_t>(t);
  return hn::FirstN(d, static_cast<size_t>(std::max<int64_t>(left, 0)));
}

// Online softmax for one query row over a key tile of n (= key_tile) raw scores of which the
// first `valid` are causal; scores become weights 2^((s - m) c) with c = log2(e)/sqrt(dim).
// The row's reference max m moves only when a score passes it by more than kSoftmaxSlack / c,
// so weights stay below 2^kSoftmaxSlack and most tiles neither reduce the max across lanes nor
// rescale the accumulator; the row sum lives in one vector `lv` and is reduced once per block.
HWY_INLINE void FlashRow(DF d, float* HWY_RESTRICT s, int64_t valid, size_t n, float c, float slack,
                         float* m, float* HWY_RESTRICT lv, float* HWY_RESTRICT o, size_t dp) {
  const size_t lanes = hn::Lanes(d);
  if (valid <= 0) {  // the whole tile lies after this token
    for (size_t t = 0; t < n; ++t) s[t] = 0.0f;
    return;
  }
  const bool diagonal = static_cast<size_t>(valid) < n;
  const VF neg = hn::Set(d, kNegInf);
  VF vmax = neg;
  for (size_t t = 0; t < n; t += lanes) {
    VF x = hn::LoadU(d, s + t);
    if (diagonal) x = hn::IfThenElse(CausalLanes(d, valid, t), x, neg);
    vmax = hn::Max(vmax, x);
  }
  if (!hn::AllFalse(d, hn::Gt(vmax, hn::Set(d, *m + slack)))) {
    const float m_new = std::max(*m, hn::GetLane(hn::MaxOfLanes(d, vmax)));
    if (*m != kNegInf) {  // before the first causal tile, o and lv are still zero
      const VF vc = hn::Set(d, std::exp2((*m - m_new) * c));
      for (size_t i = 0; i < dp; i += lanes) {
        hn::StoreU(hn::Mul(hn::LoadU(d, o + i), vc), d, o + i);
      }
      hn::StoreU(hn::Mul(hn::LoadU(d, lv), vc), d, lv);
    }
    *m = m_new;
  }
  const VF vm = hn::Set(d, *m);
  const VF vc = hn::Set(d, c);
  VF vsum = hn::Zero(d);
  for (size_t t = 0; t < n; t += lanes) {
    VF p = Exp2Bounded(d, hn::Mul(hn::Sub(hn::LoadU(d, s + t), vm), vc));
    if (diagonal) p = hn::IfThenElseZero(CausalLanes(d, valid, t), p);
    hn::StoreU(p, d, s + t);
    vsum = hn::Add(vsum, p);
  }
  hn::StoreU(hn::Add(hn::LoadU(d, lv), vsum), d, lv);
}

// Flash: query block qb of every query head of KV head kvh. The heads take each key tile in
// turn, so the tile (K^T 32 KiB + V 32 KiB at head_dim 128) comes from L3 once and from L2
// for the other group - 1 heads: at 2048 tokens, 2 threads, 102.9 ms against 112.4 ms with
// one head per unit (interleaved best of 4); the same on 1 thread. Score tile, accumulators,
// maxes and sums stay in scratch (L1/L2); nothing tokens x tokens exists.
inline void FlashBlock(DF d, const AttnPrefillData& a, const PrefillLayout& lay, int64_t kvh,
                       int64_t qb, float* scratch) {
  const AttnPrefillDims& dims = a.dims;
  const size_t dim = static_cast<size_t>(dims.head_dim);
  const size_t tp = static_cast<size_t>(lay.padded_tokens);
  const size_t dp = static_cast<size_t>(lay.padded_dim);
  const size_t bk = static_cast<size_t>(lay.key_tile);
  const size_t bq = static_cast<size_t>(kPrefillQueryBlock);
  const int64_t group = dims.group();
  const int64_t i0 = qb * kPrefillQueryBlock;
  const size_t nr = static_cast<size_t>(std::min(kPrefillQueryBlock, dims.tokens - i0));
  const size_t lanes = hn::Lanes(d);
  const float c = SoftmaxExp2Scale(dims.head_dim);
  const float slack = kSoftmaxSlack / c;
  const float* kt = a.kt + static_cast<size_t>(kvh) * dim * tp;  // key tile t at t * dim * bk
  const float* vp = a.vp + static_cast<size_t>(kvh) * tp * dp;
  float* s = scratch;
  // Per head g of the group: accumulator, row maxes, one vector of partial sums per row.
  const size_t per_head = bq * dp + bq + bq * lanes;
  float* heads = s + bq * bk;
  for (int64_t g = 0; g < group; ++g) {
    float* o = heads + static_cast<size_t>(g) * per_head;
    float* m = o + bq * dp;
    float* lv = m + bq;
    for (size_t i = 0; i < nr * dp; ++i) o[i] = 0.0f;
    for (size_t i = 0; i < nr * lanes; ++i) lv[i] = 0.0f;
    for (size_t r = 0; r < nr; ++r) m[r] = kNegInf;
  }
  const int64_t last = i0 + static_cast<int64_t>(nr) - 1;
  for (int64_t j0 = 0; j0 <= last; j0 += lay.key_tile) {
    const float* ktile = kt + static_cast<size_t>(j0) * dim;
    const float* vtile = vp + static_cast<size_t>(j0) * dp;
    for (int64_t g = 0; g < group; ++g) {
      const int64_t h = kvh * group + g;
      const float* q = a.q + (h * dims.tokens + i0) * dims.head_dim;
      float* o = heads + static_cast<size_t>(g) * per_head;
      float* m = o + bq * dp;
      float* lv = m + bq;
      Gemm<false>(d, nr, bk, dim, q, dim, ktile, bk, s, bk);
      for (size_t r = 0; r < nr; ++r) {
        const int64_t valid =
            std::min<int64_t>(lay.key_tile, i0 + static_cast<int64_t>(r) - j0 + 1);
        FlashRow(d, s + r * bk, valid, bk, c, slack, m + r, lv + r * lanes, o + r * dp, dp);
      }
      Gemm<true>(d, nr, dp, bk, s, bk, vtile, dp, o, dp);
    }
  }
  for (int64_t g = 0; g < group; ++g) {
    const int64_t h = kvh * group + g;
    const float* o = heads + static_cast<size_t>(g) * per_head;
    const float* lv = o + bq * dp + bq;
    float* out = a.out + (h * dims.tokens + i0) * dims.head_dim;
    for (size_t r = 0; r < nr; ++r) {
      const float inv = 1.0f / hn::GetLane(hn::SumOfLanes(d, hn::LoadU(d, lv + r * lanes)));
      for (size_t i = 0; i < dim; ++i) out[r * dim + i] = o[r * dp + i] * inv;
    }
  }
}

// Softmax of one materialised score row of ncols scores of which the first n are causal:
// the mask, then separate passes for the max, the exponentials and their sum, and the
// normalisation.
HWY_INLINE void NaiveSoftmaxRow(DF d, float* HWY_RESTRICT s, size_t n, size_t ncols, float c) {
  const size_t lanes = hn::Lanes(d);
  for (size_t t = n; t < ncols; ++t) s[t] = kNegInf;
  VF vmax = hn::Set(d, kNegInf);
  for (size_t t = 0; t < ncols; t += lanes) vmax = hn::Max(vmax, hn::LoadU(d, s + t));
  const VF vm = hn::Set(d, hn::GetLane(hn::MaxOfLanes(d, vmax)));
  const VF vc = hn::Set(d, c);
  VF vsum = hn::Zero(d);
  for (size_t t = 0; t < ncols; t += lanes) {
    VF p = Exp2Bounded(d, hn::Mul(hn::Sub(hn::LoadU(d, s + t), vm), vc));
    p = hn::IfThenElseZero(CausalLanes(d, static_cast<int64_t>(n), t), p);
    hn::StoreU(p, d, s + t);
    vsum = hn::Add(vsum, p);
  }
  const VF inv = hn::Set(d, 1.0f / hn::GetLane(hn::SumOfLanes(d, vsum)));
  for (size_t t = 0; t < ncols; t += lanes) {
    hn::StoreU(hn::Mul(hn::LoadU(d, s + t), inv), d, s + t);
  }
}

// Naive: head h, as the textbook writes it. S = Q K^T (the whole tokens x tokens square) is
// written to memory, a separate pass scales it, applies the causal mask and turns it into
// P = softmax(S), and a third pass computes O = P V over the whole square again.
inline void NaiveHead(DF d, const AttnPrefillData& a, const PrefillLayout& lay, int64_t h,
                      float* scratch) {
  const AttnPrefillDims& dims = a.dims;
  const size_t dim = static_cast<size_t>(dims.head_dim);
  const size_t tp = static_cast<size_t>(lay.padded_tokens);
  const size_t dp = static_cast<size_t>(lay.padded_dim);
  const size_t bk = static_cast<size_t>(lay.key_tile);
  const size_t bq = static_cast<size_t>(kPrefillQueryBlock);
  const size_t tokens = static_cast<size_t>(dims.tokens);
  const int64_t kvh = h / dims.group();
  const float c = SoftmaxExp2Scale(dims.head_dim);
  const float* q = a.q + h * dims.tokens * dims.head_dim;
  const float* kt = a.kt + static_cast<size_t>(kvh) * dim * tp;  // key tile t at t * dim * bk
  const float* vp = a.vp + static_cast<size_t>(kvh) * tp * dp;
  float* s = scratch;
  float* o = s + tp * tp;
  for (size_t i0 = 0; i0 < tokens; i0 += bq) {
    const size_t nr = std::min(bq, tokens - i0);
    for (size_t j0 = 0; j0 < tp; j0 += bk) {
      Gemm<false>(d, nr, bk, dim, q + i0 * dim, dim, kt + j0 * dim, bk, s + i0 * tp + j0, tp);
    }
  }
  for (size_t i = 0; i < tokens; ++i) NaiveSoftmaxRow(d, s + i * tp, i + 1, tp, c);
  float* out = a.out + h * dims.tokens * dims.head_dim;
  for (size_t i0 = 0; i0 < tokens; i0 += bq) {
    const size_t nr = std::min(bq, tokens - i0);
    for (size_t i = 0; i < nr * dp; ++i) o[i] = 0.0f;
    for (size_t j0 = 0; j0 < tp; j0 += bk) {
      Gemm<true>(d, nr, dp, bk, s + i0 * tp + j0, tp, vp + j0 * dp, dp, o, dp);
    }
    for (size_t r = 0; r < nr; ++r) {
      for (size_t i = 0; i < dim; ++i) out[(i0 + r) * dim + i] = o[r * dp + i];
    }
  }
}

inline void AttnPrefillImpl(const AttnPrefillData& a) {
  const DF d;
  const AttnPrefillDims& dims = a.dims;
  const PrefillLayout lay = MakePrefillLayout(dims, static_cast<int64_t>(hn::Lanes(d)));
  const int64_t key_tiles = lay.padded_tokens / lay.key_tile;
  const int64_t blocks = PrefillQueryBlocks(dims);
#pragma omp parallel num_threads(a.threads)
  {
    const int tid = omp_get_thread_num();
    const int nth = omp_get_num_threads();
    int64_t u0, u1;
    StaticRange(dims.kv_heads * key_tiles, nth, tid, &u0, &u1);
    for (int64_t u = u0; u < u1; ++u) PackKeyTile(a, lay, u / key_tiles, u % key_tiles);
#pragma omp barrier
    if (a.flash) {
      // One KV head after the other, so both threads re-read the same packed K and V (2 MiB
      // per KV head at 2048 tokens) instead of cycling through all of them (5-7% faster);
      // within a KV head, largest blocks (most key tiles) first, so the last units are short.
#pragma omp for schedule(dynamic, 1) nowait
      for (int64_t u = 0; u < dims.kv_heads * blocks; ++u) {
        FlashBlock(d, a, lay, u / blocks, blocks - 1 - u % blocks, a.scratch[tid]);
      }
    } else {
#pragma omp for schedule(dynamic, 1) nowait
      for (int64_t h = 0; h < dims.heads; ++h) NaiveHead(d, a, lay, h, a.scratch[tid]);
    }
  }
}

}  // namespace attn
}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
