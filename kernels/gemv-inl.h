// The one dot-product loop of the decode GEMVs, per target: a register tile of R rows of W x T
// tokens. Each 32-weight unit of each row is decoded once (Policy::Decode, kernels/quant-inl.h)
// and multiplied into all T tokens, so larger m moves the kernel from memory-bound towards
// compute-bound. A quantized GEMV is a decoder plus this loop, not a copy of it.
//
// Activations: f32, packed once per call into [k-block][token][weight] in the decoder's lane
// order, zero-padded to whole units and token groups. Weights: decoded to exact f32 values in
// registers. Accumulation: f32 FMA, one accumulator vector per (row, token), reduced at the end.
#if defined(ROOFPROF_KERNELS_GEMV_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ROOFPROF_KERNELS_GEMV_INL_H_
#undef ROOFPROF_KERNELS_GEMV_INL_H_
#else
#define ROOFPROF_KERNELS_GEMV_INL_H_
#endif

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <type_traits>

#include "hwy/highway.h"
#include "kernels/gemv.h"
#include "kernels/prefetch.h"
#include "kernels/quant-inl.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Architectural vector registers the register tile is sized for.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || HWY_ARCH_ARM_A64 || HWY_ARCH_RVV
inline constexpr int kVectorRegisters = 32;
#else
inline constexpr int kVectorRegisters = 16;
#endif

// Calls pick(std::integral_constant<size_t, T>()) with T = tokens: how a token count chosen at
// run time selects the tiles compiled for each T (kMax 4 or 8: the largest compiled).
template <size_t kMax, class Pick>
HWY_INLINE void WithTileTokens(size_t tokens, const Pick& pick) {
  static_assert(kMax == 4 || kMax == 8, "tiles are compiled for 1-4 or 1-8 tokens");
  switch (tokens) {
    case 1:
      return pick(std::integral_constant<size_t, 1>());
    case 2:
      return pick(std::integral_constant<size_t, 2>());
    case 3:
      return pick(std::integral_constant<size_t, 3>());
    case 4:
      return pick(std::integral_constant<size_t, 4>());
  }
  if constexpr (kMax == 8) {
    switch (tokens) {
      case 5:
        return pick(std::integral_constant<size_t, 5>());
      case 6:
        return pick(std::integral_constant<size_t, 6>());
      case 7:
        return pick(std::integral_constant<size_t, 7>());
      case 8:
        return pick(std::integral_constant<size_t, 8>());
    }
  }
  HWY_ABORT("GEMV tile for %zu tokens not compiled for %s", tokens, hwy::TargetName(HWY_TARGET));
}

// Bytes ahead of the current unit that the streaming loop prefetches in each row. The hardware
// prefetchers follow up to R = 8 sequential rows, but they stop at 4 KiB pages and ramp up
// slowly; DRAM latency (~100 ns) x per-thread bandwidth (~35 GB/s) is ~3.5 KB in flight, so
// prefetching 4 KiB ahead keeps one page of each row requested before the loads reach it.
// The prefetches fill L2, not L1: 8 rows x 4 KiB ahead would take 32 KiB of L1 from the A
// block (see kGemvStreamABytes), and the L1 prefetchers cover L2's latency.
inline constexpr size_t kStreamPrefetchBytes = 4096;
// GCC folds a loaded vector that feeds several FMAs into each FMA's memory operand (x86 FMAs
// take one), so a 3 x 8 tile issues 27 loads per 24 FMAs instead of 11 and runs load-bound at
// ~65% of the FMA peak on Zen 5 (2 loads and 2 FMAs per cycle). Launder keeps one register
// copy: the tile then reaches the FMA peak. Only x86 FMAs take memory operands.
#if HWY_ARCH_X86
inline constexpr bool kLaunderSharedLoads = true;
#else
inline constexpr bool kLaunderSharedLoads = false;
#endif
// Fewest unit bytes per prefetch: one prefetch per 64-byte line, not one per q4_0 block.
inline constexpr size_t kPrefetchLine = 64;

struct TileArgs {
  const uint8_t* w;     // row 0 of the tile at its first unit
  size_t w_stride;      // bytes between rows
  size_t units;         // whole units read from w
  const uint8_t* tail;  // nullptr, or one more (zero-padded) unit per row, rows kUnitBytes apart
  const float* a;       // packed activations: token 0 at the first unit
  size_t a_stride;      // floats between tokens
  float* acc;           // per-(row, token) partial sums: acc + r * acc_stride + t * lanes
  size_t acc_stride;
  bool acc_in;  // start from acc instead of zero
  float* c;     // non-null: reduce and store C[t * ldc + r] for t < valid_tokens;
  size_t ldc;   // null: store the partial sums to acc
  size_t valid_tokens;
  ptrdiff_t prefetch;  // prefetch w + r * w_stride + prefetch for each unit read; 0: none
  // From this many bytes into the tile on, add prefetch_wrap: the prefetch has run past the
  // rows' end and continues in the next tile's rows (streaming rows shorter than the distance).
  size_t prefetch_wrap_at;
  ptrdiff_t prefetch_wrap;
  // Bytes ahead of a read `offset` bytes into each row at which to prefetch.
  ptrdiff_t PrefetchLead(size_t offset) const {
    const size_t at = offset + static_cast<size_t>(prefetch);
    return prefetch + (at >= prefetch_wrap_at ? prefetch_wrap : 0);
  }
  uint32_t zero;  // 0 (see Launder)
};

// Named accumulators acc<r>_<t> and decoded rows w<r> (no arrays of vectors: SVE and RVV
// vectors are sizeless); `if constexpr` drops the ones outside the R x T tile.
#define RP_GEMV_ROWS(M, t) M(0, t) M(1, t) M(2, t) M(3, t) M(4, t) M(5, t) M(6, t) M(7, t)
#define RP_GEMV_TOKENS(M, r) M(r, 0) M(r, 1) M(r, 2) M(r, 3) M(r, 4) M(r, 5) M(r, 6) M(r, 7)
// clang-format off
#define RP_GEMV_TILE(M)                                                         \
  RP_GEMV_ROWS(M, 0) RP_GEMV_ROWS(M, 1) RP_GEMV_ROWS(M, 2) RP_GEMV_ROWS(M, 3) \
  RP_GEMV_ROWS(M, 4) RP_GEMV_ROWS(M, 5) RP_GEMV_ROWS(M, 6) RP_GEMV_ROWS(M, 7)
// clang-format on
#define RP_GEMV_EACH(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

#define RP_GEMV_DECL_ACC(r, t) [[maybe_unused]] auto acc##r##_##t = hn::Zero(df);
#define RP_GEMV_DECL_W(r) [[maybe_unused]] auto w##r = hn::Zero(df);
#define RP_GEMV_LOAD_ACC(r, t) \
  if constexpr (r < R && t < T) acc##r##_##t = hn::Load(df, args.acc + r * args.acc_stride + t * N);
