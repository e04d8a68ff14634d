// GGUF weight formats: block layout, fp16/bf16 conversion, quantizer round trips, known vectors.
#include "kernels/quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace roofprof {
namespace {

TEST(QuantLayout, BlockSizesAndOffsetsMatchGguf) {
  EXPECT_EQ(sizeof(BlockQ8_0), 34u);
  EXPECT_EQ(sizeof(BlockQ4_0), 18u);
  EXPECT_EQ(offsetof(BlockQ8_0, qs), 2u);
  EXPECT_EQ(offsetof(BlockQ4_0, qs), 2u);
  EXPECT_EQ(RowBytes(WeightFormat::kF32, 64), 256u);
  EXPECT_EQ(RowBytes(WeightFormat::kBF16, 64), 128u);
  EXPECT_EQ(RowBytes(WeightFormat::kQ8_0, 64), 68u);
  EXPECT_EQ(RowBytes(WeightFormat::kQ4_0, 64), 36u);
  EXPECT_DOUBLE_EQ(BytesPerWeight(WeightFormat::kQ8_0), 34.0 / 32);
  EXPECT_DOUBLE_EQ(BytesPerWeight(WeightFormat::kQ4_0), 18.0 / 32);
  EXPECT_TRUE(IsBlockFormat(WeightFormat::kQ4_0));
  EXPECT_FALSE(IsBlockFormat(WeightFormat::kBF16));
}

TEST(QuantLayout, Q4NibbleOrder) {
  // Low nibble of qs[i] is weight i, high nibble weight i + 16; both biased by 8.
  BlockQ4_0 b;
  b.d = F32ToF16(1.0f);
  for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(i | ((15 - i) << 4));
  float y[32];
  DequantizeRowQ4_0(&b, y, 32);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(y[i], static_cast<float>(i - 8)) << i;
    EXPECT_EQ(y[16 + i], static_cast<float>(7 - i)) << i;
    EXPECT_EQ(DecodeWeight(WeightFormat::kQ4_0, &b, static_cast<size_t>(16 + i)), y[16 + i]);
  }
}

TEST(QuantKnown, Q4_0Vector) {
  // x = -8..7 then 7..-8: max (signed, largest magnitude) = -8, so d = 1 and q = x + 8.
  float x[32];
  for (int j = 0; j < 16; ++j) {
    x[j] = static_cast<float>(j - 8);
    x[16 + j] = static_cast<float>(7 - j);
  }
  BlockQ4_0 b;
  QuantizeRowQ4_0(x, &b, 32);
  EXPECT_EQ(b.d, 0x3C00);  // 1.0
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b.qs[j], j | ((15 - j) << 4)) << j;
  // Positive extreme: max = 4 -> d = -0.5, so -4 maps to q = 16 -> clamped to 15 (w = -3.5).
  float y[32] = {4.0f, -4.0f};
  BlockQ4_0 c;
  QuantizeRowQ4_0(y, &c, 32);
  EXPECT_EQ(F16ToF32(c.d), -0.5f);
  EXPECT_EQ(c.qs[0] & 0x0F, 0);
  EXPECT_EQ(c.qs[1] & 0x0F, 15);
  EXPECT_EQ(c.qs[2] & 0x0F, 8);  // zeros sit at 8
}

TEST(QuantKnown, Q8_0Vector) {
  // x[j] = (j - 16) / 16: absmax 1 -> d = 1/127, stored as fp16 0x2008 (0.0078735...).
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16) / 16.0f;
  BlockQ8_0 b;
  QuantizeRowQ8_0(x, &b, 32);
  EXPECT_EQ(b.d, 0x2008);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[16], 0);
  EXPECT_EQ(b.qs[31], 119);  // 15/16 * 127 = 119.06
  EXPECT_EQ(b.qs[20], 32);   // 4/16 * 127 = 31.75
  // An all-zero block has d = 0 and q = 0.
  float z[32] = {};
  QuantizeRowQ8_0(z, &b, 32);
  EXPECT_EQ(b.d, 0);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(b.qs[j], 0);
}

// |x - q * d16| <= |x - q * d| + |q| * |d - d16|, and |x - q * d| <= |d| / 2 (+ the f32
// rounding of x * (1 / d), a few ulp of 127).
double RoundTripBound(double d32, double d16, double q, double half_steps) {
  return std::fabs(d32) * (half_steps + 1e-5) + std::fabs(q) * std::fabs(d32 - d16);
}

TEST(QuantRoundTrip, Q8_0WithinHalfStep) {
  std::mt19937 rng(7);
  for (const float scale : {1e-3f, 0.05f, 1.0f, 300.0f}) {
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> x(32 * 64), y(x.size());
    for (float& v : x) v = dist(rng);
    std::vector<BlockQ8_0> q(x.size() / 32);
    QuantizeRowQ8_0(x.data(), q.data(), x.size());
    DequantizeRowQ8_0(q.data(), y.data(), x.size());
    for (size_t b = 0; b < q.size(); ++b) {
      float amax = 0;
      for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
      const double d32 = amax / 127.0f, d16 = F16ToF32(q[b].d);
      for (int j = 0; j < 32; ++j) {
        const size_t i = b * 32 + j;
        EXPECT_LE(std::fabs(x[i] - y[i]), RoundTripBound(d32, d16, q[b].qs[j], 0.5))
            << "scale " << scale << " i " << i;
      }
    }
  }
}

