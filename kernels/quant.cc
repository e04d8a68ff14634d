// Scalar reference code for the GGUF-compatible weight formats: conversions, quantizers,
// dequantizers. The kernels' per-target decoders live in kernels/quant-inl.h.
#include "kernels/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace roofprof {

const char* WeightFormatName(WeightFormat f) {
  switch (f) {
    case WeightFormat::kF32:
      return "f32";
    case WeightFormat::kBF16:
      return "bf16";
    case WeightFormat::kQ8_0:
      return "q8_0";
    case WeightFormat::kQ4_0:
      return "q4_0";
  }
  return "?";
}

bool IsBlockFormat(WeightFormat f) { return f == WeightFormat::kQ8_0 || f == WeightFormat::kQ4_0; }

size_t RowBytes(WeightFormat f, size_t k) {
  switch (f) {
    case WeightFormat::kF32:
      return 4 * k;
    case WeightFormat::kBF16:
      return 2 * k;
    case WeightFormat::kQ8_0:
      return k / kQuantBlock * sizeof(BlockQ8_0);
    case WeightFormat::kQ4_0:
      return k / kQuantBlock * sizeof(BlockQ4_0);
  }
  return 0;
}

double BytesPerWeight(WeightFormat f) {
  return static_cast<double>(RowBytes(f, kQuantBlock)) / static_cast<double>(kQuantBlock);
}

uint16_t F32ToF16(float f) {
  uint32_t x = FloatBits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7FFFFFFFu;
  if (x >= 0x7F800000u) {
    // Inf stays Inf; NaN becomes a quiet NaN keeping the top payload bits.
    return static_cast<uint16_t>(sign | 0x7C00u |
                                 (x > 0x7F800000u ? 0x200u | ((x >> 13) & 0x3FFu) : 0u));
  }
  if (x >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65536: overflow
  if (x < 0x38800000u) {
    // Below 2^-14 the result is subnormal or zero. Adding 0.5 (2^-1) puts the f16 subnormal
    // unit 2^-24 at the last mantissa bit, so the float addition itself rounds to nearest
    // even; the mantissa bits are the result.
    const float shifted = BitsFloat(x) + 0.5f;
    return static_cast<uint16_t>(sign | (FloatBits(shifted) - FloatBits(0.5f)));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even.
  // A carry out of the mantissa correctly bumps the exponent, up to Inf at 65520.
  const uint32_t odd = (x >> 13) & 1u;
  x += (static_cast<uint32_t>(15 - 127) << 23) + 0xFFFu + odd;
  return static_cast<uint16_t>(sign | (x >> 13));
}

const float* F16ToF32Table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = F16ToF32(static_cast<uint16_t>(h));
    return t;
  }();
  return table.data();
}

float BF16ToF32(uint16_t h) { return BitsFloat(static_cast<uint32_t>(h) << 16); }

uint16_t F32ToBF16(float f) {
  const uint32_t u = FloatBits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 64u);  // quiet
  return static_cast<uint16_t>((u + (0x7FFFu + ((u >> 16) & 1u))) >> 16);
}

