// Per-target weight decoders: each turns one 32-weight unit of a W row (f32, bf16, q8_0 or q4_0
// bytes as GGUF stores them) into f32 vectors for the one dot loop in kernels/gemv-inl.h.
//
// A decoder names the lane every weight lands in (Source); the kernel packs the activations
// in that order once per call, so a decoder may pick whatever lane order is cheapest. Weights
// become exact f32 values in registers (the products and sums stay f32): the dot loop then
// matches the double reference within the f32 accumulation bound.
#if defined(ROOFPROF_KERNELS_QUANT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ROOFPROF_KERNELS_QUANT_INL_H_
#undef ROOFPROF_KERNELS_QUANT_INL_H_
#else
#define ROOFPROF_KERNELS_QUANT_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "kernels/quant.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Every decoder fills at most 16 f32 lanes (512 bits), so a 32-weight unit is two or more
// vectors on every target and q4_0's two nibble halves never share a vector. (Wider SVE/RVV
// vectors run capped at 512 bits.)
using DecodeTag = hn::CappedTag<float, 16>;
// Weights per decode unit: one q8_0/q4_0 block; f32 and bf16 use the same unit so one loop
// serves all formats.
inline constexpr size_t kDecodeUnit = kQuantBlock;

inline uint16_t LoadU16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return h;
}

// Every decoder also says whether its decode is a plain load (kDecodeIsLoad: the dot loop
// keeps such vectors in registers, see kLaunderSharedLoads); GemvTokenMajor (gemv.h) picks the
// dot loop's order per format.
//
// Every decoder offers Decode(df, unit, v), sub-vector v of a unit alone, and
// DecodeUnit(df, unit, sink), which calls sink(v, vector) for v = 0 .. 32/N - 1 in order and
// computes what the sub-vectors share (q4_0: the widened bytes and the scaled table) once.
template <class Decoder, class DF, class Sink>
HWY_INLINE void DecodeEachSubVector(const Decoder& dec, DF df, const uint8_t* unit,
                                    const Sink& sink) {
  for (size_t v = 0; v < kDecodeUnit / hn::Lanes(df); ++v) sink(v, dec.Decode(df, unit, v));
}

// f32: sub-vector v is weights [v * N, v * N + N) of the unit, loaded as they are.
struct DecodeF32 {
  static constexpr WeightFormat kFormat = WeightFormat::kF32;
  static constexpr size_t kUnitBytes = kDecodeUnit * sizeof(float);
  static constexpr bool kDecodeIsLoad = true;
  static constexpr bool kQuantizedActivations = false;  // f32 activations
  static constexpr bool kNaturalOrder = true;           // Source(slot) == slot
  static size_t Source(size_t slot, size_t /*lanes*/) { return slot; }
  template <class DF>
  HWY_INLINE hn::Vec<DF> Decode(DF df, const uint8_t* unit, size_t v) const {
    return hn::LoadU(df, reinterpret_cast<const float*>(unit) + v * hn::Lanes(df));
  }
  template <class DF, class Sink>
  HWY_INLINE void DecodeUnit(DF df, const uint8_t* unit, const Sink& sink) const {
    DecodeEachSubVector(*this, df, unit, sink);
  }
};

// bf16: a bf16 is the upper half of an f32. One load of 2N weights as N u32 lanes gives the
// even-indexed weights by a shift left of 16 and the odd-indexed ones by masking off the low
// half: one integer op per vector instead of PromoteTo's lane-crossing widen plus shift.
// Sub-vector 2p holds weights 2pN + 2j, sub-vector 2p + 1 holds 2pN + 2j + 1 (lane j).
struct DecodeBF16 {
  static constexpr WeightFormat kFormat = WeightFormat::kBF16;
  static constexpr size_t kUnitBytes = kDecodeUnit * sizeof(uint16_t);
  static constexpr bool kDecodeIsLoad = false;
  static constexpr bool kQuantizedActivations = false;  // f32 activations
  static constexpr bool kNaturalOrder = false;          // slots interleave pairs (Source below)
  static size_t Source(size_t slot, size_t lanes) {
    const size_t pair = slot / (2 * lanes), within = slot % (2 * lanes);
    return pair * 2 * lanes + 2 * (within % lanes) + within / lanes;
  }
  template <class DF>
  HWY_INLINE hn::Vec<DF> Decode(DF df, const uint8_t* unit, size_t v) const {
    const hn::RebindToUnsigned<DF> du;
    const auto pairs =
        hn::LoadU(du, reinterpret_cast<const uint32_t*>(unit) + (v / 2) * hn::Lanes(df));
    return hn::BitCast(
        df, (v & 1) ? hn::And(pairs, hn::Set(du, 0xFFFF0000u)) : hn::ShiftLeft<16>(pairs));
  }
  template <class DF, class Sink>
  HWY_INLINE void DecodeUnit(DF df, const uint8_t* unit, const Sink& sink) const {
    DecodeEachSubVector(*this, df, unit, sink);
  }
};