TEST(QuantRoundTrip, Q4_0WithinHalfStepInRange) {
  std::mt19937 rng(11);
  int clamped = 0;
  for (const float scale : {1e-3f, 0.05f, 1.0f, 300.0f}) {
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> x(32 * 64), y(x.size());
    for (float& v : x) v = dist(rng);
    std::vector<BlockQ4_0> q(x.size() / 32);
    QuantizeRowQ4_0(x.data(), q.data(), x.size());
    DequantizeRowQ4_0(q.data(), y.data(), x.size());
    for (size_t b = 0; b < q.size(); ++b) {
      float amax = 0, max = 0;
      for (int j = 0; j < 32; ++j) {
        const float v = x[b * 32 + j];
        if (amax < std::fabs(v)) {
          amax = std::fabs(v);
          max = v;
        }
      }
      const double d32 = max / -8.0f, d16 = F16ToF32(q[b].d);
      for (int j = 0; j < 32; ++j) {
        const size_t i = b * 32 + j;
        const int nib = j < 16 ? (q[b].qs[j] & 0x0F) : (q[b].qs[j - 16] >> 4);
        // Within range x / d + 8 < 15.5 rounds to nearest; beyond it clamps to 15 (error
        // up to one step).
        const bool in_range = x[i] / d32 + 8.0 < 15.5;
        clamped += in_range ? 0 : 1;
        EXPECT_LE(std::fabs(x[i] - y[i]), RoundTripBound(d32, d16, nib - 8, in_range ? 0.5 : 1.0))
            << "scale " << scale << " i " << i;
      }
    }
  }
  EXPECT_GT(clamped, 0);  // the clamped branch was exercised
}

TEST(F16, ExhaustiveRoundTripAndTable) {
  const float* table = F16ToF32Table();
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t hh = static_cast<uint16_t>(h);
    const float f = F16ToF32(hh);
    EXPECT_EQ(FloatBits(table[h]), FloatBits(f)) << h;
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(f)))) << h;
    } else {
      ASSERT_EQ(F32ToF16(f), hh) << h;
    }
  }
  EXPECT_EQ(F16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(F16ToF32(0x0001), 0x1p-24f);
  EXPECT_EQ(F16ToF32(0x7BFF), 65504.0f);
  EXPECT_EQ(F16ToF32(0xFC00), -std::numeric_limits<float>::infinity());
}

TEST(F16, RoundsToNearestEven) {
  EXPECT_EQ(F32ToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7C00);  // halfway to 65536 rounds (to even) to Inf
  EXPECT_EQ(F32ToF16(1e9f), 0x7C00);
  EXPECT_EQ(F32ToF16(-1e9f), 0xFC00);
  EXPECT_EQ(F32ToF16(0.1f), 0x2E66);
  EXPECT_EQ(F32ToF16(1e-5f), 0x00A8);
  EXPECT_EQ(F32ToF16(6e-8f), 0x0001);
  EXPECT_EQ(F32ToF16(0x1p-25f), 0x0000);             // half the smallest subnormal: tie to even 0
  EXPECT_EQ(F32ToF16(0x1.8p-24f), 0x0002);           // 1.5 units: tie to even 2
  EXPECT_EQ(F32ToF16(1.0f + 0x1p-11f), 0x3C00);      // tie below: even mantissa 0
  EXPECT_EQ(F32ToF16(1.0f + 3 * 0x1p-11f), 0x3C02);  // tie: even mantissa 2
  EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(std::nanf("")))));
  // Random floats: the result is the nearest fp16, ties to an even mantissa.
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits(0, 0x477FEFFFu);  // |f| < 65520: finite results
  for (int i = 0; i < 100000; ++i) {
    const float f = BitsFloat(bits(rng));
    const uint16_t h = F32ToF16(f);
    const double err = std::fabs(static_cast<double>(F16ToF32(h)) - f);
    for (const int step : {-1, 1}) {
      const uint16_t nb = static_cast<uint16_t>(h + step);
      if ((nb & 0x7C00) == 0x7C00 || ((h & 0x7FFF) == 0 && step < 0)) continue;
      const double nerr = std::fabs(static_cast<double>(F16ToF32(nb)) - f);
      ASSERT_LE(err, nerr) << f;
      if (err == nerr) {
        ASSERT_EQ(h & 1, 0) << f;
      }
    }
  }
}

TEST(BF16, RoundsToNearestEvenAndQuietsNaN) {
  EXPECT_EQ(F32ToBF16(1.0f), 0x3F80);
  EXPECT_EQ(F32ToBF16(BitsFloat(0x3F808000u)), 0x3F80);  // tie: even
  EXPECT_EQ(F32ToBF16(BitsFloat(0x3F818000u)), 0x3F82);  // tie: even (up)
  EXPECT_EQ(F32ToBF16(BitsFloat(0x3F808001u)), 0x3F81);  // above the tie
  EXPECT_EQ(BF16ToF32(0xC000), -2.0f);
  const uint16_t nan = F32ToBF16(BitsFloat(0x7F800001u));  // signalling NaN, payload in low bits
  EXPECT_TRUE(std::isnan(BF16ToF32(nan)));
  float x[3] = {1.5f, -3.25f, 1e30f}, y[3];
  uint16_t row[3];
  EncodeRow(WeightFormat::kBF16, x, 3, row);
  DecodeRow(WeightFormat::kBF16, row, 3, y);
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[1], -3.25f);
  EXPECT_NEAR(y[2], 1e30f, 1e30f * 0x1p-8f);
}

}  // namespace
}  // namespace roofprof