void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, size_t k) {
  for (size_t b = 0; b < k / kQuantBlock; ++b) {
    const float* xb = x + b * kQuantBlock;
    float amax = 0.0f;
    for (size_t j = 0; j < kQuantBlock; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    for (size_t j = 0; j < kQuantBlock; ++j) {
      y[b].qs[j] = static_cast<int8_t>(std::round(xb[j] * id));
    }
  }
}

void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, size_t k) {
  constexpr size_t kHalf = kQuantBlock / 2;
  for (size_t b = 0; b < k / kQuantBlock; ++b) {
    const float* xb = x + b * kQuantBlock;
    float amax = 0.0f;
    float max = 0.0f;
    for (size_t j = 0; j < kQuantBlock; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    for (size_t j = 0; j < kHalf; ++j) {
      // x * id lies in [-8, 8]; + 8.5 and truncation round to nearest; the one value that
      // reaches 16 (the opposite-signed extreme) clamps to 15.
      const int lo = std::min(15, static_cast<int>(static_cast<int8_t>(xb[j] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(static_cast<int8_t>(xb[kHalf + j] * id + 8.5f)));
      y[b].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, size_t k) {
  for (size_t b = 0; b < k / kQuantBlock; ++b) {
    const float d = F16ToF32(x[b].d);
    for (size_t j = 0; j < kQuantBlock; ++j) {
      y[b * kQuantBlock + j] = static_cast<float>(x[b].qs[j]) * d;
    }
  }
}

void RoundTripQ8_0(const float* x, float* y, size_t k) {
  for (size_t b = 0; b < k / kQuantBlock; ++b) {
    BlockQ8_0 q;
    QuantizeRowQ8_0(x + b * kQuantBlock, &q, kQuantBlock);
    DequantizeRowQ8_0(&q, y + b * kQuantBlock, kQuantBlock);
  }
}

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, size_t k) {
  constexpr size_t kHalf = kQuantBlock / 2;
  for (size_t b = 0; b < k / kQuantBlock; ++b) {
    const float d = F16ToF32(x[b].d);
    for (size_t j = 0; j < kHalf; ++j) {
      y[b * kQuantBlock + j] = static_cast<float>((x[b].qs[j] & 0x0F) - 8) * d;
      y[b * kQuantBlock + kHalf + j] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void EncodeRow(WeightFormat f, const float* x, size_t k, void* row) {
  switch (f) {
    case WeightFormat::kF32:
      std::memcpy(row, x, 4 * k);
      return;
    case WeightFormat::kBF16: {
      uint16_t* out = static_cast<uint16_t*>(row);
      for (size_t i = 0; i < k; ++i) out[i] = F32ToBF16(x[i]);
      return;
    }
    case WeightFormat::kQ8_0:
      QuantizeRowQ8_0(x, static_cast<BlockQ8_0*>(row), k);
      return;
    case WeightFormat::kQ4_0:
      QuantizeRowQ4_0(x, static_cast<BlockQ4_0*>(row), k);
      return;
  }
}

void DecodeRow(WeightFormat f, const void* row, size_t k, float* y) {
  switch (f) {
    case WeightFormat::kF32:
      std::memcpy(y, row, 4 * k);
      return;
    case WeightFormat::kBF16: {
      const uint16_t* in = static_cast<const uint16_t*>(row);
      for (size_t i = 0; i < k; ++i) y[i] = BF16ToF32(in[i]);
      return;
    }
    case WeightFormat::kQ8_0:
      DequantizeRowQ8_0(static_cast<const BlockQ8_0*>(row), y, k);
      return;
    case WeightFormat::kQ4_0:
      DequantizeRowQ4_0(static_cast<const BlockQ4_0*>(row), y, k);
      return;
  }
}

float DecodeWeight(WeightFormat f, const void* row, size_t i) {
  const unsigned char* bytes = static_cast<const unsigned char*>(row);
  switch (f) {
    case WeightFormat::kF32: {
      float w;
      std::memcpy(&w, bytes + 4 * i, sizeof(w));
      return w;
    }
    case WeightFormat::kBF16: {
      uint16_t h;
      std::memcpy(&h, bytes + 2 * i, sizeof(h));
      return BF16ToF32(h);
    }
    case WeightFormat::kQ8_0: {
      BlockQ8_0 b;
      std::memcpy(&b, bytes + i / kQuantBlock * sizeof(BlockQ8_0), sizeof(b));
      return static_cast<float>(b.qs[i % kQuantBlock]) * F16ToF32(b.d);
    }
    case WeightFormat::kQ4_0: {
      BlockQ4_0 b;
      std::memcpy(&b, bytes + i / kQuantBlock * sizeof(BlockQ4_0), sizeof(b));
      const size_t j = i % kQuantBlock;
      const int q = j < kQuantBlock / 2 ? (b.qs[j] & 0x0F) : (b.qs[j - kQuantBlock / 2] >> 4);
      return static_cast<float>(q - 8) * F16ToF32(b.d);
    }
  }
  return 0.0f;
}

}  // namespace roofprof