// q8_0 {fp16 d; int8 qs[32]}: sub-vector v is qs[vN .. vN + N) widened to i32, converted and
// scaled: exactly qs[i] * d in f32, as ggml's dequantizer computes it. The activations it meets
// are quantized per block to q8_0, as ggml's q8_0 dot product takes them (see
// kernels/gemv.h); this decoder multiplies the dequantized values.
struct DecodeQ8_0 {
  static constexpr WeightFormat kFormat = WeightFormat::kQ8_0;
  static constexpr size_t kUnitBytes = sizeof(BlockQ8_0);
  const float* f16;  // F16ToF32Table()
  static constexpr bool kDecodeIsLoad = false;
  static constexpr bool kQuantizedActivations = true;
  static constexpr bool kNaturalOrder = true;  // Source(slot) == slot
  static size_t Source(size_t slot, size_t /*lanes*/) { return slot; }
  template <class DF>
  HWY_INLINE hn::Vec<DF> Decode(DF df, const uint8_t* unit, size_t v) const {
    const hn::RebindToSigned<DF> di;
    const hn::Rebind<int8_t, DF> di8;
    const float d = f16[LoadU16(unit)];
    const auto q = hn::PromoteTo(
        di, hn::LoadU(di8, reinterpret_cast<const int8_t*>(unit + 2) + v * hn::Lanes(df)));
    return hn::Mul(hn::ConvertTo(df, q), hn::Set(df, d));
  }
  template <class DF, class Sink>
  HWY_INLINE void DecodeUnit(DF df, const uint8_t* unit, const Sink& sink) const {
    DecodeEachSubVector(*this, df, unit, sink);
  }
};

// q4_0 {fp16 d; uint8 qs[16]}: the low nibbles are weights 0..15, the high ones 16..31, so the
// sub-vectors of low nibbles come first and the order is the natural one. The activations it
// meets are quantized per block to q8_0, as ggml's q4_0 dot product takes them
// (kQuantizedActivations; see kernels/gemv.h); this decoder multiplies the dequantized values.
struct DecodeQ4_0 {
  static constexpr WeightFormat kFormat = WeightFormat::kQ4_0;
  static constexpr size_t kUnitBytes = sizeof(BlockQ4_0);
  const float* f16;  // F16ToF32Table()
  static constexpr bool kDecodeIsLoad = false;
  static constexpr bool kQuantizedActivations = true;
  static constexpr bool kNaturalOrder = true;  // Source(slot) == slot
  static size_t Source(size_t slot, size_t /*lanes*/) { return slot; }

  // With exactly 16 lanes (AVX-512) a nibble indexes a 16-lane table {(j - 8) * d}: one
  // permute per vector replaces convert + scale, and one multiply per block builds the table.
  // Per block that is 8 vector ops instead of 10, which is what lets m = 1 keep up with DRAM.
  static constexpr bool kTable = !HWY_HAVE_SCALABLE && hn::MaxLanes(DecodeTag()) == 16;

  template <class DF>
  HWY_INLINE hn::Vec<DF> Decode(DF df, const uint8_t* unit, size_t v) const {
    const size_t half = kDecodeUnit / 2 / hn::Lanes(df);  // sub-vectors per nibble half
    const bool high = v >= half;
    const auto bytes = Widen(df, unit, high ? v - half : v);
    if constexpr (kTable && hn::MaxLanes(DF()) == 16) {
      const auto table = Table(df, unit);
      return high ? hn::TableLookupLanes(table, hn::IndicesFromVec(df, hn::ShiftRight<4>(bytes)))
                  : LookupLowNibbles(df, table, bytes);
    }
    return Lookup(df, unit, high ? hn::ShiftRight<4>(bytes) : LowNibbles(df, bytes));
  }

  template <class DF, class Sink>
  HWY_INLINE void DecodeUnit(DF df, const uint8_t* unit, const Sink& sink) const {
    if constexpr (kTable && hn::MaxLanes(DF()) == 16) {
      // One widen and one table serve both halves.
      const auto bytes = Widen(df, unit, 0);
      const auto table = Table(df, unit);
      sink(0, LookupLowNibbles(df, table, bytes));
      sink(1, hn::TableLookupLanes(table, hn::IndicesFromVec(df, hn::ShiftRight<4>(bytes))));
    } else {
      const size_t half = kDecodeUnit / 2 / hn::Lanes(df);
      for (size_t v = 0; v < half; ++v) {
        const auto bytes = Widen(df, unit, v);
        sink(v, Lookup(df, unit, LowNibbles(df, bytes)));
        sink(v + half, Lookup(df, unit, hn::ShiftRight<4>(bytes)));
      }
    }
  }

