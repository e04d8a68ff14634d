// Attention kernels: f16 conversion, decode and prefill (naive, flash) against the double
// reference on every target and around every block edge, compulsory bytes against an
// instrumented count, and the work models' lessons (GQA's KV saving, naive's score traffic).
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "kernels/touch_counter.h"
#include "kernels/workload.h"
#include "src/error.h"
#include "src/targets.h"
#include "tests/test_util.h"

namespace roofprof {
namespace {

using testing_util::Targets;

// f32 lanes of a target (TargetVectorBytes counts bytes of a u8 vector: 1 on SCALAR).
int64_t Lanes(int64_t target) { return std::max(1, TargetVectorBytes(target) / 4); }

int64_t MaxLanes() {
  int64_t lanes = 1;
  for (const int64_t t : Targets()) lanes = std::max(lanes, Lanes(t));
  return lanes;
}

// Deterministic values in [-1, 1).
float Value(uint64_t i, uint64_t salt) {
  uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull ^ salt * 0xD1B54A32D192ED03ull;
  z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
  z ^= z >> 29;
  return static_cast<float>(static_cast<double>(z >> 40) * 0x1p-23 - 1.0);
}

TEST(F16, RoundTripsEveryHalf) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(f)))) << h;
      continue;
    }
    EXPECT_EQ(F32ToF16(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(F16, KnownValuesAndRounding) {
  EXPECT_EQ(F16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(F16ToF32(0xC000), -2.0f);
  EXPECT_EQ(F16ToF32(0x7BFF), 65504.0f);
  EXPECT_EQ(F16ToF32(0x0001), 0x1p-24f);  // smallest subnormal
  EXPECT_TRUE(std::isinf(F16ToF32(0x7C00)));
  // Ties go to the even mantissa: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(F32ToF16(1.0f + 0x1p-11f), 0x3C00);
  EXPECT_EQ(F32ToF16(1.0f + 3 * 0x1p-11f), 0x3C02);
  EXPECT_EQ(F32ToF16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);  // above the tie: up
  EXPECT_EQ(F32ToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7C00);  // rounds to infinity
  EXPECT_EQ(F32ToF16(0x1p-25f), 0x0000);  // tie between 0 and the smallest subnormal
  EXPECT_EQ(F32ToF16(0x1.8p-25f), 0x0001);
  EXPECT_EQ(F32ToF16(-0.0f), 0x8000);
}

// ------------------------------------------------------------------------------------------
// Decode.

struct DecodeCase {
  AttnDecodeDims dims;
  int threads;
  size_t misalign;  // elements added to every pointer
};

// Buffers of one decode problem, filled deterministically; the cache stored as kv_bits says
// (K in key blocks, its padding rows zero).
struct DecodeBuffers {
  DecodeBuffers(const AttnDecodeDims& d, int threads, size_t misalign)
      : dims(d), misalign(misalign) {
    const size_t nq = static_cast<size_t>(d.q_elems());
    const size_t nk = static_cast<size_t>(d.k_elems());
    const size_t nv = static_cast<size_t>(d.v_elems());
    q.assign(nq + misalign, 0.0f);
    out.assign(nq + misalign, 0.0f);
    for (size_t i = 0; i < nq; ++i) q[misalign + i] = Value(i, 1);
    if (d.kv_bits == 16) {
      k16.assign(nk + misalign, 0);
      v16.assign(nv + misalign, 0);
      for (size_t i = 0; i < nv; ++i) v16[misalign + i] = F32ToF16(Value(i, 3));
    } else {
      k32.assign(nk + misalign, 0.0f);
      v32.assign(nv + misalign, 0.0f);
      for (size_t i = 0; i < nv; ++i) v32[misalign + i] = Value(i, 3);
    }
    for (int64_t b = 0; b < d.batch; ++b) {
      for (int64_t kvh = 0; kvh < d.kv_heads; ++kvh) {
        for (int64_t t = 0; t < d.ctx; ++t) {
          for (int64_t i = 0; i < d.head_dim; ++i) {
            const auto row_major =
                static_cast<size_t>(((b * d.kv_heads + kvh) * d.ctx + t) * d.head_dim + i);
            SetKey(b, kvh, t, i, Value(row_major, 2));
          }
        }
      }
    }
    scratch.resize(static_cast<size_t>(threads));
    for (auto& s : scratch) s.assign(DecodeScratchFloats(d), 0.0f);
    for (auto& s : scratch) scratch_ptrs.push_back(s.data());
    partials.assign(DecodePartialFloats(d, threads) + 1, 0.0f);
    data.dims = d;
    data.threads = threads;
    data.q = q.data() + misalign;
    data.k = d.kv_bits == 16 ? static_cast<const void*>(k16.data() + misalign)
                             : static_cast<const void*>(k32.data() + misalign);
    data.v = d.kv_bits == 16 ? static_cast<const void*>(v16.data() + misalign)
                             : static_cast<const void*>(v32.data() + misalign);
    data.out = out.data() + misalign;
    data.scratch = scratch_ptrs.data();
    data.partials = partials.data();
  }

  // Largest |out - reference| / tolerance over every output.
  double WorstError() const {
    double worst = 0;
    for (int64_t b = 0; b < dims.batch; ++b) {
      for (int64_t h = 0; h < dims.heads; ++h) {
        const AttnReferenceRow ref = AttnDecodeReference(dims, data.q, data.k, data.v, b, h);
        for (int64_t i = 0; i < dims.head_dim; ++i) {
          const double got = data.out[(b * dims.heads + h) * dims.head_dim + i];
          const double tol = ref.tolerance[static_cast<size_t>(i)];
          EXPECT_GT(tol, 0.0);
          worst = WorseError(worst, std::fabs(got - ref.value[static_cast<size_t>(i)]) / tol);
        }
      }
    }
    return worst;
  }

  // Stores x as token t's dimension i of KV head kvh of batch b.
  void SetKey(int64_t b, int64_t kvh, int64_t t, int64_t i, float x) {
    const size_t at = misalign + static_cast<size_t>(DecodeKeyIndex(dims, b, kvh, t, i));
    if (dims.kv_bits == 16) {
      k16[at] = F32ToF16(x);
    } else {
      k32[at] = x;
    }
  }

  AttnDecodeDims dims;
  size_t misalign;
  std::vector<float> q, out, k32, v32, partials;
  std::vector<uint16_t> k16, v16;
  std::vector<std::vector<float>> scratch;
  std::vector<float*> scratch_ptrs;
  AttnDecodeData data;
};

AttnDecodeDims Decode(int64_t batch, int64_t heads, int64_t kv_heads, int64_t dim, int64_t ctx,
                      int bits) {
  AttnDecodeDims d;
  d.batch = batch;
  d.heads = heads;
  d.kv_heads = kv_heads;
  d.head_dim = dim;
  d.ctx = ctx;
  d.kv_bits = bits;
  return d;
}

std::string Describe(const AttnDecodeDims& d, int threads, int64_t target) {
  return TargetName(target) + " b" + std::to_string(d.batch) + " h" + std::to_string(d.heads) +
         "/" + std::to_string(d.kv_heads) + " d" + std::to_string(d.head_dim) + " ctx" +
         std::to_string(d.ctx) + " kv" + std::to_string(d.kv_bits) + " t" + std::to_string(threads);
}

TEST(AttnDecode, MatchesReferenceOnEveryTargetAndEdge) {
  for (const int64_t target : Targets()) {
    const int64_t L = Lanes(target);
    // head_dim around the vector length (1, 3, L, L + 1, 2L + 3 covers the two-vector V
    // step, its one-vector remainder and the scalar tail; 5L + 3 a 4-vector step after the
    // 8-vector ones); ctx odd and off every tile size (tiles are 16-512 rows); group 1 (MHA),
    // 3 (blocks of 2 + 1), 4, 8 (GQA), heads (MQA).
    const std::vector<AttnDecodeDims> shapes = {
        Decode(1, 1, 1, 1, 1, 32),           Decode(2, 4, 4, 3, 7, 32),
        Decode(1, 8, 2, L, 33, 32),          Decode(2, 8, 1, L + 1, 65, 32),
        Decode(1, 6, 2, 2 * L + 3, 129, 32), Decode(1, 8, 8, 128, 70, 32),
        Decode(3, 8, 1, 16, 301, 32),        Decode(1, 4, 1, L + 1, 5, 32),
        Decode(1, 8, 2, 5 * L + 3, 41, 32),  Decode(1, 2, 2, 5 * L + 3, 19, 32),
    };
    for (const AttnDecodeDims& d : shapes) {
      for (const int threads : {1, 2}) {
        DecodeBuffers buf(d, threads, 1);
        RunAttnDecode(target, buf.data);
        EXPECT_LE(buf.WorstError(), 1.0) << Describe(d, threads, target);
      }
    }
  }
}

TEST(AttnDecode, F16CacheBothPathsOnEveryTarget) {
  for (const int64_t target : Targets()) {
    const int64_t L = Lanes(target);
    const std::vector<AttnDecodeDims> shapes = {
        Decode(1, 4, 4, 3, 9, 16),           Decode(2, 8, 2, L + 1, 67, 16),
        Decode(1, 8, 1, 2 * L + 3, 131, 16), Decode(1, 32, 8, 128, 100, 16),
        Decode(1, 8, 2, 5 * L + 3, 41, 16),
    };
    for (const AttnDecodeDims& d : shapes) {
      for (const F16Path path : {F16Path::kAuto, F16Path::kScalar}) {
        DecodeBuffers buf(d, 2, 1);
        buf.data.f16_path = path;
        RunAttnDecode(target, buf.data);
        EXPECT_LE(buf.WorstError(), 1.0)
            << Describe(d, 2, target) << (path == F16Path::kScalar ? " scalar" : " auto");
      }
    }
  }
}

TEST(AttnDecode, FollowsARisingMaxOnEveryTarget) {
  // Scores that climb along the cache move each head's max: over the whole context by 300, 60
  // or 15 (scaled units), that is by about 12, 2.3 or 0.6 log2 units per 16-row tile at
  // head_dim 128 (f32), four times that in the f16 shape's 64-row tiles, and twice that at
  // head_dim 24 (32-row tiles). Against the slack of 8 log2 units the reference max then moves
  // in most tiles, every few tiles, or rarely, so the rescale of the accumulators and sums and,
  // on 2 threads, the merge of the split pieces all take part.
  for (const int64_t target : Targets()) {
    const int64_t L = Lanes(target);
    for (const double rise : {300.0, 60.0, 15.0}) {
      for (const AttnDecodeDims& shape :
           {Decode(1, 4, 1, 128, 600, 32), Decode(1, 6, 3, 24, 600, 32),
            Decode(1, 3, 3, L + 1, 600, 32), Decode(1, 8, 2, 128, 600, 16)}) {
        for (const int threads : {1, 2}) {
          DecodeBuffers buf(shape, threads, 0);
          const AttnDecodeDims& d = shape;
          const double root = std::sqrt(static_cast<double>(d.head_dim));
          for (size_t i = 0; i < buf.q.size(); ++i) buf.q[i] = 1.0f + 0.1f * Value(i, 7);
          for (int64_t kvh = 0; kvh < d.kv_heads; ++kvh) {
            for (int64_t j = 0; j < d.ctx; ++j) {
              const double score = rise * static_cast<double>(j) / static_cast<double>(d.ctx - 1);
              for (int64_t c = 0; c < d.head_dim; ++c) {
                const auto at = static_cast<size_t>((kvh * d.ctx + j) * d.head_dim + c);
                buf.SetKey(0, kvh, j, c,
                           static_cast<float>(score / root * (1.0 + 0.1 * Value(at, 8))));
              }
            }
          }
          RunAttnDecode(target, buf.data);
          EXPECT_LE(buf.WorstError(), 1.0) << Describe(d, threads, target) << " rise " << rise;
        }
      }
    }
  }
}

TEST(AttnDecode, SplitContextMergesPieces) {
  // One (batch, KV head) pair and several threads: ctx is split and merged.
  const AttnDecodeDims mqa = Decode(1, 4, 1, 20, 1031, 32);
  ASSERT_EQ(DecodeSplits(mqa, 2), 2);
  ASSERT_EQ(DecodeSplits(mqa, 3), 3);
  // 3 pairs on 2 threads: split in 2 so each thread gets 3 pieces.
  const AttnDecodeDims three = Decode(3, 6, 3, 17, 600, 16);
  ASSERT_EQ(DecodeSplits(three, 2), 2);
  // Enough pairs: no split.
  EXPECT_EQ(DecodeSplits(Decode(1, 32, 8, 128, 2048, 32), 2), 1);
  // Short contexts are not split below kDecodeMinSplitRows rows.
  EXPECT_EQ(DecodeSplits(Decode(1, 4, 1, 8, kDecodeMinSplitRows, 32), 2), 1);
  for (const int64_t target : Targets()) {
    for (const int threads : {2, 3}) {
      DecodeBuffers a(mqa, threads, 1);
      RunAttnDecode(target, a.data);
      EXPECT_LE(a.WorstError(), 1.0) << Describe(mqa, threads, target);
    }
    DecodeBuffers b(three, 2, 1);
    RunAttnDecode(target, b.data);
    EXPECT_LE(b.WorstError(), 1.0) << Describe(three, 2, target);
  }
}

TEST(AttnDecode, TileRowsFollowTheWorkPerByte) {
  const auto tile_bytes = [](const AttnDecodeDims& d) {
    return DecodeTileRows(d) * d.head_dim * d.kv_elem_bytes();
  };
  // At least 4 flops per byte of K and V: f16 from group 4, f32 from group 8.
  EXPECT_FALSE(DecodeComputeHeavy(Decode(8, 32, 16, 128, 8192, 16)));  // f16 group 2
  EXPECT_TRUE(DecodeComputeHeavy(Decode(8, 32, 8, 128, 8192, 16)));    // f16 group 4
  EXPECT_FALSE(DecodeComputeHeavy(Decode(8, 32, 8, 128, 8192, 32)));   // f32 group 4
  EXPECT_TRUE(DecodeComputeHeavy(Decode(8, 32, 4, 128, 8192, 32)));    // f32 group 8
  // Heavy: 16 KiB tiles (GQA 32/8 f16 head_dim 128: 64 rows; MQA f32: 32 rows).
  EXPECT_EQ(DecodeTileRows(Decode(8, 32, 8, 128, 8192, 16)), 64);
  EXPECT_EQ(tile_bytes(Decode(8, 32, 1, 128, 8192, 32)), kDecodeHeavyTileBytes);
  // Light: 4 KiB tiles, at least one key block (GQA 32/8 f32: 16 rows of 512 B, 8 KiB; MHA
  // head_dim 64 f16: 32 rows).
  EXPECT_EQ(DecodeTileRows(Decode(8, 32, 8, 128, 8192, 32)), kDecodeKeyBlock);
  EXPECT_EQ(DecodeTileRows(Decode(8, 32, 32, 64, 8192, 16)), 32);
  EXPECT_EQ(tile_bytes(Decode(8, 32, 32, 64, 8192, 16)), kDecodeTileBytes);
  // Long rows keep kDecodeMinTileRows rows (head_dim 256 f32: 16 KiB).
  EXPECT_EQ(DecodeTileRows(Decode(1, 32, 8, 256, 8192, 32)), kDecodeMinTileRows);
  EXPECT_EQ(DecodeTileRows(Decode(1, 4, 4, 4096, 64, 32)), kDecodeMinTileRows);
  // Every group and row length: whole key blocks within the bounds, no more than the tile
  // size where more than one key block, and short of it by less than a key block.
  for (const int64_t group : {1, 2, 3, 4, 8, 16, 32, 64}) {
    for (const int64_t dim : {1, 16, 64, 80, 128, 256, 512}) {
      for (const int bits : {32, 16}) {
        const AttnDecodeDims d = Decode(1, group, 1, dim, 4096, bits);
        const int64_t rows = DecodeTileRows(d);
        const int64_t want = DecodeComputeHeavy(d) ? kDecodeHeavyTileBytes : kDecodeTileBytes;
        EXPECT_GE(rows, kDecodeMinTileRows) << group << " " << dim << " " << bits;
        EXPECT_LE(rows, 512) << group << " " << dim << " " << bits;
        EXPECT_EQ(rows % kDecodeKeyBlock, 0) << group << " " << dim << " " << bits;
        if (rows > kDecodeMinTileRows) {
          EXPECT_LE(tile_bytes(d), want) << group << " " << dim << " " << bits;
          EXPECT_GT(tile_bytes(d) + kDecodeKeyBlock * d.head_dim * d.kv_elem_bytes(),
                    std::min<int64_t>(want, 512 * dim * bits / 8))
              << group << " " << dim << " " << bits;
        }
      }
    }
  }
}

TEST(AttnDecode, KeyCacheIsKeptInBlocksOfTokensDimensionByDimension) {
  // ctx 20 pads to 2 blocks of 16 tokens; 2 KV heads of head_dim 3, batch 2.
  const AttnDecodeDims d = Decode(2, 4, 2, 3, 20, 16);
  EXPECT_EQ(d.padded_ctx(), 32);
  EXPECT_EQ(d.k_elems(), 2 * 2 * 32 * 3);
  EXPECT_EQ(d.v_elems(), 2 * 2 * 20 * 3);
  EXPECT_EQ(DecodeKeyIndex(d, 0, 0, 0, 0), 0);
  EXPECT_EQ(DecodeKeyIndex(d, 0, 0, 1, 0), 1);             // tokens side by side
  EXPECT_EQ(DecodeKeyIndex(d, 0, 0, 0, 1), 16);            // then the next dimension
  EXPECT_EQ(DecodeKeyIndex(d, 0, 0, 16, 0), 48);           // the second block after 16 x 3
  EXPECT_EQ(DecodeKeyIndex(d, 0, 0, 19, 2), 48 + 32 + 3);  // its dimension 2, token 3
  EXPECT_EQ(DecodeKeyIndex(d, 0, 1, 0, 0), 96);            // the next KV head, padding included
  EXPECT_EQ(DecodeKeyIndex(d, 1, 0, 0, 0), 192);           // the next sequence
}

TEST(AttnDecode, PiecesAreWholeKeyBlocksThatCoverTheContext) {
  for (const int64_t ctx : {int64_t{256}, int64_t{600}, int64_t{1031}, int64_t{4096}}) {
    for (const int64_t splits : {1, 2, 3, 5}) {
      const AttnDecodeDims d = Decode(1, 4, 1, 8, ctx, 32);
      int64_t end = 0;
      for (int64_t piece = 0; piece < splits; ++piece) {
        int64_t c0, c1;
        DecodePieceRows(d, splits, piece, &c0, &c1);
        EXPECT_EQ(c0, end) << ctx << " " << splits << " " << piece;
        EXPECT_EQ(c0 % kDecodeKeyBlock, 0) << ctx << " " << splits << " " << piece;
        EXPECT_GT(c1, c0) << ctx << " " << splits << " " << piece;
        end = c1;
      }
      EXPECT_EQ(end, ctx) << ctx << " " << splits;
    }
  }
}

TEST(AttnDecode, IgnoresThePaddingOfTheLastKeyBlockOnEveryTarget) {
  // Padding rows hold NaN here: a kernel that let their scores into a max, a sum or an
  // output would turn the result NaN.
  for (const int64_t target : Targets()) {
    for (const int bits : {32, 16}) {
      const AttnDecodeDims d = Decode(2, 8, 2, 24, 37, bits);
      for (const int threads : {1, 2}) {
        DecodeBuffers buf(d, threads, 0);
        for (int64_t b = 0; b < d.batch; ++b) {
          for (int64_t kvh = 0; kvh < d.kv_heads; ++kvh) {
            for (int64_t t = d.ctx; t < d.padded_ctx(); ++t) {
              for (int64_t i = 0; i < d.head_dim; ++i) {
                buf.SetKey(b, kvh, t, i, std::numeric_limits<float>::quiet_NaN());
              }
            }
          }
        }
        for (const F16Path path : {F16Path::kAuto, F16Path::kScalar}) {
          buf.data.f16_path = path;
          RunAttnDecode(target, buf.data);
          EXPECT_LE(buf.WorstError(), 1.0) << Describe(d, threads, target);
        }
      }
    }
  }
}

TEST(AttnDecode, DetectsAWrongOutput) {
  // The comparison can fail: a perturbation of one output element by a few tolerances shows.
  const AttnDecodeDims d = Decode(1, 4, 2, 8, 40, 32);
  DecodeBuffers buf(d, 1, 0);
  RunAttnDecode(BestTarget(), buf.data);
  ASSERT_LE(buf.WorstError(), 1.0);
  const AttnReferenceRow ref = AttnDecodeReference(d, buf.data.q, buf.data.k, buf.data.v, 0, 3);
  buf.data.out[3 * 8 + 5] += static_cast<float>(4.0 * ref.tolerance[5]);
  EXPECT_GT(buf.WorstError(), 1.0);
}

TEST(AttnDecode, DetectsANaNOutput) {
  // NaN compares false against every tolerance; the check must still fail it.
  EXPECT_EQ(WorseError(0.5, std::numeric_limits<double>::quiet_NaN()),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(WorseError(0.5, 0.25), 0.5);
  EXPECT_EQ(WorseError(0.5, 2.0), 2.0);
  const AttnDecodeDims d = Decode(1, 4, 2, 8, 40, 16);
  DecodeBuffers buf(d, 1, 0);
  RunAttnDecode(BestTarget(), buf.data);
  ASSERT_LE(buf.WorstError(), 1.0);
  buf.data.out[2 * 8 + 1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_GT(buf.WorstError(), 1.0);
}

TEST(AttnDecode, CompulsoryBytesMatchInstrumentedReference) {
  for (const int bits : {32, 16}) {
    const AttnDecodeDims d = Decode(2, 6, 3, 5, 9, bits);
    DecodeBuffers buf(d, 1, 0);
    TouchCounter counter;
    for (int64_t b = 0; b < d.batch; ++b) {
      for (int64_t h = 0; h < d.heads; ++h) {
        AttnDecodeReference(d, buf.data.q, buf.data.k, buf.data.v, b, h, buf.data.out, &counter);
      }
    }
    ModelContext ctx;
    ctx.caches = {{1, 48 * 1024, 1, "test", 0}, {2, 1 << 20, 1, "test", 0}};
    const WorkModel model = AttnDecodeModel(d, ctx);
    EXPECT_EQ(static_cast<double>(counter.unique_bytes()), model.compulsory_bytes) << bits;
    // K and V are read once per query head by the reference: group (2) times each.
    EXPECT_GT(counter.total_bytes(), counter.unique_bytes());
  }
}

ModelContext BigCacheContext(int threads) {
  ModelContext ctx;
  ctx.threads = threads;
  ctx.caches = {{1, 48 * 1024, 1, "test", 0},
                {2, 1024 * 1024, 1, "test", 0},
                {3, 32 * 1024 * 1024, 2, "test", 0}};
  return ctx;
}

TEST(AttnDecodeModel, GroupedKvHeadsCutDramTraffic) {
  const ModelContext ctx = BigCacheContext(2);
  const auto dram = [&](int64_t kv_heads, int bits) {
    return AttnDecodeModel(Decode(8, 32, kv_heads, 128, 8192, bits), ctx)
        .bytes[static_cast<size_t>(Level::kDram)];
  };
  const double mha = dram(32, 32), gqa = dram(8, 32), mqa = dram(1, 32);
  // K and V dominate: 4x fewer KV heads -> nearly 4x fewer DRAM bytes; f16 halves them.
  EXPECT_NEAR(mha / gqa, 4.0, 0.01);
  EXPECT_NEAR(gqa / mqa, 8.0, 0.1);
  EXPECT_NEAR(gqa / dram(8, 16), 2.0, 0.01);
  const WorkModel w = AttnDecodeModel(Decode(1, 32, 8, 128, 2048, 32), ctx);
  EXPECT_DOUBLE_EQ(w.flops, 32.0 * (2048.0 * (4 * 128 + 2) + 2 * 128));
  EXPECT_FALSE(w.derivation.empty());
  // 16 MiB cache: lives in the 32 MiB L3, so no DRAM traffic between runs.
  EXPECT_EQ(w.bytes[static_cast<size_t>(Level::kDram)], 0.0);
  EXPECT_GT(w.bytes[static_cast<size_t>(Level::kL3)], 0.0);
}

TEST(AttnDecodeModel, CountsTheWeightLoadsOfThePvTheTargetRuns) {
  // The f16 PV takes each weight as a broadcast memory operand on AVX-512 (attention-inl.h):
  // a load per multiply-add, one per vector of head_dim. Elsewhere, and for f32, one
  // broadcast per column step of the PV loop.
  const AttnDecodeDims f16 = Decode(8, 32, 8, 128, 2048, 16), f32 = Decode(8, 32, 8, 128, 2048, 32);
  for (const int64_t target : Targets()) {
    const AttnBlocking blk = AttnTargetBlocking(target);
    const bool avx512 = HWY_ARCH_X86 && target <= HWY_AVX3;  // AVX3 and the targets better
    EXPECT_EQ(blk.pv_embed_f16, avx512) << TargetName(target);
    const double vectors = std::ceil(128.0 / static_cast<double>(blk.lanes));
    // One PV pass serves min(pv_heads, 4) heads with pv_vecs[that] vectors per column step
    // (128 is a whole number of steps on every target).
    const auto steps = [&](int64_t pv_heads) {
      return vectors / static_cast<double>(blk.pv_vecs[std::min<int64_t>(pv_heads, 4)]);
    };
    EXPECT_EQ(DecodePvWeightLoads(f32, blk), steps(blk.pv_heads_f32)) << TargetName(target);
    const double f16_steps = steps(blk.pv_heads_f16);
    EXPECT_EQ(DecodePvWeightLoads(f16, blk), avx512 ? vectors : f16_steps) << TargetName(target);
    if (avx512) {
      EXPECT_GT(DecodePvWeightLoads(f16, blk), f16_steps) << TargetName(target);
    }
  }
}

// ------------------------------------------------------------------------------------------
// Prefill.

struct PrefillBuffers {
  PrefillBuffers(const AttnPrefillDims& d, int threads, size_t misalign, bool flash) : dims(d) {
    const size_t nq = static_cast<size_t>(d.heads * d.tokens * d.head_dim);
    const size_t nkv = static_cast<size_t>(d.kv_heads * d.tokens * d.head_dim);
    q.assign(nq + misalign, 0.0f);
    out.assign(nq + misalign, 0.0f);
    k.assign(nkv + misalign, 0.0f);
    v.assign(nkv + misalign, 0.0f);
    // Larger query magnitudes make the softmax peaked, so the max shift matters.
    for (size_t i = 0; i < nq; ++i) q[misalign + i] = 3.0f * Value(i, 4);
    for (size_t i = 0; i < nkv; ++i) {
      k[misalign + i] = Value(i, 5);
      v[misalign + i] = Value(i, 6);
    }
    const int64_t lanes = MaxLanes();
    const PrefillLayout lay = MakePrefillLayout(d, lanes);
    kt.assign(lay.kt_floats, 0.0f);
    vp.assign(lay.vp_floats, 0.0f);
    scratch.resize(static_cast<size_t>(threads));
    for (auto& s : scratch) {
      s.assign(flash ? lay.flash_scratch_floats : lay.naive_scratch_floats, 0.0f);
      scratch_ptrs.push_back(s.data());
    }
    data.dims = d;
    data.threads = threads;
    data.flash = flash;
    data.q = q.data() + misalign;
    data.k = k.data() + misalign;
    data.v = v.data() + misalign;
    data.out = out.data() + misalign;
    data.kt = kt.data();
    data.vp = vp.data();
    data.scratch = scratch_ptrs.data();
    data.max_lanes = lanes;
  }

  double WorstError() const {
    double worst = 0;
    for (int64_t h = 0; h < dims.heads; ++h) {
      for (int64_t i = 0; i < dims.tokens; ++i) {
        const AttnReferenceRow ref = AttnPrefillReference(dims, data.q, data.k, data.v, h, i);
        for (int64_t c = 0; c < dims.head_dim; ++c) {
          const double got = data.out[(h * dims.tokens + i) * dims.head_dim + c];
          worst = WorseError(worst, std::fabs(got - ref.value[static_cast<size_t>(c)]) /
                                        ref.tolerance[static_cast<size_t>(c)]);
        }
      }
    }
    return worst;
  }

  AttnPrefillDims dims;
  std::vector<float> q, k, v, out, kt, vp;
  std::vector<std::vector<float>> scratch;
  std::vector<float*> scratch_ptrs;
  AttnPrefillData data;
};

AttnPrefillDims Prefill(int64_t tokens, int64_t heads, int64_t kv_heads, int64_t dim) {
  AttnPrefillDims d;
  d.tokens = tokens;
  d.heads = heads;
  d.kv_heads = kv_heads;
  d.head_dim = dim;
  return d;
}

TEST(AttnPrefill, NaiveAndFlashMatchReferenceOnEveryTarget) {
  for (const int64_t target : Targets()) {
    const int64_t L = Lanes(target);
    // tokens: 1, odd, one key tile, one more than a query block (64), off every tile; head_dim
    // 1, 3, L, L + 1 (micro-tile column remainders) and 4L + 1 (a full 4-vector block plus
    // remainder); group 1, 4, 8; heads 3 (micro-tile row remainders when tokens < 4 rows).
    const std::vector<AttnPrefillDims> shapes = {
        Prefill(1, 1, 1, 1),      Prefill(3, 3, 3, 3),           Prefill(17, 4, 1, L),
        Prefill(65, 8, 1, L + 1), Prefill(130, 8, 2, 4 * L + 1), Prefill(64, 2, 2, 16),
    };
    for (const AttnPrefillDims& d : shapes) {
      for (const int threads : {1, 2}) {
        PrefillBuffers naive(d, threads, 1, false), flash(d, threads, 1, true);
        RunAttnPrefill(target, naive.data);
        RunAttnPrefill(target, flash.data);
        const std::string what = TargetName(target) + " tokens" + std::to_string(d.tokens) + " h" +
                                 std::to_string(d.heads) + "/" + std::to_string(d.kv_heads) + " d" +
                                 std::to_string(d.head_dim) + " t" + std::to_string(threads);
        EXPECT_LE(naive.WorstError(), 1.0) << "naive " << what;
        EXPECT_LE(flash.WorstError(), 1.0) << "flash " << what;
        // Naive and flash agree within the sum of their bounds (each within one of the exact
        // value): checked on the first head's last row, the longest softmax.
        const int64_t i = d.tokens - 1;
        const AttnReferenceRow ref =
            AttnPrefillReference(d, naive.data.q, naive.data.k, naive.data.v, 0, i);
        for (int64_t c = 0; c < d.head_dim; ++c) {
          EXPECT_LE(
              std::fabs(naive.data.out[i * d.head_dim + c] - flash.data.out[i * d.head_dim + c]),
              2.0 * ref.tolerance[static_cast<size_t>(c)])
              << what;
        }
      }
    }
  }
}

TEST(AttnPrefill, FlashFollowsARisingMaxOnEveryTarget) {
  // Scores that climb along the keys move each row's max in every key tile: by about 32 or 13
  // (more than the slack of 8 / log2(e) = 5.5, so the accumulator is rescaled each tile) or
  // by about 3 (within it, so weights above 1 build up until the max moves).
  for (const int64_t target : Targets()) {
    const int64_t L = Lanes(target);
    for (const double rise : {300.0, 60.0, 15.0}) {
      for (const int64_t dim : {int64_t{24}, L + 1}) {
        const AttnPrefillDims d = Prefill(300, 2, 1, dim);
        for (const int threads : {1, 2}) {
          PrefillBuffers flash(d, threads, 0, true);
          const double root = std::sqrt(static_cast<double>(dim));
          for (int64_t h = 0; h < d.heads; ++h) {
            for (int64_t i = 0; i < d.tokens; ++i) {
              for (int64_t c = 0; c < dim; ++c) {
                const auto at = static_cast<size_t>((h * d.tokens + i) * dim + c);
                flash.q[at] = 1.0f + 0.1f * Value(at, 7);
              }
            }
          }
          for (int64_t j = 0; j < d.tokens; ++j) {
            const double score = rise * static_cast<double>(j) / static_cast<double>(d.tokens - 1);
            for (int64_t c = 0; c < dim; ++c) {
              const auto at = static_cast<size_t>(j * dim + c);
              flash.k[at] = static_cast<float>(score / root * (1.0 + 0.1 * Value(at, 8)));
            }
          }
          RunAttnPrefill(target, flash.data);
          EXPECT_LE(flash.WorstError(), 1.0)
              << TargetName(target) << " rise " << rise << " d" << dim << " t" << threads;
        }
      }
    }
  }
}

TEST(AttnPrefill, Exp2WithinOneUlpOnEveryTarget) {
  std::vector<float> x;
  for (int e = -125; e <= 64; ++e) {
    x.push_back(static_cast<float>(e));
    x.push_back(static_cast<float>(e) + 0.5f);
    x.push_back(std::nextafter(static_cast<float>(e) + 0.5f, 0.0f));
  }
  for (int i = 0; i <= 200000; ++i) x.push_back(-125.0f + 189.0f * static_cast<float>(i) / 200000);
  for (int i = 0; i <= 20000; ++i) x.push_back(-1.0f + static_cast<float>(i) / 10000);
  const size_t in_range = x.size();
  x.insert(x.end(), {-125.5f, -150.0f, -1e30f, -std::numeric_limits<float>::infinity()});
  for (const int64_t target : Targets()) {
    for (const size_t n : {x.size(), size_t{5}}) {  // 5: the tail path on every vector length
      std::vector<float> y(n, -1.0f);
      RunAttnExp2(target, x.data(), n, y.data());
      double worst = 0;
      for (size_t i = 0; i < std::min(n, in_range); ++i) {
        const double exact = std::exp2(static_cast<double>(x[i]));
        worst = WorseError(worst, std::fabs(y[i] - exact) / exact);
      }
      EXPECT_LE(worst, 0x1p-23) << TargetName(target) << " n " << n;
      for (size_t i = in_range; i < n; ++i) {
        EXPECT_GE(y[i], 0.0f) << TargetName(target) << " x " << x[i];
        EXPECT_LE(y[i], 0x1p-124f) << TargetName(target) << " x " << x[i];
      }
      if (n == x.size()) {
        // In units of 2^-24 (half an f32 ulp at 1): to_string keeps six decimals.
        RecordProperty(TargetName(target) + "_worst_relative_error_x2^24",
                       std::to_string(worst * 0x1p24));
      }
    }
  }
}

TEST(AttnPrefill, CompulsoryBytesMatchInstrumentedReference) {
  const AttnPrefillDims d = Prefill(11, 4, 2, 3);
  PrefillBuffers buf(d, 1, 0, true);
  TouchCounter counter;
  for (int64_t h = 0; h < d.heads; ++h) {
    for (int64_t i = 0; i < d.tokens; ++i) {
      AttnPrefillReference(d, buf.data.q, buf.data.k, buf.data.v, h, i, buf.data.out, &counter);
    }
  }
  const ModelContext ctx = BigCacheContext(1);
  for (const bool flash : {false, true}) {
    EXPECT_EQ(static_cast<double>(counter.unique_bytes()),
              AttnPrefillModel(d, flash, ctx).compulsory_bytes);
  }
}

TEST(AttnPrefillModel, NaiveScoreMatrixShowsAsExtraTraffic) {
  const ModelContext ctx = BigCacheContext(2);
  const auto l3 = static_cast<size_t>(Level::kL3);
  const auto dram = static_cast<size_t>(Level::kDram);
  // 2048 tokens: S is 16 MiB per head, one per thread (32 MiB) exceeds the usable 80% of the
  // 32 MiB L3, so its 4 passes (written, read + written by the softmax, read by PV) hit DRAM.
  {
    const AttnPrefillDims d = Prefill(2048, 32, 8, 128);
    const WorkModel naive = AttnPrefillModel(d, false, ctx);
    const WorkModel flash = AttnPrefillModel(d, true, ctx);
    EXPECT_EQ(naive.flops, flash.flops);
    EXPECT_EQ(naive.compulsory_bytes, flash.compulsory_bytes);
    const double s_traffic = 4.0 * 32 * 2048.0 * 2048.0 * 4.0;
    EXPECT_GE(naive.bytes[dram] - flash.bytes[dram], s_traffic * 0.999);
    bool mentions_s = false;
    for (const auto& line : naive.derivation) mentions_s |= line.find("score matrix") != line.npos;
    EXPECT_TRUE(mentions_s);
  }
  // 512 tokens: S is 1 MiB per head and stays in L3; DRAM traffic is the same as flash's.
  {
    const AttnPrefillDims d = Prefill(512, 8, 2, 128);
    const WorkModel naive = AttnPrefillModel(d, false, ctx);
    const WorkModel flash = AttnPrefillModel(d, true, ctx);
    const double s_traffic = 4.0 * 8 * 512.0 * 512.0 * 4.0;
    EXPECT_GE(naive.bytes[l3] - flash.bytes[l3], s_traffic * 0.999);
    EXPECT_EQ(naive.bytes[dram], flash.bytes[dram]);
  }
}

// ------------------------------------------------------------------------------------------
// Registry and workloads.

TEST(AttentionWorkloads, RunAndVerifyThroughTheRegistry) {
  const std::vector<std::pair<std::string, Shape>> cases = {
      {"attn_decode", {{"batch", 2}, {"kv_heads", 2}, {"heads", 8}, {"ctx", 300}}},
      {"attn_decode", {{"batch", 1}, {"kv_heads", 1}, {"heads", 4}, {"ctx", 600}, {"kv_bits", 16}}},
      {"attn_prefill_naive", {{"tokens", 70}, {"heads", 4}, {"kv_heads", 2}, {"head_dim", 24}}},
      {"attn_prefill_flash", {{"tokens", 70}, {"heads", 4}, {"kv_heads", 2}, {"head_dim", 24}}},
  };
  for (const auto& [name, given] : cases) {
    const KernelInfo* info = FindKernel(name);
    ASSERT_NE(info, nullptr) << name;
    auto w = info->make(CompleteShape(*info, given));
    EXPECT_EQ(w->name(), name);
    w->Setup(2);
    for (const int64_t target : Targets()) {
      const double checksum = w->Run(target);
      EXPECT_TRUE(std::isfinite(checksum)) << name;
      EXPECT_LE(w->Verify(), 1.0) << name << " " << TargetName(target);
    }
    const WorkModel m = w->Model(BigCacheContext(2));
    EXPECT_GT(m.flops, 0.0);
    EXPECT_GT(m.bytes[0], m.compulsory_bytes * 0.5) << name;
  }
}

// The default `roofprof kernels` run covers decode at context 2048 (32 heads over 8 KV heads,
// head_dim 128) at batch 1 and a larger batch with f32 and f16 caches, and the prefill pair at
// one shared shape.
TEST(AttentionWorkloads, SuiteCoversDecodeBatchesFormatsAndThePrefillPair) {
  const KernelInfo* decode = FindKernel("attn_decode");
  ASSERT_NE(decode, nullptr);
  bool seen[2][2] = {};  // [larger batch][f16]
  for (const Shape& s : decode->suite) {
    if (ShapeValue(s, "ctx", 0) != 2048 || ShapeValue(s, "heads", 0) != 32 ||
        ShapeValue(s, "kv_heads", 0) != 8 || ShapeValue(s, "head_dim", 0) != 128) {
      continue;
    }
    seen[ShapeValue(s, "batch", 0) > 1][ShapeValue(s, "kv_bits", 0) == 16] = true;
  }
  for (int b = 0; b < 2; ++b) {
    for (int f = 0; f < 2; ++f) EXPECT_TRUE(seen[b][f]) << "larger batch " << b << " f16 " << f;
  }
  const KernelInfo* naive = FindKernel("attn_prefill_naive");
  const KernelInfo* flash = FindKernel("attn_prefill_flash");
  ASSERT_NE(naive, nullptr);
  ASSERT_NE(flash, nullptr);
  ASSERT_FALSE(flash->suite.empty());
  EXPECT_EQ(naive->suite, flash->suite);
}

TEST(AttentionWorkloads, RejectsShapesTheyCannotRun) {
  const KernelInfo* decode = FindKernel("attn_decode");
  ASSERT_NE(decode, nullptr);
  EXPECT_THROW(decode->make(CompleteShape(*decode, {{"heads", 6}, {"kv_heads", 4}})), UsageError);
  EXPECT_THROW(decode->make(CompleteShape(*decode, {{"kv_bits", 8}})), UsageError);
  EXPECT_THROW(CompleteShape(*decode, {{"tokens", 8}}), UsageError);
  const KernelInfo* flash = FindKernel("attn_prefill_flash");
  ASSERT_NE(flash, nullptr);
  EXPECT_THROW(flash->make(CompleteShape(*flash, {{"heads", 5}, {"kv_heads", 2}})), UsageError);
}

}  // namespace
}  // namespace roofprof
