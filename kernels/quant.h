// Weight formats of the decode kernels, byte-compatible with GGUF: f32, bf16, q8_0, q4_0 rows,
// their reference quantizers and dequantizers, and portable fp16/bf16 <-> f32 conversion.
#ifndef ROOFPROF_KERNELS_QUANT_H_
#define ROOFPROF_KERNELS_QUANT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace roofprof {

// GGUF stores every field little-endian; the block structs below are its bytes as they are.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "GGUF block layouts are little-endian");

// The bits of a float and back (no aliasing: memcpy compiles to a register move).
inline uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
inline float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// Weights per quantization block (ggml's QK8_0 and QK4_0).
inline constexpr size_t kQuantBlock = 32;

// ggml block_q8_0: one fp16 scale, then 32 signed bytes; weight i = qs[i] * d. Packed
// (alignment 1): rows of 34-byte blocks put the scales at any byte offset, as in a GGUF file,
// and member access must not assume 2-byte alignment.
struct __attribute__((packed)) BlockQ8_0 {
  uint16_t d;  // IEEE binary16 bits
  int8_t qs[kQuantBlock];
};
static_assert(sizeof(BlockQ8_0) == 34, "q8_0 block is 34 bytes in GGUF");

// ggml block_q4_0: one fp16 scale, then 16 bytes of nibbles. Weight i < 16 is the low nibble of
// qs[i], weight i + 16 the high nibble of qs[i]; each is (nibble - 8) * d.
struct __attribute__((packed)) BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQuantBlock / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "q4_0 block is 18 bytes in GGUF");
static_assert(alignof(BlockQ8_0) == 1 && alignof(BlockQ4_0) == 1, "blocks sit at any offset");

enum class WeightFormat { kF32, kBF16, kQ8_0, kQ4_0 };

// "f32", "bf16", "q8_0", "q4_0" (GGUF's type names).
const char* WeightFormatName(WeightFormat f);
// Whether rows are made of 32-weight blocks (k must then be a multiple of kQuantBlock).
bool IsBlockFormat(WeightFormat f);
// Bytes of one row of k weights, scales included: 4k, 2k, 34k/32, 18k/32.
size_t RowBytes(WeightFormat f, size_t k);
// Storage cost per weight in bytes (scales included): 4, 2, 34/32, 18/32.
double BytesPerWeight(WeightFormat f);

// IEEE binary16 <-> binary32. F32ToF16 rounds to nearest, ties to even, as F16C's vcvtps2ph and
// ggml's GGML_FP32_TO_FP16 do; overflow goes to infinity and NaN stays NaN (quiet). Highway
// 1.0.3 has PromoteTo/DemoteTo for float16_t on every target, but where the hardware lacks F16C
// (SSE4, EMU128, SCALAR) its DemoteTo truncates the mantissa and saturates to 65504 and its
// PromoteTo maps Inf/NaN to finite numbers, so quantizers cannot use it and stay portable here.
// F16ToF32 is inline: attention's scalar f16 path widens every KV cache element through it.
inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x3FFu;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24, exact in binary32.
    const float f = static_cast<float>(mant) * 0x1p-24f;
    return sign ? -f : f;
  }
  if (exp == 31) return BitsFloat(sign | 0x7F800000u | (mant << 13));  // Inf, NaN
  return BitsFloat(sign | ((exp + (127 - 15)) << 23) | (mant << 13));
}
uint16_t F32ToF16(float f);
// All 65536 binary16 values as floats (256 KiB, built once, thread-safe): fp16 scales decode
// with one scalar load, which keeps them off the vector pipes in the kernels' inner loops.
const float* F16ToF32Table();

// bfloat16 <-> binary32. F32ToBF16 rounds to nearest even and quiets NaN, as ggml does.
float BF16ToF32(uint16_t h);
uint16_t F32ToBF16(float f);

// ggml's reference quantizers (quantize_row_q8_0_ref, quantize_row_q4_0_ref): round to
// nearest with d = absmax / 127 for q8_0; d = max / -8 for q4_0 where max is the signed value
// of largest magnitude. k must be a multiple of kQuantBlock.
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, size_t k);
void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, size_t k);
void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, size_t k);
// x quantized to q8_0 and dequantized (y may be x): the activations a q4_0 dot product meets.
void RoundTripQ8_0(const float* x, float* y, size_t k);
void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, size_t k);

// Any format, one row: `row` holds RowBytes(f, k) bytes.
void EncodeRow(WeightFormat f, const float* x, size_t k, void* row);
void DecodeRow(WeightFormat f, const void* row, size_t k, float* y);
// Weight i of a row, dequantized (the value every kernel must multiply by).
float DecodeWeight(WeightFormat f, const void* row, size_t i);

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_QUANT_H_