 private:
  // qs[jN .. jN + N) zero-extended to i32 lanes.
  template <class DF>
  static HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> Widen(DF df, const uint8_t* unit, size_t j) {
    const hn::RebindToSigned<DF> di;
    const hn::Rebind<uint8_t, DF> du8;
    return hn::PromoteTo(di, hn::LoadU(du8, unit + 2 + j * hn::Lanes(df)));
  }
  template <class DF, class VI>
  static HWY_INLINE VI LowNibbles(DF /*df*/, VI bytes) {
    return hn::And(bytes, hn::Set(hn::RebindToSigned<DF>(), 15));
  }
  // The 16-lane table {(j - 8) * d}, each entry rounded once as the reference rounds it.
  template <class DF>
  HWY_INLINE hn::Vec<DF> Table(DF df, const uint8_t* unit) const {
    return hn::Mul(hn::Iota(df, -8.0f), hn::Set(df, f16[LoadU16(unit)]));
  }
  // table[bytes & 15]. On AVX-512, TableLookupLanes is vpermps, which reads only bits 3..0 of
  // each index, so the bytes index it unmasked: one And fewer per block, 5-7% faster at m = 1
  // (n = 11008 from DRAM and n = 256 from L2, 1 and 2 threads, interleaved best of 4-5).
  // Debug and sanitizer builds keep the mask: Highway asserts in-range indices there.
  template <class DF, class VI>
  static HWY_INLINE hn::Vec<DF> LookupLowNibbles(DF df, hn::Vec<DF> table, VI bytes) {
#if (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL) && !HWY_IS_DEBUG_BUILD
    return hn::TableLookupLanes(table, hn::IndicesFromVec(df, bytes));
#else
    return hn::TableLookupLanes(table, hn::IndicesFromVec(df, LowNibbles(df, bytes)));
#endif
  }
  // Nibbles q (i32 lanes, 0..15) to weights (q - 8) * d, rounded once as the reference does.
  template <class DF, class VI>
  HWY_INLINE hn::Vec<DF> Lookup(DF df, const uint8_t* unit, VI q) const {
    const float d = f16[LoadU16(unit)];
#if HWY_NATIVE_FMA
    // q * d - 8d rounded once is (q - 8) * d rounded once: 8d is exact (d is an fp16 value).
    return hn::MulAdd(hn::ConvertTo(df, q), hn::Set(df, d), hn::Set(df, -8.0f * d));
#else
    return hn::Mul(hn::ConvertTo(df, hn::Sub(q, hn::Set(hn::RebindToSigned<DF>(), 8))),
                   hn::Set(df, d));
#endif
  }
};

// ggml's q8_0 quantizer (QuantizeRowQ8_0) for the kQuantBlock values at x, bit for bit:
// d = amax / 127, id = 1 / d (0 when d is 0), q[i] = roundf(x[i] * id) with halves away from
// zero. Writes q (int8) and returns d rounded to fp16, as the block stores it.
template <class DF>
HWY_INLINE float QuantizeBlockQ8_0(DF df, const float* HWY_RESTRICT x, int8_t* HWY_RESTRICT q) {
  const size_t N = hn::Lanes(df);
  auto amax = hn::Zero(df);
  for (size_t i = 0; i < kQuantBlock; i += N) amax = hn::Max(amax, hn::Abs(hn::LoadU(df, x + i)));
  const float d = hn::GetLane(hn::MaxOfLanes(df, amax)) / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<int8_t, DF> di8;
  for (size_t i = 0; i < kQuantBlock; i += N) {
    const auto v = hn::Mul(hn::LoadU(df, x + i), hn::Set(df, id));
    const auto t = hn::Trunc(v);
    // v - t is exact; a fraction of one half or more rounds away from zero, as roundf does.
    const auto away = hn::Ge(hn::Abs(hn::Sub(v, t)), hn::Set(df, 0.5f));
    const auto r = hn::Add(t, hn::IfThenElseZero(away, hn::CopySign(hn::Set(df, 1.0f), v)));
    hn::StoreU(hn::DemoteTo(di8, hn::ConvertTo(di, r)), di8, q + i);
  }
  return F16ToF32(F32ToF16(d));
}

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