#define RP_GEMV_STORE_ACC(r, t) \
  if constexpr (r < R && t < T) hn::Store(acc##r##_##t, df, args.acc + r * args.acc_stride + t * N);
#define RP_GEMV_REDUCE(r, t)                                                    \
  if constexpr (r < R && t < T) {                                               \
    if (t < args.valid_tokens) {                                                \
      args.c[t * args.ldc + r] = hn::GetLane(hn::SumOfLanes(df, acc##r##_##t)); \
    }                                                                           \
  }

// Token-major order, for wide tiles: per sub-vector, decode the R rows into w<r>, then load
// each token's A vector once and multiply it into the R rows: R + T loads per R x T FMAs.
#define RP_GEMV_DECODE(r)                                         \
  if constexpr (r < R) {                                          \
    w##r = pol.Decode(df, unit_ + r * stride_, v);                \
    if constexpr (kLaunderSharedLoads && Policy::kDecodeIsLoad) { \
      w##r = Launder(df, w##r, opaque_zero);                      \
    }                                                             \
  }
#define RP_GEMV_FMA(r, t) \
  if constexpr (r < R) acc##r##_##t = hn::MulAdd(w##r, a_, acc##r##_##t);
#define RP_GEMV_TOKEN(t)                                                  \
  if constexpr (t < T) {                                                  \
    auto a_ = hn::Load(df, ap_ + t * args.a_stride + v * N);              \
    if constexpr (kLaunderSharedLoads) a_ = Launder(df, a_, opaque_zero); \
    RP_GEMV_ROWS(RP_GEMV_FMA, t)                                          \
  }
#define RP_GEMV_UNIT_TOKEN_MAJOR(UNIT, STRIDE, AP) \
  {                                                \
    const uint8_t* unit_ = (UNIT);                 \
    const size_t stride_ = (STRIDE);               \
    const float* ap_ = (AP);                       \
    for (size_t v = 0; v < kDecodeUnit / N; ++v) { \
      RP_GEMV_EACH(RP_GEMV_DECODE)                 \
      RP_GEMV_EACH(RP_GEMV_TOKEN)                  \
    }                                              \
  }

// Row-major order, for narrow tiles: decode a row's whole unit at once (the decoder shares
// work between its sub-vectors) and multiply each sub-vector into the T tokens, A coming from
// L1 with each FMA: decode work stays per block, registers stay per row.
#define RP_GEMV_ROW_FMA(r, t) \
  if constexpr (t < T)        \
    acc##r##_##t = hn::MulAdd(w_, hn::Load(df, ap_ + t * args.a_stride + v_ * N), acc##r##_##t);
#define RP_GEMV_ROW(r)                                                                       \
  if constexpr (r < R) {                                                                     \
    pol.DecodeUnit(df, unit_ + r * stride_, [&](size_t v_, hn::Vec<DecodeTag> w_) HWY_ATTR { \
      RP_GEMV_TOKENS(RP_GEMV_ROW_FMA, r)                                                     \
    });                                                                                      \
  }
#define RP_GEMV_UNIT_ROW_MAJOR(UNIT, STRIDE, AP) \
  {                                              \
    const uint8_t* unit_ = (UNIT);               \
    const size_t stride_ = (STRIDE);             \
    const float* ap_ = (AP);                     \
    RP_GEMV_EACH(RP_GEMV_ROW)                    \
  }

#define RP_GEMV_UNIT(UNIT, STRIDE, AP)         \
  if constexpr (kTokenMajor) {                 \
    RP_GEMV_UNIT_TOKEN_MAJOR(UNIT, STRIDE, AP) \
  } else {                                     \
    RP_GEMV_UNIT_ROW_MAJOR(UNIT, STRIDE, AP)   \
  }

// The same vector, in a register the compiler cannot replace by a memory operand: an empty asm
// that claims to modify it (no instruction), else v | zero with a zero the compiler cannot see
// (one integer op). The asm against the Or on a Zen 4 guest (interleaved best of 3-5): the
// panel tile at m = 16, n = 1536, k = 4096 (L3, 1 thread) 1.88 against 2.01 ms, m = 8 0.916
// against 0.942; AVX2 m = 16 2.00 against 2.08; in L2 and on the row tiles level.
template <class DF, class VU>
HWY_INLINE hn::Vec<DF> Launder(DF df, hn::Vec<DF> v, VU zero) {
#if HWY_ARCH_X86 && (HWY_COMPILER_GCC || HWY_COMPILER_CLANG) && HWY_TARGET != HWY_SCALAR && \
    HWY_TARGET != HWY_EMU128
  (void)df;
  (void)zero;
  asm("" : "+v"(v.raw));
  return v;
#else
  return hn::BitCast(df, hn::Or(hn::BitCast(hn::RebindToUnsigned<DF>(), v), zero));
#endif
}

// The first `rows` lanes of a panel result vector to out[0 .. rows): the whole vector with one
// store, fewer (a partial last block) through an aligned buffer.
template <class DF>
HWY_INLINE void StoreFirstRows(DF df, hn::Vec<DF> v, float* out, size_t rows) {
  if (rows >= hn::Lanes(df)) {
    hn::StoreU(v, df, out);
    return;
  }
  HWY_ALIGN float edge[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, df, edge);
  for (size_t i = 0; i < rows; ++i) out[i] = edge[i];
}

template <class Policy, size_t R, size_t T, bool kTokenMajor>
HWY_NOINLINE void GemvTile(const Policy& pol, const TileArgs& args) {
  static_assert(R >= 1 && R <= 8 && T >= 1 && T <= 8, "tile names cover 8 x 8");
  const DecodeTag df;
  const size_t N = hn::Lanes(df);
  // Zero, but read from args, so the compiler cannot drop the Or in Launder.
  [[maybe_unused]] const auto opaque_zero = hn::Set(hn::RebindToUnsigned<DecodeTag>(), args.zero);
  RP_GEMV_TILE(RP_GEMV_DECL_ACC)
  RP_GEMV_EACH(RP_GEMV_DECL_W)
  if (args.acc_in) {
    RP_GEMV_TILE(RP_GEMV_LOAD_ACC)
  }
  const uint8_t* w = args.w;
  const float* ap = args.a;
  // About one prefetch per 64-byte line of each row: every unit for f32/bf16 (128/64 B) and
  // q8_0 (34 B: 64 / 34 rounds down to 1), every third unit for q4_0 (3 x 18 = 54 B).
  constexpr size_t kUnitsPerLine =
      Policy::kUnitBytes >= kPrefetchLine ? 1 : kPrefetchLine / Policy::kUnitBytes;
  size_t u = 0;
  if (args.prefetch != 0) {
    for (; u + kUnitsPerLine <= args.units; u += kUnitsPerLine) {
      const ptrdiff_t ahead = args.PrefetchLead(u * Policy::kUnitBytes);
      for (size_t r = 0; r < R; ++r) {
        for (size_t b = 0; b < Policy::kUnitBytes; b += kPrefetchLine) {
          PrefetchToL2(w + r * args.w_stride + ahead + b);
        }
      }
      for (size_t i = 0; i < kUnitsPerLine; ++i, w += Policy::kUnitBytes, ap += kDecodeUnit) {
        RP_GEMV_UNIT(w, args.w_stride, ap)
      }
    }
  }
  for (; u < args.units; ++u, w += Policy::kUnitBytes, ap += kDecodeUnit) {
    RP_GEMV_UNIT(w, args.w_stride, ap)
  }
  if (args.tail != nullptr) {
    RP_GEMV_UNIT(args.tail, Policy::kUnitBytes, ap)
  }
  if (args.c != nullptr) {
    RP_GEMV_TILE(RP_GEMV_REDUCE)
  } else {
    RP_GEMV_TILE(RP_GEMV_STORE_ACC)
  }
}

#undef RP_GEMV_UNIT
#undef RP_GEMV_UNIT_ROW_MAJOR
#undef RP_GEMV_ROW
#undef RP_GEMV_ROW_FMA
#undef RP_GEMV_UNIT_TOKEN_MAJOR
#undef RP_GEMV_TOKEN
#undef RP_GEMV_FMA
#undef RP_GEMV_DECODE
#undef RP_GEMV_DECL_W
// The accumulator macros (RP_GEMV_TILE, _DECL_ACC, _LOAD_ACC, _STORE_ACC, _REDUCE) also
// serve the integer tile below.

template <class Policy>
using TileFn = void (*)(const Policy&, const TileArgs&);

// The full tile for T tokens and its one-row variant for the rows left over.
template <class Policy, size_t T>
void PickTiles(TileFn<Policy>* full, TileFn<Policy>* single) {
  constexpr bool kTokenMajor = GemvTokenMajor(Policy::kFormat, static_cast<int>(T));
  *full = &GemvTile<Policy, static_cast<size_t>(GemvTileRows(T, kVectorRegisters)), T, kTokenMajor>;
  *single = &GemvTile<Policy, 1, T, kTokenMajor>;
}

template <class Policy>
void TilesFor(int tokens, TileFn<Policy>* full, TileFn<Policy>* single) {
  constexpr auto kMax = static_cast<size_t>(GemvMaxTileTokens(kVectorRegisters));
  WithTileTokens<kMax>(static_cast<size_t>(tokens), [&](auto t) HWY_ATTR {
    PickTiles<Policy, decltype(t)::value>(full, single);
  });
}

// Packs A into [k-block][token][weight] (GemvBlocking::BlockOffset, TokenStride); inside a
// unit, slot s holds weight Policy::Source(s). Tokens >= m and weights >= k are zero; the skew
// between token rows is never read. Token rows are split over the threads.
template <class Policy>
void PackActivations(const GemvCall& call, const GemvBlocking& b, float* packed) {
  const size_t N = hn::Lanes(DecodeTag());
  constexpr int64_t kUnit = static_cast<int64_t>(kDecodeUnit);
  size_t source[kDecodeUnit];
  for (size_t s = 0; s < kDecodeUnit; ++s) source[s] = Policy::Source(s, N);
#pragma omp for schedule(static)
  for (int64_t t = 0; t < b.padded_m; ++t) {
    const float* a = t < call.m ? call.a + t * call.lda : nullptr;  // null: a padding token
    for (int64_t kb = 0; kb < b.padded_k; kb += b.k_block) {
      const int64_t len = b.BlockLength(kb);
      float* out = packed + b.BlockOffset(kb) + t * b.TokenStride(kb);
      for (int64_t u = 0; u < len; u += static_cast<int64_t>(kDecodeUnit)) {
        if constexpr (Policy::kQuantizedActivations) {
          // Block formats have k % 32 == 0: every unit is whole (or padding). The decoders
          // multiply q * d, which is exact in f32 (7 + 11 significant bits).
          static_assert(Policy::kNaturalOrder, "quantized activations keep the natural order");
          const DecodeTag df;
          if (a != nullptr && kb + u < call.k) {
            HWY_ALIGN int8_t q[kDecodeUnit];
            const float d = QuantizeBlockQ8_0(df, a + kb + u, q);
            const hn::Rebind<int8_t, DecodeTag> di8;
            const hn::RebindToSigned<DecodeTag> di;
            for (size_t i = 0; i < kDecodeUnit; i += N) {
              const auto v = hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(di8, q + i)));
              hn::StoreU(hn::Mul(v, hn::Set(df, d)), df, out + u + static_cast<int64_t>(i));
            }
          } else {
            std::memset(out + u, 0, sizeof(float) * kDecodeUnit);
          }
          continue;
        }
        if (Policy::kNaturalOrder && a != nullptr && kb + u + kUnit <= call.k) {
          std::memcpy(out + u, a + kb + u, sizeof(float) * kDecodeUnit);
          continue;
        }
        for (size_t s = 0; s < kDecodeUnit; ++s) {
          const int64_t i = kb + u + static_cast<int64_t>(source[s]);
          out[u + static_cast<int64_t>(s)] = (a != nullptr && i < call.k) ? a[i] : 0.0f;
        }
      }
    }
  }
}

#if HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX2
#include "src/arch/cpu_x86_int8-inl.h"

// q4_0 and q8_0 take int8 dot products from integer panels (GemvIntPanelRun) on the x86 targets
// with byte dot products: vpdpbusd on AVX3_DL, vpmaddubsw + vpmaddwd on AVX3 and AVX2
// (SumsOf4MulAdd, src/arch/cpu_x86_int8-inl.h).
inline constexpr bool kIntegerDotTarget = true;
// Where q8_0 weights enter the byte products: with the sign bit flipped (q + 128, unsigned,
// against a seed of -128 x the activation sum) where the product is exact (vpdpbusd); as |q|
// against the activations carrying q's sign elsewhere, since vpmaddubsw saturates a pair sum
// past 32767 (255 x 127 x 2 would) and 128 x 127 x 2 = 32512 does not.
inline constexpr bool kQ8Offset = kExactByteDots;

// The integer forms of q4_0 and q8_0: the offset their weight bytes carry (the activation
// records' seed is -offset x the activation sum), and on AVX3_DL where weight j (0..31) of block
// h (0, 1) sits among a one-token step's 64 bytes, and the weight bytes of a step.
struct IntegerQ4_0 {
  static constexpr WeightFormat kFormat = WeightFormat::kQ4_0;
  static constexpr size_t kBlock = sizeof(BlockQ4_0);
  static constexpr int32_t kOffset = 8;
#if HWY_TARGET == HWY_AVX3_DL
  static constexpr size_t Slot(size_t h, size_t j) { return (j >> 4) * 32 + h * 16 + (j & 15); }
  static HWY_INLINE hn::Vec512<uint8_t> Weights(const uint8_t* b0, const uint8_t* b1) {
    const hn::Full512<uint8_t> du8;
    const hn::Full256<uint8_t> d32;
    const hn::Full256<uint16_t> d32w;
    const hn::Full128<uint8_t> d16;
    const auto q = hn::Combine(d32, hn::LoadU(d16, b1 + 2), hn::LoadU(d16, b0 + 2));
    const auto q_hi = hn::BitCast(d32, hn::ShiftRight<4>(hn::BitCast(d32w, q)));
    return hn::And(hn::Combine(du8, q_hi, q), hn::Set(du8, 0x0F));
  }
#endif
};
struct IntegerQ8_0 {
  static constexpr WeightFormat kFormat = WeightFormat::kQ8_0;
  static constexpr size_t kBlock = sizeof(BlockQ8_0);
  static constexpr int32_t kOffset = kQ8Offset ? 128 : 0;
#if HWY_TARGET == HWY_AVX3_DL
  static constexpr size_t Slot(size_t h, size_t j) { return h * 32 + j; }
  static HWY_INLINE hn::Vec512<uint8_t> Weights(const uint8_t* b0, const uint8_t* b1) {
    const hn::Full512<uint8_t> du8;
    const hn::Full256<uint8_t> d32;
    const auto q = hn::Combine(du8, hn::LoadU(d32, b1 + 2), hn::LoadU(d32, b0 + 2));
    return hn::Xor(q, hn::Set(du8, 0x80));
  }
#endif
};
template <class Policy>
struct IntegerFor;
template <>
struct IntegerFor<DecodeQ4_0> {
  using type = IntegerQ4_0;
};
template <>
struct IntegerFor<DecodeQ8_0> {
  using type = IntegerQ8_0;
};

#if HWY_TARGET == HWY_AVX3_DL
// q4_0 and q8_0 with one token on AVX-512 VNNI: integer dot products against the q8_0
// activations, two weight blocks per step. A step turns the two blocks into 64 unsigned bytes
// (q4_0: the 16 qs bytes of each side by side, then shifted right by 4, masked to nibbles:
// [b0 0..15 | b1 0..15 | b0 16..31 | b1 16..31]; q8_0: the 32 qs bytes of each with the sign
// bit flipped, q + 128: [b0 0..31 | b1 0..31]); one vpdpbusd multiplies them by the int8
// activations packed in that order and sums each 4 into 16 int32 lanes, every lane within one
// block. The offset (8 or 128) is the seed the sums start from: -offset x the block's
// activation sum, in one lane of that block. Then one convert and one FMA with d_w x d_a per
// lane. Integer sums are exact and d_w x d_a is exact in f32 (11 + 11 bits): one rounding per
// block before the f32 accumulation. Per two blocks and row: 11 vector ops for q4_0, 8 for
// q8_0, where the f32 decoders take 14 (6 lane-crossing shuffles) and 10.
inline constexpr bool kIntegerRowTarget = true;
// Packed A record per two blocks: 64 int8 activations, 64 B of int32 seeds, 16 f32 d_a.
inline constexpr size_t kPairBytes = static_cast<size_t>(kGemvPairRecordBytes);

// The pair record p of the k-block at kb (blocks long) of the single token (at most 4 bytes
// per weight, so the records fit the f32 packing's space). A missing second block (odd block
// count) is all zeros. Quantized as PackActivations quantizes for the f32 decoders.
template <class Int, class DF>
HWY_INLINE void PackPair(DF df, const float* a, int64_t k, int64_t kb, int64_t blocks, int64_t p,
                         uint8_t* rec) {
  std::memset(rec, 0, kPairBytes);
  auto* acts = reinterpret_cast<int8_t*>(rec);
  auto* seed = reinterpret_cast<int32_t*>(rec + 64);
  auto* da = reinterpret_cast<float*>(rec + 128);
  for (size_t h = 0; h < 2; ++h) {
    const int64_t blk = 2 * p + static_cast<int64_t>(h);
    const int64_t i0 = kb + blk * static_cast<int64_t>(kQuantBlock);
    if (blk >= blocks || i0 >= k) continue;
    HWY_ALIGN int8_t q[kQuantBlock];
    const float d = QuantizeBlockQ8_0(df, a + i0, q);
    int32_t sum = 0;
    for (size_t j = 0; j < kQuantBlock; ++j) {
      acts[Int::Slot(h, j)] = q[j];
      da[Int::Slot(h, j) / 4] = d;
      sum += q[j];
    }
    seed[Int::Slot(h, 0) / 4] = -Int::kOffset * sum;
  }
}

// The single token's A as pair records, per k-block where the f32 packing would put it; the
// pairs are split over the threads.
template <class Int>
void PackPairs(const GemvCall& call, const GemvBlocking& b, float* packed) {
  const DecodeTag df;
  for (int64_t kb = 0; kb < b.padded_k; kb += b.k_block) {
    const int64_t blocks = b.BlockLength(kb) / static_cast<int64_t>(kQuantBlock);
    auto* base = reinterpret_cast<uint8_t*>(packed + b.BlockOffset(kb));
#pragma omp for schedule(static)
    for (int64_t p = 0; p < (blocks + 1) / 2; ++p) {
      PackPair<Int>(df, call.a, call.k, kb, blocks, p, base + static_cast<size_t>(p) * kPairBytes);
    }
  }
}

#define RP_INT_ROW(r)                                                              \
  if constexpr (r < R) {                                                           \
    const uint8_t* b0 = w + r * args.w_stride;                                     \
    const uint8_t* b1 = kLast ? zero + r * kBlock : b0 + kBlock;                   \
    const auto sums = SumsOf4MulAdd(seed, Int::Weights(b0, b1), acts);             \
    const auto dw = hn::IfThenElse(second_lanes, hn::Set(df, f16[LoadU16(b1)]),    \
                                   hn::Set(df, f16[LoadU16(b0)]));                 \
    acc##r##_0 = hn::MulAdd(hn::ConvertTo(df, sums), hn::Mul(dw, da), acc##r##_0); \
  }

// R rows x one token of q4_0 or q8_0 (Int: IntegerQ4_0, IntegerQ8_0) from pair records.
template <class Int, size_t R>
ROOFPROF_ATTR_AVX512VNNI HWY_NOINLINE void GemvTileInt(const float* f16, const TileArgs& args) {
  static_assert(R >= 1 && R <= 8, "tile names cover 8 rows");
  const hn::Full512<float> df;
  const hn::Full512<int32_t> di;
  const hn::Full512<int8_t> di8;
  constexpr size_t kBlock = Int::kBlock;
  // Lanes of the second block's sums (4 bytes per lane).
  HWY_ALIGN int32_t second[16] = {};
  for (size_t j = 0; j < kQuantBlock; ++j) second[Int::Slot(1, j) / 4] = 1;
  const auto second_lanes = hn::RebindMask(df, hn::Ne(hn::Load(di, second), hn::Zero(di)));
  constexpr size_t T = 1;  // for the accumulator macros of GemvTile
  const size_t N = hn::Lanes(df);
  RP_GEMV_TILE(RP_GEMV_DECL_ACC)
  if (args.acc_in) {
    RP_GEMV_TILE(RP_GEMV_LOAD_ACC)
  }
  // An odd last block pairs with zero blocks (its activations are zero too).
  alignas(64) static const uint8_t kZeroBlocks[kGemvMaxTileRows * sizeof(BlockQ8_0)] = {};
  const uint8_t* zero = kZeroBlocks;
  const uint8_t* w = args.w;
  const auto* rec = reinterpret_cast<const uint8_t*>(args.a);
  const auto step = [&](auto last) HWY_ATTR ROOFPROF_ATTR_AVX512VNNI {
    constexpr bool kLast = decltype(last)::value;
    const auto acts = hn::Load(di8, reinterpret_cast<const int8_t*>(rec));
    const auto seed = hn::Load(di, reinterpret_cast<const int32_t*>(rec + 64));
    const auto da = hn::Load(df, reinterpret_cast<const float*>(rec + 128));
    RP_GEMV_EACH(RP_INT_ROW)
  };
  // About one prefetch per 64-byte line of each row: every other step for q4_0 (2 x 36 B),
  // every step for q8_0 (68 B). Prefetching every q4_0 step instead cost 10% (2 threads,
  // n = 11008, k = 4096, interleaved best of 6: 0.456 against 0.414 ms).
  constexpr size_t kEvery = 2 * kBlock >= kPrefetchLine ? 1 : 2;
  size_t u = 0;
  for (; u + 2 <= args.units; u += 2, w += 2 * kBlock, rec += kPairBytes) {
    if (args.prefetch != 0 && (u / 2) % kEvery == 0) {
      const ptrdiff_t ahead = args.PrefetchLead(u * kBlock);
      for (size_t r = 0; r < R; ++r) {
        PrefetchToL2(w + r * args.w_stride + ahead);
        if constexpr (2 * kBlock > kPrefetchLine) {
          PrefetchToL2(w + r * args.w_stride + ahead + 2 * kBlock - 1);
        }
      }
    }
    step(std::false_type());
  }
  if (u < args.units) step(std::true_type());
  if (args.c != nullptr) {
    RP_GEMV_TILE(RP_GEMV_REDUCE)
  } else {
    RP_GEMV_TILE(RP_GEMV_STORE_ACC)
  }
}

#undef RP_INT_ROW
#else
inline constexpr bool kIntegerRowTarget = false;
#endif  // HWY_TARGET == HWY_AVX3_DL

// q4_0 and q8_0 panels (gemv.h: GemvIntPanelRecordBytes), T tokens at a time. On AVX3_DL, per
// record and 16-row block: q4_0's four nibble vectors give the rows' weights 4g..4g+3 (low nibbles)
// and 16+4g..16+4g+3 (high), q8_0's eight byte vectors weights 4g..4g+3 (sign bit flipped: q +
// 128); eight vpdpbusd per token multiply them by that token's activations, 4 at a time broadcast
// to every lane, starting from the block's seed (-offset x the activation sum). Each lane holds one
// row's exact integer dot product; then one convert and one FMA with d_w x d_a per row and token
// (exact, as in GemvTileInt). Per 16 rows x 32 weights x T tokens, q4_0: 4 loads and 12 nibble
// ops (shared by the tokens), 8T vpdpbusd and 3T for the scales, where GemvTileInt takes about
// 90 per token for the same weights (11 per two blocks and row) and the f32 decoders about 40.
// One token: J = 4 blocks per tile, four streams; no software prefetch: a standalone loop of the
// q4_0 step read n = 11008, k = 4096 (2 threads) at 0.29-0.33 ms without and 0.36 ms with an L2
// prefetch 2 KiB ahead.
// On AVX3 and AVX2 the byte products go through int16 (src/arch/cpu_x86_int8-inl.h): q4_0 takes
// a group's low and high nibbles in one SumsOf8MulAdd (vpmaddubsw twice, vpaddw, vpmaddwd,
// vpaddd), q8_0 multiplies |q| by the activations negated where q < 0 (kQ8Offset) in
// SumsOf4MulAdd (vpsignb or a masked subtraction, vpmaddubsw, vpmaddwd, vpaddd). The dependency
// runs through the vpaddd alone, so one int32 sum per vector and token serves. Each sum passes
// an empty asm after its add (Opaque): else GCC reassociates a record's adds into a tree of
// products held at once, and spills (AVX2 q8_0 1 vector x 4 tokens: 89 stack references
// against 30; 2 threads, 14336 x 4096, interleaved best of 3: AVX2 q8_0 m = 16 8.44 -> 8.09
// ms, q4_0 5.59 -> 5.34, m = 4 2-5% faster, m = 1 and 2 level). AVX2 vectors hold 8
// rows: a 16-row block is two vectors, the low and high halves of each 64-byte group, and a tile J
// such vectors (GemvIntPanelVectors).
inline constexpr size_t kIntActRecord = static_cast<size_t>(kGemvIntActRecordBytes);
// Rows per vector of the integer tiles, vectors per 16-row panel block.
inline constexpr size_t kIntRowsPerVector = hn::MaxLanes(DecodeTag());
inline constexpr size_t kIntVectorsPerBlock =
    static_cast<size_t>(kGemvPanelRows) / kIntRowsPerVector;
static_assert(kIntRowsPerVector == static_cast<size_t>(GemvIntPanelRowsPerVector(kVectorRegisters)),
              "gemv.h's model of the integer tiles");

HWY_INLINE int32_t LoadI32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

HWY_INLINE float LoadF32(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The activation records (kGemvIntActRecordBytes per 32-weight block and token), quantized as
// PackActivations quantizes for the f32 decoders; the seed is -offset x the block's sum. Token
// group g's records lie together, block-major: token t of group g, block j at
// ((g blocks + j) T + t) records; padded tokens (past m) are all zero. Called by every thread
// of a team: the records are split among them.
inline void PackIntPanelActs(const GemvCall& call, const GemvIntGroups& ig, int32_t offset,
                             uint8_t* out) {
  const DecodeTag df;
  const int64_t blocks = call.k / static_cast<int64_t>(kQuantBlock);
  const int64_t T = ig.tokens;
#pragma omp for schedule(static)
  for (int64_t i = 0; i < ig.groups * T * blocks; ++i) {
    const int64_t token = i / blocks, j = i % blocks;
    const int64_t g = token / T, t = token % T;
    uint8_t* rec = out + static_cast<size_t>((g * blocks + j) * T + t) * kIntActRecord;
    if (token >= call.m) {
      std::memset(rec, 0, kIntActRecord);
      continue;
    }
    HWY_ALIGN int8_t q[kQuantBlock];
    const float d =
        QuantizeBlockQ8_0(df, call.a + token * call.lda + j * static_cast<int64_t>(kQuantBlock), q);
    int32_t sum = 0;
    for (size_t k = 0; k < kQuantBlock; ++k) sum += q[k];
    const int32_t seed = -offset * sum;
    std::memcpy(rec, q, kQuantBlock);
    std::memcpy(rec + 32, &seed, sizeof(seed));
    std::memcpy(rec + 36, &d, sizeof(d));
  }
}

// Named values of PanelTileInt: per row vector j w<j>/sc<j> its weight bytes and scales in the
// panels, lo<j>/hi<j> the weight bytes of one group, dw<j> the scales; per vector and token
// s<j>_<t> (and on AVX3_DL u<j>_<t>) the int32 sums of one record (from the token's seed),
// o<j>_<t> the f32 accumulators.
#define RP_IP_J(M) M(0) M(1) M(2) M(3)
#define RP_IP_T(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)
#define RP_IP_J_OF(M, x) M(0, x) M(1, x) M(2, x) M(3, x)
#define RP_IP_T_OF(M, x) M(0, x) M(1, x) M(2, x) M(3, x) M(4, x) M(5, x) M(6, x) M(7, x)
#define RP_IP_JT(M) RP_IP_T_OF(RP_IP_J_OF_T, M)
#define RP_IP_J_OF_T(t, M) M(0, t) M(1, t) M(2, t) M(3, t)
#define RP_IP_DECL(j, t)                           \
  [[maybe_unused]] auto o##j##_##t = hn::Zero(df); \
  [[maybe_unused]] auto s##j##_##t = hn::Zero(di); \
  [[maybe_unused]] auto u##j##_##t = hn::Zero(di);
#define RP_IP_DECL_J(j)                                                        \
  [[maybe_unused]] auto lo##j = hn::Zero(du8);                                 \
  [[maybe_unused]] auto hi##j = hn::Zero(du8);                                 \
  [[maybe_unused]] const uint8_t* w##j = nullptr;                              \
  [[maybe_unused]] const uint8_t* sc##j = nullptr;                             \
  if constexpr (j < J) {                                                       \
    const size_t q = first + j;                                                \
    const uint8_t* block = w + q / kIntVectorsPerBlock * block_stride;         \
    w##j = block + q % kIntVectorsPerBlock * kIntRowsPerVector * 4;            \
    sc##j = block + kScales + q % kIntVectorsPerBlock * kIntRowsPerVector * 2; \
  }
#define RP_IP_SEED(j, t)                                              \
  if constexpr (j < J && t < T) {                                     \
    s##j##_##t = hn::Set(di, LoadI32(acts + t * kIntActRecord + 32)); \
    u##j##_##t = hn::Zero(di);                                        \
  }
// Group g's weight bytes of vector j: q4_0 low and high nibbles; q8_0 bytes with the sign
// flipped (kQ8Offset), else |q| in lo and q itself in hi.
#define RP_IP_LOAD_W(j, g)                                                             \
  if constexpr (j < J) {                                                               \
    const auto n = hn::LoadU(du8, w##j + off + (g)*64);                                \
    if constexpr (kQ4) {                                                               \
      lo##j = hn::And(n, nib);                                                         \
      hi##j = hn::And(hn::BitCast(du8, hn::ShiftRight<4>(hn::BitCast(du16, n))), nib); \
    } else if constexpr (kQ8Offset) {                                                  \
      lo##j = hn::Xor(n, flip);                                                        \
    } else {                                                                           \
      lo##j = hn::BitCast(du8, hn::Abs(hn::BitCast(di8, n)));                          \
      hi##j = n;                                                                       \
    }                                                                                  \
  }
// Two sums per block and token, s (q4_0 low nibbles, q8_0 even groups) and u (high nibbles, odd
// groups): dependency chains of 4 vpdpbusd per record instead of 8, so one token's J = 4
// chains cover two pipes of a latency of several cycles. Measured level with one sum on this
// Zen 5 (q4_0 and q8_0, m = 1, 2, 8 in cache, one thread): the broadcasts bind first.
#define RP_IP_DOT(j, t)                                                                     \
  if constexpr (j < J) {                                                                    \
    if constexpr (!kQ4 && !kQ8Offset) {                                                     \
      s##j##_##t = SumsOf4MulAdd(s##j##_##t, lo##j, CarrySign(x, hn::BitCast(di8, hi##j))); \
      Opaque(s##j##_##t);                                                                   \
    } else if constexpr (!kExactByteDots) {                                                 \
      s##j##_##t = SumsOf8MulAdd(s##j##_##t, lo##j, x, hi##j, y);                           \
      Opaque(s##j##_##t);                                                                   \
    } else {                                                                                \
      if constexpr (kQ4 || !kOdd) {                                                         \
        s##j##_##t = SumsOf4MulAdd(s##j##_##t, lo##j, x);                                   \
      } else {                                                                              \
        u##j##_##t = SumsOf4MulAdd(u##j##_##t, lo##j, x);                                   \
      }                                                                                     \
      if constexpr (kQ4) u##j##_##t = SumsOf4MulAdd(u##j##_##t, hi##j, y);                  \
    }                                                                                       \
  }
// Token t's activations of group g (q4_0: 4g.. and 16+4g..; q8_0: 4g..) times every block.
#define RP_IP_TOKEN(t, g)                                                                      \
  if constexpr (t < T) {                                                                       \
    constexpr bool kOdd = (g) % 2 == 1;                                                        \
    const auto x = hn::BitCast(di8, hn::Set(di, LoadI32(acts + t * kIntActRecord + 4 * (g)))); \
    [[maybe_unused]] const auto y =                                                            \
        hn::BitCast(di8, hn::Set(di, LoadI32(acts + t * kIntActRecord + 16 + 4 * (g))));       \
    RP_IP_J_OF(RP_IP_DOT, t)                                                                   \
  }
#define RP_IP_GROUP(g) RP_IP_J_OF(RP_IP_LOAD_W, g) RP_IP_T_OF(RP_IP_TOKEN, g)
#define RP_IP_DW(j)                                                                             \
  [[maybe_unused]] auto dw##j = hn::Zero(df);                                                   \
  if constexpr (j < J) {                                                                        \
    dw##j =                                                                                     \
        hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(sc##j + off))); \
  }
#define RP_IP_SCALE(j, t)                                                            \
  if constexpr (j < J && t < T) {                                                    \
    const auto da = hn::Set(df, LoadF32(acts + t * kIntActRecord + 36));             \
    const auto sum = kExactByteDots ? hn::Add(s##j##_##t, u##j##_##t) : s##j##_##t;  \
    o##j##_##t = hn::MulAdd(hn::ConvertTo(df, sum), hn::Mul(dw##j, da), o##j##_##t); \
  }
#define RP_IP_STORE(j, t)                                                 \
  if constexpr (j < J && t < T) {                                         \
    if (t < valid_tokens && j * kIntRowsPerVector < valid_rows) {         \
      StoreFirstRows(df, o##j##_##t, c + t * ldc + j * kIntRowsPerVector, \
                     valid_rows - j * kIntRowsPerVector);                 \
    }                                                                     \
  }

// J row vectors (kIntRowsPerVector rows each: vectors first .. first + J - 1 of the panels at w,
// kIntVectorsPerBlock to each 16-row block of `blocks` records, block_stride bytes apart) x T
// tokens of q4_0 or q8_0 (Int: IntegerQ4_0, IntegerQ8_0), the tokens' activation records T per
// block at acts; C[t * ldc + i] for the tile's first valid_rows rows and valid_tokens tokens.
template <class Int, size_t J, size_t T>
ROOFPROF_ATTR_AVX512VNNI HWY_NOINLINE void PanelTileInt(const uint8_t* w, size_t block_stride,
                                                        size_t first, size_t blocks,
                                                        const uint8_t* acts, float* c, size_t ldc,
                                                        size_t valid_rows, size_t valid_tokens) {
  static_assert(J >= 1 && J <= 4 && T >= 1 && T <= 8, "names cover 4 vectors x 8 tokens");
  static_assert(J <= static_cast<size_t>(GemvIntPanelVectors(T, kVectorRegisters)),
                "registers: see gemv.h");
  constexpr bool kQ4 = Int::kFormat == WeightFormat::kQ4_0;
  constexpr auto kRecord = static_cast<size_t>(GemvIntPanelRecordBytes(Int::kFormat));
  constexpr size_t kScales = kRecord - 32;
  const DecodeTag df;
  const hn::RebindToSigned<DecodeTag> di;
  const hn::Repartition<int8_t, DecodeTag> di8;
  const hn::Repartition<uint8_t, DecodeTag> du8;
  const hn::Repartition<uint16_t, DecodeTag> du16;
  const hn::Rebind<hwy::float16_t, DecodeTag> dh;
  [[maybe_unused]] const auto nib = hn::Set(du8, 0x0F);
  [[maybe_unused]] const auto flip = hn::Set(du8, 0x80);
  RP_IP_JT(RP_IP_DECL)
  RP_IP_J(RP_IP_DECL_J)
  // clang-format off
  size_t off = 0;
  for (size_t blk = 0; blk < blocks; ++blk, off += kRecord, acts += T * kIntActRecord) {
    RP_IP_JT(RP_IP_SEED)
    RP_IP_GROUP(0)
    RP_IP_GROUP(1)
    RP_IP_GROUP(2)
    RP_IP_GROUP(3)
    if constexpr (!kQ4) {
      RP_IP_GROUP(4)
      RP_IP_GROUP(5)
      RP_IP_GROUP(6)
      RP_IP_GROUP(7)
    }
    RP_IP_J(RP_IP_DW)
    RP_IP_JT(RP_IP_SCALE)
  }
  // clang-format on
  RP_IP_JT(RP_IP_STORE)
}

#undef RP_IP_STORE
#undef RP_IP_SCALE
#undef RP_IP_DW
#undef RP_IP_GROUP
#undef RP_IP_TOKEN
#undef RP_IP_DOT
#undef RP_IP_LOAD_W
#undef RP_IP_SEED
#undef RP_IP_DECL_J
#undef RP_IP_DECL
#undef RP_IP_J_OF_T
#undef RP_IP_JT
#undef RP_IP_T_OF
#undef RP_IP_J_OF
#undef RP_IP_T
#undef RP_IP_J

using IntPanelFn = void (*)(const uint8_t*, size_t, size_t, size_t, const uint8_t*, float*, size_t,
                            size_t, size_t);

// tiles[j] runs j vectors x T tokens, j = 1 .. GemvIntPanelVectors(T).
template <class Int, size_t T>
void PickIntPanelTiles(IntPanelFn* tiles) {
  constexpr int64_t kMost = GemvIntPanelVectors(T, kVectorRegisters);
  tiles[1] = &PanelTileInt<Int, 1, T>;
  if constexpr (kMost >= 2) tiles[2] = &PanelTileInt<Int, 2, T>;
  if constexpr (kMost >= 3) tiles[3] = &PanelTileInt<Int, 3, T>;
  if constexpr (kMost >= 4) tiles[4] = &PanelTileInt<Int, 4, T>;
}

template <class Int>
void IntPanelTilesFor(size_t tokens, IntPanelFn* tiles) {
  constexpr auto kMax = static_cast<size_t>(GemvIntMaxTokens(Int::kFormat, kVectorRegisters));
  WithTileTokens<kMax>(tokens,
                       [&](auto t) HWY_ATTR { PickIntPanelTiles<Int, decltype(t)::value>(tiles); });
}

// q4_0 or q8_0 from panels: the activation records (split among the threads; the loop's barrier
// ends the packing), then each thread the row vectors of its GemvRowRange in tiles of
// GemvIntPanelVectors(T) vectors, each tile for every token group in turn over all of k (a
// tile's W, at most 4 x 34 k bytes, waits in L2 for the next group).
template <class Int>
void GemvIntPanelRun(const GemvCall& call, void* workspace) {
  auto* acts = static_cast<uint8_t*>(workspace);
  const size_t blocks = static_cast<size_t>(call.k) / kQuantBlock;
  const GemvIntGroups ig = ChooseGemvIntGroups(Int::kFormat, call.m, kVectorRegisters);
  const auto T = static_cast<size_t>(ig.tokens);
  const auto J = static_cast<size_t>(GemvIntPanelVectors(ig.tokens, kVectorRegisters));
  constexpr auto record = static_cast<size_t>(GemvIntPanelRecordBytes(Int::kFormat));
  constexpr size_t rows = kIntRowsPerVector;
  const auto* panels = static_cast<const uint8_t*>(call.panels);
  IntPanelFn tiles[5] = {};
  IntPanelTilesFor<Int>(T, tiles);
#pragma omp parallel num_threads(call.threads)
  {
    PackIntPanelActs(call, ig, Int::kOffset, acts);
    int64_t r0, r1;
    GemvRowRange(call.n, call.threads, omp_get_thread_num(), &r0, &r1);
    const size_t v0 = static_cast<size_t>(r0) / rows;
    const size_t v1 = (static_cast<size_t>(r1) + rows - 1) / rows;
    for (size_t v = v0; v < v1; v += J) {
      const size_t tile_vectors = std::min(J, v1 - v);
      const size_t valid = std::min(tile_vectors * rows, static_cast<size_t>(call.n) - v * rows);
      for (int64_t g = 0; g < ig.groups; ++g) {
        const auto first = static_cast<int64_t>(T) * g;
        tiles[tile_vectors](
            panels, blocks * record, v, blocks,
            acts + static_cast<size_t>(g) * blocks * T * kIntActRecord,
            call.c + first * call.ldc + static_cast<int64_t>(v * rows),
            static_cast<size_t>(call.ldc), valid,
            static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(T), call.m - first)));
      }
    }
  }
}
#else
inline constexpr bool kIntegerDotTarget = false;
inline constexpr bool kIntegerRowTarget = false;
#endif  // HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX2

#undef RP_GEMV_REDUCE
#undef RP_GEMV_STORE_ACC
#undef RP_GEMV_LOAD_ACC
#undef RP_GEMV_DECL_ACC
#undef RP_GEMV_EACH
#undef RP_GEMV_TILE
#undef RP_GEMV_TOKENS
#undef RP_GEMV_ROWS

// The whole GEMV for one weight format on this target.
template <class Policy>
void GemvRun(const Policy& pol, const GemvCall& call, const GemvBlocking& b, void* workspace) {
  const DecodeTag df;
  const size_t N = hn::Lanes(df);
  TileFn<Policy> full_tile, single_tile;
  TilesFor<Policy>(b.tokens, &full_tile, &single_tile);

  float* packed = static_cast<float*>(workspace);
  float* scratch_base = packed + b.PackedFloats();
  const size_t scratch_per_thread = static_cast<size_t>(b.panel_rows * b.padded_m) * 16;
  const size_t row_bytes = RowBytes(Policy::kFormat, static_cast<size_t>(call.k));
  const int64_t whole_units = call.k / static_cast<int64_t>(kDecodeUnit);
  // Bytes of the last, partial unit (f32/bf16 with k % 32 != 0), copied zero-padded per tile.
  const size_t tail_bytes = row_bytes - static_cast<size_t>(whole_units) * Policy::kUnitBytes;
  const uint8_t* w = static_cast<const uint8_t*>(call.w);

  // q4_0 and q8_0 with one token and no panels take integer dot products on AVX3_DL
  // (GemvTileInt); calls with panels never come here on a target with byte dot products
  // (GemvIntPanelRun).
  constexpr bool kIntegerDot = kIntegerRowTarget && Policy::kQuantizedActivations;
  [[maybe_unused]] const bool integer_dot = kIntegerDot && b.padded_m == 1;

#pragma omp parallel num_threads(call.threads)
  {
    // Both end with the barrier of their omp for.
#if HWY_TARGET == HWY_AVX3_DL
    if constexpr (kIntegerDot) {
      if (integer_dot) PackPairs<typename IntegerFor<Policy>::type>(call, b, packed);
    }
    if (!integer_dot) {
      PackActivations<Policy>(call, b, packed);
    }
#else
    PackActivations<Policy>(call, b, packed);
#endif
    const int tid = omp_get_thread_num();
    int64_t r_begin, r_end;
    GemvRowRange(call.n, call.threads, tid, &r_begin, &r_end);
    float* scratch = scratch_base + static_cast<size_t>(tid) * scratch_per_thread;
    HWY_ALIGN uint8_t tail[kGemvMaxTileRows * Policy::kUnitBytes];

    for (int64_t p0 = r_begin; p0 < r_end; p0 += b.panel_rows) {
      const int64_t p1 = std::min(p0 + b.panel_rows, r_end);
      for (int64_t kb = 0; kb < b.padded_k; kb += b.k_block) {
        const int64_t len = b.BlockLength(kb);
        const bool last_block = kb + len == b.padded_k;
        const bool has_tail = last_block && tail_bytes != 0;
        const size_t units = static_cast<size_t>(len) / kDecodeUnit - (has_tail ? 1 : 0);
        const float* a_block = packed + b.BlockOffset(kb);
        const ptrdiff_t chunk_bytes =
            static_cast<ptrdiff_t>(len / static_cast<int64_t>(kDecodeUnit)) *
            static_cast<ptrdiff_t>(Policy::kUnitBytes);
        for (int64_t r = p0; r < p1;) {
          const int64_t rows = p1 - r >= b.rows ? b.rows : 1;
          const TileFn<Policy> tile = rows == b.rows ? full_tile : single_tile;
          const uint8_t* w_tile =
              w + r * row_bytes + kb / static_cast<int64_t>(kDecodeUnit) * Policy::kUnitBytes;
          if (has_tail) {
            std::memset(tail, 0, sizeof(tail));
            for (int64_t i = 0; i < rows; ++i) {
              std::memcpy(tail + i * Policy::kUnitBytes,
                          w + (r + i) * row_bytes + whole_units * Policy::kUnitBytes, tail_bytes);
            }
          }
          // Streaming prefetches further along the same rows. Panels prefetch the same rows'
          // next k-block, reached after the panel's other row groups; from the last k-block,
          // the first k-block of the rows one panel further down, so none starts cold.
          ptrdiff_t prefetch = 0;
          size_t wrap_at = std::numeric_limits<size_t>::max();
          ptrdiff_t wrap = 0;
          if (b.streaming()) {
            // Rows shorter than the distance (q4_0 at k = 4096: 2304 B; q8_0: 4352 B) would
            // otherwise prefetch their own tile's next rows, already loaded, and every tile
            // would start cold: past the row's end, row i of the next tile (R rows further)
            // at the same lead.
            prefetch = static_cast<ptrdiff_t>(kStreamPrefetchBytes);
            wrap_at = row_bytes;
            wrap = static_cast<ptrdiff_t>((rows - 1) * static_cast<int64_t>(row_bytes));
          } else if (!last_block) {
            prefetch = chunk_bytes;
          } else if (r + b.panel_rows < r_end) {
            prefetch = static_cast<ptrdiff_t>(b.panel_rows * static_cast<int64_t>(row_bytes)) -
                       static_cast<ptrdiff_t>(w_tile - (w + r * row_bytes));
          }
          for (int64_t g = 0; g < b.groups; ++g) {
            TileArgs ta;
            ta.w = w_tile;
            ta.w_stride = row_bytes;
            ta.units = units;
            ta.tail = has_tail ? tail : nullptr;
            ta.a = a_block + g * b.tokens * b.TokenStride(kb);
            ta.a_stride = static_cast<size_t>(b.TokenStride(kb));
            ta.acc = scratch + static_cast<size_t>((r - p0) * b.padded_m + g * b.tokens) * N;
            ta.acc_stride = static_cast<size_t>(b.padded_m) * N;
            ta.acc_in = kb != 0;
            ta.c = last_block ? call.c + g * b.tokens * call.ldc + r : nullptr;
            ta.ldc = static_cast<size_t>(call.ldc);
            ta.valid_tokens =
                static_cast<size_t>(std::min<int64_t>(b.tokens, call.m - g * b.tokens));
            ta.prefetch = g == 0 ? prefetch : 0;  // later groups find the block in L1
            ta.prefetch_wrap_at = wrap_at;
            ta.prefetch_wrap = wrap;
            ta.zero = 0;
#if HWY_TARGET == HWY_AVX3_DL
            if constexpr (kIntegerDot) {
              if (integer_dot) {
                static_assert(GemvTileRows(1, kVectorRegisters) == 8, "one-token tiles of 8 rows");
                using Int = typename IntegerFor<Policy>::type;
                if (rows == 8) {
                  GemvTileInt<Int, 8>(pol.f16, ta);
                } else {
                  GemvTileInt<Int, 1>(pol.f16, ta);
                }
                continue;
              }
            }
#endif
            tile(pol, ta);
          }
          r += rows;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// f32 and bf16 panels (kGemvPanelRows): an outer product per k step, no horizontal sums.

// Panels run where one vector holds a whole 16-row block and 32 registers hold the tile
// (AVX-512), or two vectors hold it and there are 16 registers (AVX2; GemvPanelBlocks).
inline constexpr bool kPanelTarget =
    !HWY_HAVE_SCALABLE && ((hn::MaxLanes(DecodeTag()) == 16 && kVectorRegisters == 32) ||
                           (hn::MaxLanes(DecodeTag()) == 8 && kVectorRegisters == 16));
// Vectors per 16-row block on a panel target (1 or 2; 1 where panels never run).
inline constexpr size_t kPanelBlockVecs = kPanelTarget ? 16 / hn::MaxLanes(DecodeTag()) : 1;

// Software prefetch distance in each block stream of one token group: 4 KiB (64 k steps). The
// hardware prefetchers alone leave the FMAs waiting once a k step carries many of them: with
// 2 threads at n = 11008, k = 4096, interleaved best of 4, m = 8 took 2.79 ms against 3.37 ms
// without (2 KiB ahead, Zen 5 guest). 4 KiB against 2 KiB on a Zen 4 guest whose DRAM load
// bandwidth moves between about 35 and 65 GB/s from minute to minute: m = 8 3.65-3.68 against
// 3.81-3.99 ms in four rounds with fast memory, level with slow memory; m = 2 and 4 level. One
// token (a k step of 4 loads and 4 FMAs) ran 5-10% slower with the prefetches (2.58-2.79
// against 2.43-2.48 ms), so T = 1 goes without. Several token groups prefetch the next k chunk
// instead (GemvPanelRun): against a 2 KiB lead in the first group only, m = 16 took 4.11
// against 4.26 ms and m = 64 14.6 against 15.5 ms (interleaved best of 5).
inline constexpr size_t kPanelPrefetchFloats = 1024;

// Panel epilogues: how the finished sums of one 16-row block of the panels for one token
// become output. StoreBlock gets rows 0-7 in lo and rows 8-15 in hi on 8-lane targets, and all
// 16 rows in lo (= hi) on 16-lane ones. kColumns: output columns per block; PanelRows(n):
// panel rows behind n output columns (GemvPanelRun partitions and walks those). The GEMV
// stores the block's 16 rows as 16 columns of C; kernels/ffn-inl.h pairs gate and up rows in
// one block.
struct PanelStoreRows {
  static constexpr size_t kColumns = 16;
  static constexpr int64_t PanelRows(int64_t columns) { return columns; }
  template <class DF>
  static HWY_INLINE void StoreBlock(DF df, hn::Vec<DF> lo, hn::Vec<DF> hi, float* out,
                                    size_t columns) {
    StoreFirstRows(df, lo, out, columns);
    const size_t lanes = hn::Lanes(df);
    if (lanes < kColumns && columns > lanes) StoreFirstRows(df, hi, out + lanes, columns - lanes);
  }
};

constexpr size_t PanelBlocks(size_t tokens) {
  return static_cast<size_t>(GemvPanelBlocks(static_cast<int64_t>(tokens), kVectorRegisters));
}

struct PanelArgs {
  const float* w;       // block 0 of the tile at the chunk's first step (64-byte steps:
                        // 16 f32 weights of one k, or 16 bf16 pairs of two)
  size_t block_stride;  // 4-byte units between blocks (16 x steps)
  size_t kc;            // steps in this chunk
  const float* a;       // this token group's packed A at the chunk: T floats per weight k
  float* acc;           // T x J blocks of accumulators (16 floats each) parked between chunks
  bool acc_in;          // start from acc instead of zero
  float* c;             // non-null in the last chunk: the Epilogue writes C[t * ldc + col]
  size_t ldc;           //   for t < valid_tokens and col < valid_columns (tile-relative)
  size_t valid_tokens;
  size_t valid_columns;
  size_t prefetch;        // 4-byte units ahead in every block to prefetch; 0: none
  size_t prefetch_every;  // prefetch on every prefetch_every-th step (1: each step),
  size_t prefetch_phase;  //   starting at step prefetch_phase
  uint32_t zero;          // 0 (see Launder)
};

// Named accumulators p<j>_<t>: block j, token t.
#define RP_PANEL_BLOCKS(M, t) M(0, t) M(1, t) M(2, t) M(3, t)
// clang-format off
#define RP_PANEL_TILE(M)                                                          \
  RP_PANEL_BLOCKS(M, 0) RP_PANEL_BLOCKS(M, 1) RP_PANEL_BLOCKS(M, 2) RP_PANEL_BLOCKS(M, 3) \
  RP_PANEL_BLOCKS(M, 4) RP_PANEL_BLOCKS(M, 5) RP_PANEL_BLOCKS(M, 6) RP_PANEL_BLOCKS(M, 7)
// clang-format on
#define RP_PANEL_EACH_BLOCK(M) M(0) M(1) M(2) M(3)
#define RP_PANEL_EACH_TOKEN(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

#define RP_PANEL_DECL(j, t) [[maybe_unused]] auto p##j##_##t = hn::Zero(df);
#define RP_PANEL_DECL_W(j) [[maybe_unused]] auto w##j = hn::Zero(df);
// Vector j of the tile (j < U = J x S): vector j % S of block j / S, at UNIT(j) 4-byte units
// from the block-0 pointer of the step.
#define RP_PANEL_UNIT(j) ((j) / S * args.block_stride + (j) % S * kLanes)
#define RP_PANEL_LOAD_ACC(j, t) \
  if constexpr (j < U && t < T) p##j##_##t = hn::Load(df, args.acc + (t * U + j) * kLanes);
#define RP_PANEL_PARK_ACC(j, t) \
  if constexpr (j < U && t < T) hn::Store(p##j##_##t, df, args.acc + (t * U + j) * kLanes);
#define RP_PANEL_LOAD_W(j)                                                   \
  if constexpr (j < U) {                                                     \
    w##j = hn::Load(df, w + RP_PANEL_UNIT(j));                               \
    if constexpr (kLaunderSharedLoads && T > 1) w##j = Launder(df, w##j, z); \
  }
#define RP_PANEL_DECL_R(j) [[maybe_unused]] auto r##j = hn::Zero(du);
#define RP_PANEL_LOAD_R(j) \
  if constexpr (j < U) r##j = hn::Load(du, reinterpret_cast<const uint32_t*>(w) + RP_PANEL_UNIT(j));
#define RP_PANEL_EVEN(j) \
  if constexpr (j < U) w##j = hn::BitCast(df, hn::ShiftLeft<16>(r##j));
#define RP_PANEL_ODD(j) \
  if constexpr (j < U) w##j = hn::BitCast(df, hn::And(r##j, hi));
#define RP_PANEL_FMA(j, t) \
  if constexpr (j < U) p##j##_##t = hn::MulAdd(w##j, a_, p##j##_##t);
#define RP_PANEL_TOKEN(t)              \
  if constexpr (t < T) {               \
    const auto a_ = hn::Set(df, a[t]); \
    RP_PANEL_BLOCKS(RP_PANEL_FMA, t)   \
  }
// Block b of token t, whose vectors are lo and hi (the same one when S = 1).
#define RP_PANEL_STORE_BLOCK(b, t, lo, hi)                                \
  if constexpr (b < J) {                                                  \
    constexpr size_t kCols = Epilogue::kColumns;                          \
    if (b * kCols < args.valid_columns) {                                 \
      Epilogue::StoreBlock(df, lo, hi, args.c + t * args.ldc + b * kCols, \
                           args.valid_columns - b * kCols);               \
    }                                                                     \
  }
#define RP_PANEL_STORE_C(t)                                                                   \
  if constexpr (t < T) {                                                                      \
    if (t < args.valid_tokens) {                                                              \
      if constexpr (S == 1) {                                                                 \
        RP_PANEL_STORE_BLOCK(0, t, p0_##t, p0_##t)                                            \
        RP_PANEL_STORE_BLOCK(1, t, p1_##t, p1_##t)                                            \
        RP_PANEL_STORE_BLOCK(2, t, p2_##t, p2_##t) RP_PANEL_STORE_BLOCK(3, t, p3_##t, p3_##t) \
      } else {                                                                                \
        RP_PANEL_STORE_BLOCK(0, t, p0_##t, p1_##t) RP_PANEL_STORE_BLOCK(1, t, p2_##t, p3_##t) \
      }                                                                                       \
    }                                                                                         \
  }

// kStepK weights of k per 64-byte step: 1 (f32 panels) or 2 (bf16 panels, whose u32 lane i
// holds row i's weights k and k + 1: the shift and the mask of DecodeBF16 split them).
template <size_t kStepK, size_t J, size_t T, class Epilogue>
HWY_NOINLINE void PanelTile(const PanelArgs& args) {
  constexpr size_t S = kPanelBlockVecs;
  constexpr size_t U = J * S;  // vectors per k step and token
  constexpr size_t kLanes = 16 / S;
  static_assert(S <= 2 && U >= 1 && U <= 4 && T >= 1 && T <= 8,
                "panel names cover 4 vectors x 8 tokens, 2 vectors per block");
  static_assert(kStepK == 1 || kStepK == 2, "f32 or bf16 panels");
  const DecodeTag df;
  const hn::RebindToUnsigned<DecodeTag> du;
  [[maybe_unused]] const auto z = hn::Set(du, args.zero);
  [[maybe_unused]] const auto hi = hn::Set(du, 0xFFFF0000u);
  RP_PANEL_TILE(RP_PANEL_DECL)
  RP_PANEL_EACH_BLOCK(RP_PANEL_DECL_W)
  RP_PANEL_EACH_BLOCK(RP_PANEL_DECL_R)
  if (args.acc_in) {
    RP_PANEL_TILE(RP_PANEL_LOAD_ACC)
  }
  const float* w = args.w;
  const float* a = args.a;
  const size_t ahead = args.prefetch;
  size_t countdown = args.prefetch_phase;
  for (size_t step = 0; step < args.kc; ++step, w += 16) {
    if (ahead != 0 && countdown-- == 0) {  // one 64-byte line per block
      countdown = args.prefetch_every - 1;
      for (size_t j = 0; j < J; ++j) PrefetchToL2(w + j * args.block_stride + ahead);
    }
    if constexpr (kStepK == 1) {
      RP_PANEL_EACH_BLOCK(RP_PANEL_LOAD_W)
      RP_PANEL_EACH_TOKEN(RP_PANEL_TOKEN)
      a += T;
    } else {
      RP_PANEL_EACH_BLOCK(RP_PANEL_LOAD_R)
      RP_PANEL_EACH_BLOCK(RP_PANEL_EVEN)
      RP_PANEL_EACH_TOKEN(RP_PANEL_TOKEN)
      a += T;
      RP_PANEL_EACH_BLOCK(RP_PANEL_ODD)
      RP_PANEL_EACH_TOKEN(RP_PANEL_TOKEN)
      a += T;
    }
  }
  if (args.c != nullptr) {
    RP_PANEL_EACH_TOKEN(RP_PANEL_STORE_C)
  } else {
    RP_PANEL_TILE(RP_PANEL_PARK_ACC)
  }
}

#undef RP_PANEL_STORE_C
#undef RP_PANEL_STORE_BLOCK
#undef RP_PANEL_UNIT
#undef RP_PANEL_TOKEN
#undef RP_PANEL_FMA
#undef RP_PANEL_ODD
#undef RP_PANEL_EVEN
#undef RP_PANEL_LOAD_R
#undef RP_PANEL_DECL_R
#undef RP_PANEL_LOAD_W
#undef RP_PANEL_PARK_ACC
#undef RP_PANEL_LOAD_ACC
#undef RP_PANEL_DECL_W
#undef RP_PANEL_DECL
#undef RP_PANEL_EACH_TOKEN
#undef RP_PANEL_EACH_BLOCK
#undef RP_PANEL_TILE
#undef RP_PANEL_BLOCKS

using PanelFn = void (*)(const PanelArgs&);

// tiles[j] runs j blocks x T tokens, j = 1 .. PanelBlocks(T).
template <size_t kStepK, class Epilogue, size_t T>
void PickPanelTiles(PanelFn* tiles) {
  tiles[1] = &PanelTile<kStepK, 1, T, Epilogue>;
  if constexpr (PanelBlocks(T) >= 2) tiles[2] = &PanelTile<kStepK, 2, T, Epilogue>;
  if constexpr (PanelBlocks(T) >= 3) tiles[3] = &PanelTile<kStepK, 3, T, Epilogue>;
  if constexpr (PanelBlocks(T) >= 4) tiles[4] = &PanelTile<kStepK, 4, T, Epilogue>;
}

template <size_t kStepK, class Epilogue>
void PanelTilesFor(size_t tokens, PanelFn* tiles) {
  WithTileTokens<8>(tokens, [&](auto t) HWY_ATTR {
    PickPanelTiles<kStepK, Epilogue, decltype(t)::value>(tiles);
  });
}

// The whole GEMV from f32 (kStepK = 1) or bf16 (2) panels. Token groups as the row path forms
// them (b.groups of b.tokens); A packed per group as [k rounded up to kStepK][T]; each thread
// takes the 16-row blocks of its GemvRowRange (over Epilogue::PanelRows(call.n) panel rows)
// and walks them in tiles of J blocks, k chunks, token groups. call.n counts output columns.
template <size_t kStepK, class Epilogue = PanelStoreRows>
void GemvPanelRun(const GemvCall& call, const GemvBlocking& b, void* workspace) {
  const size_t T = static_cast<size_t>(b.tokens);
  const size_t J = PanelBlocks(T);
  const size_t steps = (static_cast<size_t>(call.k) + kStepK - 1) / kStepK;
  const size_t k = steps * kStepK;  // A rows padded with zeros to whole steps
  const size_t chunk =
      static_cast<size_t>(GemvPanelChunkWeights(b.groups, static_cast<int64_t>(k))) / kStepK;
  const auto* panels = static_cast<const float*>(call.panels);  // 4-byte units
  PanelFn tiles[5] = {};
  PanelTilesFor<kStepK, Epilogue>(T, tiles);
  const int64_t panel_rows = Epilogue::PanelRows(call.n);
  constexpr size_t kCols = Epilogue::kColumns;
  float* packed = static_cast<float*>(workspace);  // groups x k (padded) x T
  float* scratch_base = packed + b.PackedFloats();
  const size_t scratch_per_thread = static_cast<size_t>(b.panel_rows * b.padded_m) * 16;
  const auto rows = static_cast<size_t>(kGemvPanelRows);

#pragma omp parallel num_threads(call.threads)
  {
#pragma omp for schedule(static)
    for (int64_t g = 0; g < b.groups; ++g) {
      float* out = packed + static_cast<size_t>(g) * k * T;
      for (size_t t = 0; t < T; ++t) {
        const int64_t token = g * static_cast<int64_t>(T) + static_cast<int64_t>(t);
        const float* a = token < call.m ? call.a + token * call.lda : nullptr;
        for (size_t j = 0; j < k; ++j) {
          out[j * T + t] = a != nullptr && j < static_cast<size_t>(call.k) ? a[j] : 0.0f;
        }
      }
    }
    const int tid = omp_get_thread_num();
    int64_t r0, r1;
    GemvRowRange(panel_rows, call.threads, tid, &r0, &r1);
    float* scratch = scratch_base + static_cast<size_t>(tid) * scratch_per_thread;
    const auto b0 = static_cast<size_t>(r0) / rows;
    const size_t b1 = (static_cast<size_t>(r1) + rows - 1) / rows;
    for (size_t blk = b0; blk < b1; blk += J) {
      const size_t blocks = std::min(J, b1 - blk);
      for (size_t c0 = 0; c0 < steps; c0 += chunk) {
        const size_t kc = std::min(chunk, steps - c0);
        const bool last = c0 + kc == steps;
        for (int64_t g = 0; g < b.groups; ++g) {
          PanelArgs pa;
          pa.w = panels + (blk * steps + c0) * rows;
          pa.block_stride = rows * steps;
          pa.kc = kc;
          pa.a = packed + (static_cast<size_t>(g) * k + c0 * kStepK) * T;
          pa.acc = scratch + static_cast<size_t>(g) * J * T * 16;
          pa.acc_in = c0 != 0;
          pa.c = last ? call.c + g * static_cast<int64_t>(T) * call.ldc +
                            static_cast<int64_t>(blk * kCols)
                      : nullptr;
          pa.ldc = static_cast<size_t>(call.ldc);
          pa.valid_tokens = static_cast<size_t>(
              std::min<int64_t>(static_cast<int64_t>(T), call.m - g * static_cast<int64_t>(T)));
          pa.valid_columns = std::min(blocks * kCols, static_cast<size_t>(call.n) - blk * kCols);
          if (b.groups == 1) {
            // One pass over W: a short lead in the stream; one token streams faster without.
            pa.prefetch = T > 1 ? kPanelPrefetchFloats : 0;
            pa.prefetch_every = 1;
            pa.prefetch_phase = 0;
          } else {
            // The groups re-read this chunk from L2 and, between them, fetch the next one
            // (this tile's next chunk, or the next tile's first): group g takes the steps
            // s = g mod groups, so W streams from DRAM at an even rate all through the
            // chunk's compute instead of in bursts during the first group.
            pa.prefetch = last ? (J * steps - c0) * rows : kc * rows;
            pa.prefetch_every = static_cast<size_t>(b.groups);
            pa.prefetch_phase = static_cast<size_t>(g);
          }
          pa.zero = 0;
          tiles[blocks](pa);
        }
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
