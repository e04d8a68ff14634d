// Attention kernels: per-target entries, scalar references, work models and the workloads
// behind attn_decode, attn_prefill_naive and attn_prefill_flash.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/attention-inl.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {

void AttnDecodeEntry(const AttnDecodeData& data) { attn::AttnDecodeImpl(data); }
void AttnPrefillEntry(const AttnPrefillData& data) { attn::AttnPrefillImpl(data); }
void AttnExp2Entry(const float* x, size_t n, float* y) {
  const attn::DF d;
  const size_t lanes = attn::hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    attn::hn::StoreU(attn::Exp2Bounded(d, attn::hn::LoadU(d, x + i)), d, y + i);
  }
  if (i < n) {  // the tail through a vector's worth of copies (any target has <= 256 lanes)
    float in[256] = {}, out[256];
    std::copy(x + i, x + n, in);
    attn::hn::StoreU(attn::Exp2Bounded(d, attn::hn::LoadU(d, in)), d, out);
    std::copy(out, out + (n - i), y + i);
  }
}
AttnBlocking AttnBlockingEntry() {
  AttnBlocking b;
  b.lanes = static_cast<int64_t>(attn::hn::Lanes(attn::DF()));
  b.key_step_rows = static_cast<int64_t>(attn::kScoreRowVecs * attn::hn::Lanes(attn::DK()));
  b.pv_heads_f32 = attn::kPvHeadsF32;
  b.pv_heads_f16 = attn::kPvHeadsF16;
  b.pv_embed_f16 = attn::kEmbedBroadcast;
  for (int heads = 1; heads <= 4; ++heads) {
    b.pv_vecs[heads] = static_cast<int64_t>(attn::PvVecs(heads));
  }
  b.micro_columns = static_cast<int64_t>(attn::kMicroVecs) * b.lanes;
  return b;
}

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <numeric>
#include <string>

#include "kernels/model_util.h"
#include "kernels/touch_counter.h"
#include "src/error.h"
#include "src/hwy_dispatch.h"
#include "src/memory.h"
#include "src/targets.h"

namespace roofprof {

HWY_EXPORT(AttnDecodeEntry);
HWY_EXPORT(AttnPrefillEntry);
HWY_EXPORT(AttnBlockingEntry);
HWY_EXPORT(AttnExp2Entry);

namespace {

// Longest decode tile: keeps the score tile (4 heads x 512 x 4 B = 8 KiB) in L1 when
// head_dim is so small that the tile's bytes would allow more rows.
constexpr int64_t kDecodeMaxTileRows = 512;

int64_t RoundUp(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }
size_t RoundUp16(size_t n) { return (n + 15) / 16 * 16; }

// Blocking of the target the work models describe (ModelTarget).
AttnBlocking ModelBlocking(const ModelContext& ctx) { return AttnTargetBlocking(ModelTarget(ctx)); }

// Largest f32 vector length over the available targets: buffers are sized for it so any
// target can run on them.
int64_t MaxLanes() {
  int64_t lanes = 1;
  for (const int64_t t : AvailableTargets()) {
    lanes = std::max<int64_t>(lanes, AttnTargetBlocking(t).lanes);
  }
  return lanes;
}

// Deterministic input in [-1, 1) from an element index (splitmix64), so data do not depend
// on which thread initialises them.
float InputValue(uint64_t index, uint64_t stream) {
  uint64_t z = index + stream * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<double>(z >> 40) * 0x1p-23 - 1.0);
}

double KvValue(const void* base, int kv_bits, size_t index) {
  if (kv_bits == 16) return F16ToF32(static_cast<const uint16_t*>(base)[index]);
  return static_cast<const float*>(base)[index];
}

// Softmax-attention reference of one query row over keys [0, n) with the tolerance derived in
// attention.h. K and V (f32, or f16 bits when kv_bits is 16) at `k` and `v`: V rows dim apart,
// K the same unless key_blocks, where it is laid out as the decode cache (DecodeKeyOffset).
AttnReferenceRow SoftmaxReference(const float* q, const void* k, const void* v, int kv_bits,
                                  size_t dim, size_t n, bool key_blocks, float* out,
                                  TouchCounter* counter) {
  const double u = kAttnUnitRoundoff;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim));
  const size_t eb = static_cast<size_t>(kv_bits / 8);
  std::vector<double> s(n), es(n);
  double m = -std::numeric_limits<double>::infinity(), es_max = 0;
  if (counter) counter->Read(q, dim * sizeof(float));
  for (size_t j = 0; j < n; ++j) {
    double dot = 0, abs_dot = 0;
    for (size_t i = 0; i < dim; ++i) {
      const size_t at =
          key_blocks
              ? static_cast<size_t>(DecodeKeyOffset(
                    static_cast<int64_t>(dim), static_cast<int64_t>(j), static_cast<int64_t>(i)))
              : j * dim + i;
      const double p = static_cast<double>(q[i]) * KvValue(k, kv_bits, at);
      dot += p;
      abs_dot += std::fabs(p);
      if (counter) counter->Read(static_cast<const char*>(k) + at * eb, eb);
    }
    s[j] = dot * scale;
    es[j] = 2.0 * static_cast<double>(dim) * u * scale * abs_dot + 2.0 * u * std::fabs(s[j]);
    m = std::max(m, s[j]);
    es_max = std::max(es_max, es[j]);
  }
  std::vector<double> p(n), r(n);
  double l = 0;
  for (size_t j = 0; j < n; ++j) {
    p[j] = std::exp(s[j] - m);
    l += p[j];
  }
  double rel_l = 2.0 * static_cast<double>(n) * u;
  for (size_t j = 0; j < n; ++j) {
    p[j] /= l;
    r[j] = es[j] + es_max + 3.0 * u * std::fabs(s[j] - m) + 4.0 * u;
    rel_l += p[j] * r[j];
  }
  AttnReferenceRow row;
  row.value.assign(dim, 0.0);
  row.tolerance.assign(dim, 0.0);
  std::vector<double> weighted(dim, 0.0);
  for (size_t j = 0; j < n; ++j) {
    if (counter) counter->Read(static_cast<const char*>(v) + j * dim * eb, dim * eb);
    for (size_t i = 0; i < dim; ++i) {
      const double x = KvValue(v, kv_bits, j * dim + i);
      row.value[i] += p[j] * x;
      weighted[i] += p[j] * std::fabs(x) * (r[j] + 2.0 * static_cast<double>(n) * u);
    }
  }
  for (size_t i = 0; i < dim; ++i) {
    row.tolerance[i] = 2.0 * (weighted[i] + std::fabs(row.value[i]) * (rel_l + u)) +
                       std::numeric_limits<double>::min();
    if (out) out[i] = static_cast<float>(row.value[i]);
  }
  if (out && counter) counter->Write(out, dim * sizeof(float));
  return row;
}

// L1 bytes of Gemm(rows x cols, depth kc) as the micro-kernels issue them: every micro-tile
// loads its B panel (kc x its columns) and broadcasts kc elements per row; C is stored once
// (and loaded once when accumulating). `micro_cols` = kMicroVecs x lanes.
double GemmL1Bytes(double rows, double cols, double kc, bool accumulate, double micro_cols) {
  const double row_blocks = std::ceil(rows / kPrefillMicroRows);
  const double col_blocks = std::ceil(cols / micro_cols);
  return 4.0 *
         (row_blocks * kc * cols + col_blocks * rows * kc + (accumulate ? 2.0 : 1.0) * rows * cols);
}

void AddAt(std::array<double, kNumLevels>* t, double bytes, int level, int from_level = 1) {
  for (int l = from_level; l <= level && l < kNumLevels; ++l) (*t)[static_cast<size_t>(l)] += bytes;
}

std::string Fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, a, b, c);
  return buf;
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Plans shared by kernels, Setup and models.

void StaticRange(int64_t units, int threads, int tid, int64_t* begin, int64_t* end) {
  const int64_t n = std::max(1, threads);
  *begin = units * tid / n;
  *end = units * (tid + 1) / n;
}

int64_t DecodeTileRows(const AttnDecodeDims& dims) {
  const int64_t row_bytes = dims.head_dim * dims.kv_elem_bytes();
  const int64_t bytes = DecodeComputeHeavy(dims) ? kDecodeHeavyTileBytes : kDecodeTileBytes;
  const int64_t rows =
      std::clamp<int64_t>(bytes / row_bytes, kDecodeMinTileRows, kDecodeMaxTileRows);
  return rows / kDecodeKeyBlock * kDecodeKeyBlock;
}

int64_t DecodeSplits(const AttnDecodeDims& dims, int threads) {
  if (threads <= 1) return 1;
  const int64_t pairs = dims.batch * dims.kv_heads;
  // Smallest split that makes the unit count a multiple of the thread count.
  const int64_t want = threads / std::gcd<int64_t>(pairs, threads);
  return std::max<int64_t>(1, std::min(want, dims.ctx / kDecodeMinSplitRows));
}

void DecodePieceRows(const AttnDecodeDims& dims, int64_t splits, int64_t piece, int64_t* c0,
                     int64_t* c1) {
  const int64_t blocks = dims.padded_ctx() / kDecodeKeyBlock;
  *c0 = blocks * piece / splits * kDecodeKeyBlock;
  *c1 = piece + 1 == splits ? dims.ctx : blocks * (piece + 1) / splits * kDecodeKeyBlock;
}

size_t DecodeScratchFloats(const AttnDecodeDims& dims) {
  const size_t gd = static_cast<size_t>(dims.group() * dims.head_dim);
  const size_t g = static_cast<size_t>(dims.group());
  const size_t rows = static_cast<size_t>(DecodeTileRows(dims));
  // The softmax's vector sums: one vector per head, of the widest target here.
  return 2 * RoundUp16(gd) + RoundUp16(g) + RoundUp16(g * static_cast<size_t>(MaxLanes())) +
         RoundUp16(static_cast<size_t>(kDecodeGroupBlock) * rows) +
         2 * RoundUp16(rows * static_cast<size_t>(dims.head_dim));
}

size_t DecodePartialFloats(const AttnDecodeDims& dims, int threads) {
  const int64_t splits = DecodeSplits(dims, threads);
  if (splits == 1) return 0;
  return static_cast<size_t>(dims.batch * dims.kv_heads * splits * dims.group() *
                             (dims.head_dim + 2));
}

PrefillLayout MakePrefillLayout(const AttnPrefillDims& dims, int64_t lanes) {
  PrefillLayout lay;
  lay.key_tile = RoundUp(kPrefillKeyTile, lanes);
  lay.padded_tokens = RoundUp(dims.tokens, lay.key_tile);
  lay.padded_dim = RoundUp(dims.head_dim, lanes);
  const auto tp = static_cast<size_t>(lay.padded_tokens);
  const auto dp = static_cast<size_t>(lay.padded_dim);
  const auto bq = static_cast<size_t>(kPrefillQueryBlock);
  lay.kt_floats = static_cast<size_t>(dims.kv_heads * dims.head_dim) * tp;
  lay.vp_floats = static_cast<size_t>(dims.kv_heads) * tp * dp;
  lay.naive_scratch_floats = tp * tp + bq * dp;
  lay.flash_scratch_floats =
      bq * static_cast<size_t>(lay.key_tile) +
      static_cast<size_t>(dims.group()) * (bq * dp + bq + bq * static_cast<size_t>(lanes));
  return lay;
}

int64_t PrefillQueryBlocks(const AttnPrefillDims& dims) {
  return (dims.tokens + kPrefillQueryBlock - 1) / kPrefillQueryBlock;
}

AttnBlocking AttnTargetBlocking(int64_t target) {
  return ROOFPROF_DISPATCH_FOR(AttnBlockingEntry, target)();
}

void RunAttnDecode(int64_t target, const AttnDecodeData& data) {
  ROOFPROF_DISPATCH_FOR(AttnDecodeEntry, target)(data);
}

void RunAttnPrefill(int64_t target, const AttnPrefillData& data) {
  ROOFPROF_DISPATCH_FOR(AttnPrefillEntry, target)(data);
}

void RunAttnExp2(int64_t target, const float* x, size_t n, float* y) {
  ROOFPROF_DISPATCH_FOR(AttnExp2Entry, target)(x, n, y);
}

// ------------------------------------------------------------------------------------------
// References.

AttnReferenceRow AttnDecodeReference(const AttnDecodeDims& dims, const float* q, const void* k,
                                     const void* v, int64_t b, int64_t h, float* out,
                                     TouchCounter* counter) {
  const int64_t kvh = h / dims.group();
  const size_t k_base = static_cast<size_t>(DecodeKeyIndex(dims, b, kvh, 0, 0));
  const size_t v_base = static_cast<size_t>((b * dims.kv_heads + kvh) * dims.ctx * dims.head_dim);
  const size_t eb = static_cast<size_t>(dims.kv_elem_bytes());
  return SoftmaxReference(q + (b * dims.heads + h) * dims.head_dim,
                          static_cast<const char*>(k) + k_base * eb,
                          static_cast<const char*>(v) + v_base * eb, dims.kv_bits,
                          static_cast<size_t>(dims.head_dim), static_cast<size_t>(dims.ctx), true,
                          out ? out + (b * dims.heads + h) * dims.head_dim : nullptr, counter);
}

AttnReferenceRow AttnPrefillReference(const AttnPrefillDims& dims, const float* q, const float* k,
                                      const float* v, int64_t h, int64_t i, float* out,
                                      TouchCounter* counter) {
  const int64_t kvh = h / dims.group();
  const size_t base = static_cast<size_t>(kvh * dims.tokens * dims.head_dim);
  return SoftmaxReference(q + (h * dims.tokens + i) * dims.head_dim, k + base, v + base, 32,
                          static_cast<size_t>(dims.head_dim), static_cast<size_t>(i + 1), false,
                          out ? out + (h * dims.tokens + i) * dims.head_dim : nullptr, counter);
}

double DecodePvWeightLoads(const AttnDecodeDims& dims, const AttnBlocking& blk) {
  const bool f32 = dims.kv_elem_bytes() == 4;
  const double D = static_cast<double>(dims.head_dim);
  const double lanes = static_cast<double>(blk.lanes);
  if (!f32 && blk.pv_embed_f16) return std::ceil(D / lanes);
  // Column steps of the PV loop per cached row, for the first head block's passes: steps of
  // pv_vecs vectors, then of 4 (where pv_vecs > 4), then single vectors (the scalar tail
  // loads element by element, counted as vectors here).
  const int64_t pv_heads = f32 ? blk.pv_heads_f32 : blk.pv_heads_f16;
  const int64_t pass_heads = std::min<int64_t>(pv_heads, std::min<int64_t>(dims.group(), 4));
  const double pv_vecs = static_cast<double>(blk.pv_vecs[pass_heads]);
  const double wide = std::floor(D / (pv_vecs * lanes));
  double rest = D - wide * pv_vecs * lanes;
  const double fours = pv_vecs > 4 ? std::floor(rest / (4 * lanes)) : 0.0;
  rest -= fours * 4 * lanes;
  return wide + fours + std::ceil(rest / lanes);
}

// ------------------------------------------------------------------------------------------
// Work models.
//
// attn_decode. Flops: per (batch, query head) and cached token, q.k (2 D: a multiply-add is
// 2 flops), p v (2 D), subtract the max and add to the sum (2); per head, scale q (D) and
// normalise the output (D). exp() is one evaluation per score, listed separately and not
// counted as flops (Exp2Bounded is 12 vector instructions: counting it would inflate the flop
// rate of what is a bandwidth-bound kernel). Compulsory bytes: q, K, V, out once.
// Traffic: the whole working set lives where ResidentLevel puts it between runs, and every
// byte of it crosses each level out to there once per run (K and V are read once per
// (batch, KV head), not once per query head: that is GQA's saving). L1 counts the loads and
// stores the loops issue: K once per block of kDecodeGroupBlock query heads and V once per PV
// pass of pv_heads of them (re-reads from L2 where a K and a V tile exceed L1), a query element per
// dimension and score step of a key block, each weight written once (the score becomes its
// weight in registers), a head's running sum loaded and stored with each vector of them, each
// weight broadcast once per PV column step (f16 on AVX-512: loaded by each PV multiply-add),
// and the accumulator loaded and stored once per tile.
WorkModel AttnDecodeModel(const AttnDecodeDims& dims, const ModelContext& ctx) {
  const double B = static_cast<double>(dims.batch), H = static_cast<double>(dims.heads);
  const double Hkv = static_cast<double>(dims.kv_heads), D = static_cast<double>(dims.head_dim);
  const double C = static_cast<double>(dims.ctx), eb = static_cast<double>(dims.kv_elem_bytes());
  const double G = static_cast<double>(dims.group());
  WorkModel w;
  w.precision = "fp32";
  w.flops = B * H * (C * (4.0 * D + 2.0) + 2.0 * D);
  const double exps = B * H * C;
  const double q_bytes = B * H * D * 4.0, out_bytes = q_bytes;
  const double kv_bytes = 2.0 * B * Hkv * C * D * eb;
  // The last key block's padding rows are read with the block (none when ctx is a multiple
  // of kDecodeKeyBlock); not compulsory, but traffic.
  const double Cp = static_cast<double>(dims.padded_ctx());
  const double k_bytes = B * Hkv * Cp * D * eb, v_bytes = kv_bytes / 2.0;
  w.compulsory_bytes = q_bytes + kv_bytes + out_bytes;
  const int level = ResidentLevel(w.compulsory_bytes, ctx);
  AddAt(&w.bytes, q_bytes + k_bytes + v_bytes + out_bytes, level);

  const AttnBlocking blk = ModelBlocking(ctx);
  const int64_t g = dims.group();
  // Head blocks of 4, then 2, then 1 (DecodeTile): K is read once per block, V once per PV
  // pass of min(pv_heads, block) heads.
  const double passes = static_cast<double>(g / 4 + (g % 4) / 2 + (g % 2));
  const bool f32 = dims.kv_elem_bytes() == 4;
  const int64_t pv_heads = f32 ? blk.pv_heads_f32 : blk.pv_heads_f16;
  const auto v_passes_of = [&](int64_t block) { return block / std::min(pv_heads, block); };
  const double v_passes =
      static_cast<double>((g / 4) * v_passes_of(4) + ((g % 4) / 2) * v_passes_of(2) + (g % 2));
  const int splits = static_cast<int>(DecodeSplits(dims, ctx.threads));
  const double rows = static_cast<double>(DecodeTileRows(dims));
  const double tiles = B * Hkv * splits * std::ceil(C / splits / rows);
  const double kv_l1 = k_bytes * passes + v_bytes * v_passes;
  // A query element is broadcast once per dimension and score step of a key block (one
  // broadcast serves the step's row vectors).
  const double q_l1 = B * H * Cp * D * 4.0 / static_cast<double>(blk.key_step_rows);
  // Per score: its weight stored, the running sum's float loaded and stored, then the weight
  // loaded by the PV (DecodePvWeightLoads).
  const double score_l1 = B * H * C * 4.0 * (3.0 + DecodePvWeightLoads(dims, blk));
  // Per tile and head: the accumulator loaded and stored once (the rescale rides the load).
  const double acc_l1 = B * H * (tiles / (B * Hkv)) * D * 8.0;
  const double edge_l1 = B * H * D * 4.0 * 4.0 + (splits > 1 ? B * H * splits * (D + 2) * 8 : 0);
  w.bytes[0] = kv_l1 + q_l1 + score_l1 + acc_l1 + edge_l1;
  // K read again by each head block after the first, V by each PV pass after the first: from
  // L1 while a K and a V tile fit its usable part, from L2 beyond (16 KiB tiles).
  const double rereads = k_bytes * (passes - 1.0) + v_bytes * (v_passes - 1.0);
  const int tile_level = ResidentLevel(2.0 * rows * D * eb * std::max(1, ctx.threads), ctx);
  for (int l = 1; l <= std::min(tile_level, 2); ++l) w.bytes[static_cast<size_t>(l)] += rereads;

  w.derivation = {
      Fmt("flops: B*H*ctx*(4*D+2) + 2*B*H*D = %.4g (q.k and p.v 2 flops per multiply-add, "
          "max-subtract and sum per score, scale and normalise per element)",
          w.flops),
      Fmt("exp: B*H*ctx = %.4g evaluations, not counted as flops", exps),
      Fmt("compulsory: q %.4g B + K,V %.4g B (read once per KV head, shared by group %.0f) + "
          "out",
          q_bytes, kv_bytes, G),
      DescribeStream("working set", w.compulsory_bytes, level) + " once per run",
      Fmt("L1: K loaded %.0f times (once per block of 4 query heads), V %.0f times (once per "
          "PV pass of up to %.0f heads)",
          passes, v_passes, static_cast<double>(pv_heads)) +
          Fmt(" + q per key-block vector (%.4g B) + weights and running sums (%.4g B)", q_l1,
              score_l1) +
          Fmt(" + accumulators (%.4g B) + q, out, split partials (%.4g B)", acc_l1, edge_l1),
      Fmt("K and V re-read by later head blocks and PV passes: %.4g B (a K and a V tile take "
          "%.4g B), from ",
          rereads, 2.0 * rows * D * eb) +
          (tile_level == 0 ? "L1" : "L2"),
  };
  return w;
}

// attn_prefill_naive / attn_prefill_flash. Flops, for both: per causal (query, key) pair
// (tokens (tokens + 1) / 2 per head) q.k and p v at 2 D each plus 3 for the softmax (scale,
// subtract the max, add to the sum), and per query row D for the normalisation; exp() once
// per pair, not counted. Both are held to these useful flops: flash's masked work in diagonal
// tiles and naive's whole upper triangle (it computes the full square and masks it, about
// twice the useful multiply-adds) are overhead, listed in the derivation, not counted.
// Traffic: Q, K, V, O cross every level out to where the working set lives once per run; the
// packed K^T and V (written once per run) are re-read, a key tile per query block and tile
// visited, from where one KV head's packed data fits (flash: once per block of the KV head's
// query heads, which take the tile in turn, the other group - 1 reads from L2; naive: per
// query head); per tile visit a query block re-reads
// its Q rows from L2 (Q block, K^T panel and V tile together exceed L1). Naive adds its score
// matrix: written by QK^T, read and written by the softmax pass (each row stays in L1 between
// its sweeps), read by PV: 4 x its size at the level where one matrix per thread lives. Flash
// instead moves its score tile and accumulator at the level its scratch lives. L1 counts the
// micro-kernel loads and stores (GemmL1Bytes), the softmax sweeps, packing and output copies.
WorkModel AttnPrefillModel(const AttnPrefillDims& dims, bool flash, const ModelContext& ctx) {
  const double T = static_cast<double>(dims.tokens), H = static_cast<double>(dims.heads);
  const double Hkv = static_cast<double>(dims.kv_heads), D = static_cast<double>(dims.head_dim);
  const AttnBlocking blk = ModelBlocking(ctx);
  const double micro_cols = static_cast<double>(blk.micro_columns);
  const double lanes = static_cast<double>(blk.lanes);
  const PrefillLayout lay = MakePrefillLayout(dims, blk.lanes);
  const double tp = static_cast<double>(lay.padded_tokens);
  const double dp = static_cast<double>(lay.padded_dim);
  const double bk = static_cast<double>(lay.key_tile);
  const double bq = static_cast<double>(kPrefillQueryBlock);
  WorkModel w;
  w.precision = "fp32";
  const double pairs = T * (T + 1.0) / 2.0;
  w.flops = H * (pairs * (4.0 * D + 3.0) + T * D);
  w.compulsory_bytes = (2.0 * H + 2.0 * Hkv) * T * D * 4.0;
  const double packed = Hkv * (D * tp + tp * dp) * 4.0;
  const double per_head_packed = (D * tp + tp * dp) * 4.0;
  const double threads = std::max(1, ctx.threads);

  // Key tiles the query blocks visit (flash: up to the diagonal; naive: all), and L1 bytes.
  double tile_visits = 0, l1 = 0;
  const int64_t blocks = PrefillQueryBlocks(dims);
  for (int64_t qb = 0; qb < blocks; ++qb) {
    const double i0 = static_cast<double>(qb) * bq;
    const double nr = std::min(bq, T - i0);
    const double tiles = flash ? std::ceil((i0 + nr) / bk) : tp / bk;
    tile_visits += tiles;
    const double qk = tiles * GemmL1Bytes(nr, bk, D, false, micro_cols);
    const double pv = tiles * GemmL1Bytes(nr, dp, bk, true, micro_cols);
    double softmax;
    if (flash) {
      // Per tile and row: max sweep, exp read + write, the row's vector of partial sums read
      // + written, accumulator rescale (counted for every tile: an upper bound, as the max
      // rarely moves by the slack); per block: zero the accumulator and the sums, normalise
      // into out.
      softmax = tiles * nr * (12.0 * bk + 8.0 * lanes + 8.0 * dp) +
                nr * (2.0 * dp * 4.0 + 4.0 * lanes + D * 4.0);
    } else {
      // Per row: max sweep, exp read + write, normalise read + write over all tp columns, and
      // the mask fill of the columns past the row; per block: zero the accumulator, copy out.
      double masked = 0;
      for (double r = 0; r < nr; ++r) masked += tp - (i0 + r + 1.0);
      softmax = nr * tp * 20.0 + masked * 4.0 + nr * (2.0 * dp * 4.0 + D * 4.0);
    }
    l1 += H * (qk + pv + softmax);
  }
  const double pack_l1 = Hkv * T * D * 8.0 + packed;  // read K, V; write K^T, V padded
  w.bytes[0] = l1 + pack_l1;

  const int level = ResidentLevel(w.compulsory_bytes + packed, ctx);
  AddAt(&w.bytes, w.compulsory_bytes, level);
  const int packed_level = ResidentLevel(packed, ctx);
  AddAt(&w.bytes, packed, packed_level);  // the packing writes
  const int kv_level = ResidentLevel(per_head_packed * threads, ctx);
  const double tile_bytes = (D * bk + bk * dp) * 4.0;
  // Flash's query heads of one KV head take each tile in turn, so it crosses from kv_level
  // once per KV head and block, and the other heads find it in L2.
  const double outer_heads = flash ? Hkv : H;
  const double reread = outer_heads * tile_visits * tile_bytes;
  AddAt(&w.bytes, reread, kv_level);
  AddAt(&w.bytes, (H - outer_heads) * tile_visits * tile_bytes, 1);
  const double q_reread = H * tile_visits * bq * D * 4.0;
  AddAt(&w.bytes, q_reread, 1);
  const double executed = H * tile_visits * bq * bk * 4.0 * D;  // multiply-add flops issued
  w.derivation = {
      Fmt("flops: H*T(T+1)/2*(4*D+3) + H*T*D = %.4g useful (q.k, p.v, scale, subtract, sum per "
          "causal pair; normalise per row); the tiles issue %.4g multiply-add flops",
          w.flops, executed),
      Fmt("exp: H*T(T+1)/2 = %.4g evaluations on causal pairs, not counted as flops", H * pairs),
      DescribeStream("Q, K, V, O", w.compulsory_bytes, level) + " once per run",
      DescribeStream("packed K^T and V written", packed, packed_level),
      DescribeStream(flash ? "packed key tiles re-read per block of a KV head's query heads"
                           : "packed key tiles re-read per query block",
                     reread, kv_level),
      Fmt("Q blocks re-read per key tile from L2: %.4g B; L1: micro-kernel, softmax and "
          "packing loads and stores %.4g B",
          q_reread, w.bytes[0]),
  };
  if (!flash) {
    const double s_head = T * tp * 4.0;
    const int s_level = ResidentLevel(s_head * threads, ctx);
    const double s_traffic = 4.0 * H * s_head;
    AddAt(&w.bytes, s_traffic, s_level);
    w.derivation.push_back(
        DescribeStream("score matrix S (tokens x tokens)", s_head, s_level) +
        Fmt(" per head: written, read + written (softmax), read (PV) = %.4g B per run", s_traffic));
  } else {
    const int scratch_level =
        ResidentLevel(static_cast<double>(lay.flash_scratch_floats) * 4.0 * threads, ctx);
    const double tile_traffic = H * tile_visits * bq * (4.0 * bk + 2.0 * dp) * 4.0;
    AddAt(&w.bytes, tile_traffic, scratch_level);
    w.derivation.push_back(
        DescribeStream("score tile and accumulator", tile_traffic, scratch_level) +
        " (nothing tokens x tokens)");
  }
  return w;
}

// ------------------------------------------------------------------------------------------
// Workloads.

namespace {

// Each thread's share of per-thread scratch starts on its own 4 KiB page.
size_t PageFloats(size_t floats) { return (floats + 1023) / 1024 * 1024; }

class AttnDecodeWorkload : public Workload {
 public:
  explicit AttnDecodeWorkload(const AttnDecodeDims& dims) : dims_(dims) {}
  std::string name() const override { return "attn_decode"; }
  Shape shape() const override {
    return {{"batch", dims_.batch},       {"heads", dims_.heads}, {"kv_heads", dims_.kv_heads},
            {"head_dim", dims_.head_dim}, {"ctx", dims_.ctx},     {"kv_bits", dims_.kv_bits}};
  }
  std::string description() const override {
    return "decode attention over a KV cache (" + std::string(dims_.kv_bits == 16 ? "f16" : "f32") +
           " cache, group " + std::to_string(dims_.group()) + ")";
  }
  WorkModel Model(const ModelContext& ctx) const override { return AttnDecodeModel(dims_, ctx); }

  void Setup(int threads) override {
    threads_ = std::max(1, threads);
    const size_t q_floats = static_cast<size_t>(dims_.q_elems());
    const size_t k_bytes = static_cast<size_t>(dims_.k_elems() * dims_.kv_elem_bytes());
    const size_t v_bytes = static_cast<size_t>(dims_.v_elems() * dims_.kv_elem_bytes());
    scratch_floats_ = PageFloats(DecodeScratchFloats(dims_));
    const size_t partial_floats = DecodePartialFloats(dims_, threads_);
    CheckFitsInMemory(2 * q_floats * 4 + k_bytes + v_bytes +
                          (scratch_floats_ * static_cast<size_t>(threads_) + partial_floats) * 4,
                      "attn_decode buffers");
    q_ = AllocateAligned(q_floats * 4);
    out_ = AllocateAligned(q_floats * 4);
    k_ = AllocateAligned(k_bytes);
    v_ = AllocateAligned(v_bytes);
    scratch_ = AllocateAligned(scratch_floats_ * static_cast<size_t>(threads_) * 4);
    partials_ = AllocateAligned(std::max<size_t>(partial_floats, 1) * 4);
    scratch_ptrs_.resize(static_cast<size_t>(threads_));
    float* scratch = reinterpret_cast<float*>(scratch_.get());
    for (int t = 0; t < threads_; ++t) {
      scratch_ptrs_[static_cast<size_t>(t)] = scratch + scratch_floats_ * static_cast<size_t>(t);
    }
    const int64_t splits = DecodeSplits(dims_, threads_);
    const int64_t units = dims_.batch * dims_.kv_heads * splits;
    const size_t dim = static_cast<size_t>(dims_.head_dim);
    const size_t group = static_cast<size_t>(dims_.group());
    float* q = reinterpret_cast<float*>(q_.get());
    float* out = reinterpret_cast<float*>(out_.get());
    float* partials = reinterpret_cast<float*>(partials_.get());
    // First touch with the kernel's partition: each thread writes the K/V rows, queries,
    // outputs, partials and scratch it will use.
#pragma omp parallel num_threads(threads_)
    {
      const int tid = omp_get_thread_num();
      int64_t u0, u1;
      StaticRange(units, omp_get_num_threads(), tid, &u0, &u1);
      for (int64_t u = u0; u < u1; ++u) {
        const int64_t pair = u / splits, piece = u % splits;
        int64_t c0, c1;
        DecodePieceRows(dims_, splits, piece, &c0, &c1);
        const int64_t b = pair / dims_.kv_heads, kvh = pair % dims_.kv_heads;
        // K in the order it is stored, padding rows (t >= ctx) zero; element values follow
        // the logical [pair, t, i] index, as V's do.
        for (int64_t t0 = c0; t0 < RoundUp(c1, kDecodeKeyBlock); t0 += kDecodeKeyBlock) {
          for (int64_t i = 0; i < dims_.head_dim; ++i) {
            for (int64_t t = t0; t < t0 + kDecodeKeyBlock; ++t) {
              const auto at = static_cast<size_t>(DecodeKeyIndex(dims_, b, kvh, t, i));
              const float kv =
                  t < dims_.ctx
                      ? InputValue(
                            static_cast<uint64_t>((pair * dims_.ctx + t) * dims_.head_dim + i), 1)
                      : 0.0f;
              if (dims_.kv_bits == 16) {
                reinterpret_cast<uint16_t*>(k_.get())[at] = F32ToF16(kv);
              } else {
                reinterpret_cast<float*>(k_.get())[at] = kv;
              }
            }
          }
        }
        const size_t first = (static_cast<size_t>(pair * dims_.ctx + c0)) * dim;
        const size_t last = (static_cast<size_t>(pair * dims_.ctx + c1)) * dim;
        for (size_t i = first; i < last; ++i) {
          const float vv = InputValue(i, 2);
          if (dims_.kv_bits == 16) {
            reinterpret_cast<uint16_t*>(v_.get())[i] = F32ToF16(vv);
          } else {
            reinterpret_cast<float*>(v_.get())[i] = vv;
          }
        }
        if (piece == 0) {
          const size_t q0 = static_cast<size_t>(pair) * group * dim;
          for (size_t i = q0; i < q0 + group * dim; ++i) {
            q[i] = InputValue(i, 3);
            out[i] = 0.0f;
          }
        }
        if (splits > 1) {
          const size_t pf = group * (dim + 2);
          for (size_t i = static_cast<size_t>(u) * pf; i < static_cast<size_t>(u + 1) * pf; ++i) {
            partials[i] = 0.0f;
          }
        }
      }
      float* mine = scratch_ptrs_[static_cast<size_t>(tid)];
      for (size_t i = 0; i < scratch_floats_; ++i) mine[i] = 0.0f;
    }
  }

  double Run(int64_t target) override {
    AttnDecodeData data;
    data.dims = dims_;
    data.threads = threads_;
    data.q = reinterpret_cast<const float*>(q_.get());
    data.k = k_.get();
    data.v = v_.get();
    data.out = reinterpret_cast<float*>(out_.get());
    data.scratch = scratch_ptrs_.data();
    data.partials = reinterpret_cast<float*>(partials_.get());
    RunAttnDecode(target, data);
    double sum = 0;
    for (int64_t i = 0; i < dims_.q_elems(); ++i) sum += data.out[i];
    return sum;
  }

  double Verify() override {
    // Every head when there are few; otherwise 64 (batch, head) pairs spread evenly.
    const int64_t heads = dims_.batch * dims_.heads;
    const int64_t samples = std::min<int64_t>(heads, 64);
    const float* out = reinterpret_cast<const float*>(out_.get());
    double worst = 0;
    for (int64_t s = 0; s < samples; ++s) {
      const int64_t bh = s * heads / samples;
      const AttnReferenceRow ref =
          AttnDecodeReference(dims_, reinterpret_cast<const float*>(q_.get()), k_.get(), v_.get(),
                              bh / dims_.heads, bh % dims_.heads);
      for (int64_t i = 0; i < dims_.head_dim; ++i) {
        const double err = std::fabs(out[bh * dims_.head_dim + i] - ref.value[i]);
        worst = WorseError(worst, err / ref.tolerance[static_cast<size_t>(i)]);
      }
    }
    return worst;
  }

 private:
  AttnDecodeDims dims_;
  int threads_ = 1;
  size_t scratch_floats_ = 0;
  AlignedBuffer q_, k_, v_, out_, scratch_, partials_;
  std::vector<float*> scratch_ptrs_;
};

class AttnPrefillWorkload : public Workload {
 public:
  AttnPrefillWorkload(const AttnPrefillDims& dims, bool flash) : dims_(dims), flash_(flash) {}
  std::string name() const override { return flash_ ? "attn_prefill_flash" : "attn_prefill_naive"; }
  Shape shape() const override {
    return {{"tokens", dims_.tokens},
            {"heads", dims_.heads},
            {"kv_heads", dims_.kv_heads},
            {"head_dim", dims_.head_dim}};
  }
  std::string description() const override {
    return flash_ ? "causal prefill attention, tiled with online softmax"
                  : "causal prefill attention, score matrix materialised";
  }
  WorkModel Model(const ModelContext& ctx) const override {
    return AttnPrefillModel(dims_, flash_, ctx);
  }

  void Setup(int threads) override {
    threads_ = std::max(1, threads);
    max_lanes_ = MaxLanes();
    const PrefillLayout lay = MakePrefillLayout(dims_, max_lanes_);
    const size_t qo = static_cast<size_t>(dims_.heads * dims_.tokens * dims_.head_dim);
    const size_t kv = static_cast<size_t>(dims_.kv_heads * dims_.tokens * dims_.head_dim);
    scratch_floats_ = PageFloats(flash_ ? lay.flash_scratch_floats : lay.naive_scratch_floats);
    CheckFitsInMemory(4 * (2 * qo + 2 * kv + lay.kt_floats + lay.vp_floats +
                           scratch_floats_ * static_cast<size_t>(threads_)),
                      name() + " buffers");
    q_ = AllocateAligned(qo * 4);
    out_ = AllocateAligned(qo * 4);
    k_ = AllocateAligned(kv * 4);
    v_ = AllocateAligned(kv * 4);
    kt_ = AllocateAligned(lay.kt_floats * 4);
    vp_ = AllocateAligned(lay.vp_floats * 4);
    scratch_ = AllocateAligned(scratch_floats_ * static_cast<size_t>(threads_) * 4);
    scratch_ptrs_.resize(static_cast<size_t>(threads_));
    for (int t = 0; t < threads_; ++t) {
      scratch_ptrs_[static_cast<size_t>(t)] =
          reinterpret_cast<float*>(scratch_.get()) + scratch_floats_ * static_cast<size_t>(t);
    }
    const int64_t key_tiles = lay.padded_tokens / lay.key_tile;
    const int64_t blocks = PrefillQueryBlocks(dims_);
    const size_t dim = static_cast<size_t>(dims_.head_dim);
    const size_t tokens = static_cast<size_t>(dims_.tokens);
    float* q = reinterpret_cast<float*>(q_.get());
    float* out = reinterpret_cast<float*>(out_.get());
    float* k = reinterpret_cast<float*>(k_.get());
    float* v = reinterpret_cast<float*>(v_.get());
    float* kt = reinterpret_cast<float*>(kt_.get());
    float* vp = reinterpret_cast<float*>(vp_.get());
    const size_t tp = static_cast<size_t>(lay.padded_tokens);
    const size_t dp = static_cast<size_t>(lay.padded_dim);
    const size_t bk = static_cast<size_t>(lay.key_tile);
    // First touch with the kernel's partitions: packing (K, V, packed copies) by contiguous
    // (KV head, key tile) ranges. Run hands query blocks (flash) and heads (naive) out
    // dynamically, so no thread owns Q and O rows: they are touched by query block
    // round-robin, which spreads their pages over the threads' memory.
#pragma omp parallel num_threads(threads_)
    {
      const int tid = omp_get_thread_num();
      const int nth = omp_get_num_threads();
      int64_t u0, u1;
      StaticRange(dims_.kv_heads * key_tiles, nth, tid, &u0, &u1);
      for (int64_t u = u0; u < u1; ++u) {
        const size_t kvh = static_cast<size_t>(u / key_tiles);
        const size_t j0 = static_cast<size_t>(u % key_tiles) * bk;
        for (size_t j = j0; j < j0 + bk; ++j) {
          if (j < tokens) {
            for (size_t i = 0; i < dim; ++i) {
              const size_t idx = (kvh * tokens + j) * dim + i;
              k[idx] = InputValue(idx, 4);
              v[idx] = InputValue(idx, 5);
            }
          }
          for (size_t i = 0; i < dp; ++i) vp[(kvh * tp + j) * dp + i] = 0.0f;
        }
        float* panel = kt + (kvh * (tp / bk)) * dim * bk + j0 * dim;
        for (size_t i = 0; i < dim * bk; ++i) panel[i] = 0.0f;
      }
      const auto touch_rows = [&](size_t h, size_t r0, size_t r1) {
        for (size_t i = (h * tokens + r0) * dim; i < (h * tokens + r1) * dim; ++i) {
          q[i] = InputValue(i, 6);
          out[i] = 0.0f;
        }
      };
      for (int64_t u = tid; u < dims_.heads * blocks; u += nth) {
        const size_t r0 = static_cast<size_t>((u % blocks) * kPrefillQueryBlock);
        touch_rows(static_cast<size_t>(u / blocks), r0,
                   std::min(tokens, r0 + static_cast<size_t>(kPrefillQueryBlock)));
      }
      float* mine = scratch_ptrs_[static_cast<size_t>(tid)];
      for (size_t i = 0; i < scratch_floats_; ++i) mine[i] = 0.0f;
    }
  }

  double Run(int64_t target) override {
    AttnPrefillData data;
    data.dims = dims_;
    data.threads = threads_;
    data.flash = flash_;
    data.q = reinterpret_cast<const float*>(q_.get());
    data.k = reinterpret_cast<const float*>(k_.get());
    data.v = reinterpret_cast<const float*>(v_.get());
    data.out = reinterpret_cast<float*>(out_.get());
    data.kt = reinterpret_cast<float*>(kt_.get());
    data.vp = reinterpret_cast<float*>(vp_.get());
    data.scratch = scratch_ptrs_.data();
    data.max_lanes = max_lanes_;
    RunAttnPrefill(target, data);
    // One element per output row keeps every row's work observable at negligible cost.
    double sum = 0;
    for (int64_t r = 0; r < dims_.heads * dims_.tokens; ++r) sum += data.out[r * dims_.head_dim];
    return sum;
  }

  double Verify() override {
    // Up to 8 heads (first, last, spread between) x 16 rows (first, last, spread between);
    // each reference row costs O(i D), so this stays well under a second at 2048 tokens.
    const int64_t hs = std::min<int64_t>(dims_.heads, 8);
    const int64_t rs = std::min<int64_t>(dims_.tokens, 16);
    const float* out = reinterpret_cast<const float*>(out_.get());
    double worst = 0;
    for (int64_t a = 0; a < hs; ++a) {
      const int64_t h = hs == 1 ? 0 : a * (dims_.heads - 1) / (hs - 1);
      for (int64_t b = 0; b < rs; ++b) {
        const int64_t i = rs == 1 ? 0 : b * (dims_.tokens - 1) / (rs - 1);
        const AttnReferenceRow ref =
            AttnPrefillReference(dims_, reinterpret_cast<const float*>(q_.get()),
                                 reinterpret_cast<const float*>(k_.get()),
                                 reinterpret_cast<const float*>(v_.get()), h, i);
        for (int64_t c = 0; c < dims_.head_dim; ++c) {
          const double err =
              std::fabs(out[(h * dims_.tokens + i) * dims_.head_dim + c] - ref.value[c]);
          worst = WorseError(worst, err / ref.tolerance[static_cast<size_t>(c)]);
        }
      }
    }
    return worst;
  }

 private:
  AttnPrefillDims dims_;
  bool flash_;
  int threads_ = 1;
  int64_t max_lanes_ = 1;
  size_t scratch_floats_ = 0;
  AlignedBuffer q_, k_, v_, out_, kt_, vp_, scratch_;
  std::vector<float*> scratch_ptrs_;
};

void CheckHeads(const std::string& kernel, int64_t heads, int64_t kv_heads) {
  if (heads % kv_heads != 0) {
    throw UsageError("--shape: " + kernel + " needs heads (" + std::to_string(heads) +
                     ") to be a multiple of kv_heads (" + std::to_string(kv_heads) + ")");
  }
}

Shape PrefillShape(int64_t tokens, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  return {{"tokens", tokens}, {"heads", heads}, {"kv_heads", kv_heads}, {"head_dim", head_dim}};
}

Shape DecodeShape(int64_t batch, int64_t heads, int64_t kv_heads, int64_t head_dim, int64_t ctx,
                  int64_t kv_bits) {
  return {{"batch", batch},       {"heads", heads}, {"kv_heads", kv_heads},
          {"head_dim", head_dim}, {"ctx", ctx},     {"kv_bits", kv_bits}};
}

}  // namespace

void RegisterAttentionKernels(std::vector<KernelInfo>* out) {
  KernelInfo decode;
  decode.name = "attn_decode";
  decode.summary = "one new token per sequence attends to its KV cache (MHA/GQA/MQA, f32/f16)";
  decode.dims = {"batch", "heads", "kv_heads", "head_dim", "ctx", "kv_bits"};
  decode.default_shape = DecodeShape(1, 32, 8, 128, 2048, 32);
  // kv_heads picks the attention form: heads for MHA, 1 for MQA, between for GQA (4 query heads
  // per KV head here, as in Llama-3-8B and Mistral-7B).
  decode.suite = {
      decode.default_shape,                  // GQA, 16 MiB cache: fits the last-level cache
      DecodeShape(1, 32, 8, 128, 2048, 16),  // the same with an f16 cache
      DecodeShape(8, 32, 8, 128, 2048, 32),  // batch 8: 128 MiB, past the last-level cache
      DecodeShape(8, 32, 8, 128, 2048, 16),  // the same with an f16 cache (64 MiB)
      DecodeShape(8, 32, 8, 128, 8192, 32),  // 512 MiB cache: streams from DRAM
  };
  decode.make = [](const Shape& given) -> std::unique_ptr<Workload> {
    AttnDecodeDims d;
    d.batch = ShapeValue(given, "batch", d.batch);
    d.heads = ShapeValue(given, "heads", d.heads);
    d.kv_heads = ShapeValue(given, "kv_heads", d.kv_heads);
    d.head_dim = ShapeValue(given, "head_dim", d.head_dim);
    d.ctx = ShapeValue(given, "ctx", d.ctx);
    const int64_t bits = ShapeValue(given, "kv_bits", d.kv_bits);
    if (bits != 16 && bits != 32) {
      throw UsageError("--shape: attn_decode kv_bits must be 32 (f32 cache) or 16 (f16 cache)");
    }
    d.kv_bits = static_cast<int>(bits);
    CheckHeads("attn_decode", d.heads, d.kv_heads);
    CheckFitsInMemory(
        static_cast<uint64_t>(2.0 * static_cast<double>(d.batch) * static_cast<double>(d.kv_heads) *
                              static_cast<double>(d.ctx) * static_cast<double>(d.head_dim) *
                              (bits / 8)),
        "attn_decode KV cache");
    return std::make_unique<AttnDecodeWorkload>(d);
  };
  out->push_back(decode);

  for (const bool flash : {false, true}) {
    KernelInfo prefill;
    prefill.name = flash ? "attn_prefill_flash" : "attn_prefill_naive";
    prefill.summary = flash ? "causal prefill attention: tiled, online softmax, no score matrix"
                            : "causal prefill attention: score matrix, softmax pass, then PV";
    prefill.dims = {"tokens", "heads", "kv_heads", "head_dim"};
    prefill.default_shape = PrefillShape(2048, 32, 8, 128);
    // 512 tokens keeps the naive score matrix (32 MiB for 32 heads) and the run short; naive and
    // flash run the same shape so the pair compares directly.
    prefill.suite = {PrefillShape(512, 32, 8, 128)};
    prefill.make = [flash](const Shape& given) -> std::unique_ptr<Workload> {
      AttnPrefillDims d;
      d.tokens = ShapeValue(given, "tokens", d.tokens);
      d.heads = ShapeValue(given, "heads", d.heads);
      d.kv_heads = ShapeValue(given, "kv_heads", d.kv_heads);
      d.head_dim = ShapeValue(given, "head_dim", d.head_dim);
      CheckHeads(flash ? "attn_prefill_flash" : "attn_prefill_naive", d.heads, d.kv_heads);
      const double t = static_cast<double>(d.tokens);
      CheckFitsInMemory(static_cast<uint64_t>(4.0 * t * static_cast<double>(d.head_dim) *
                                              static_cast<double>(2 * d.heads + 4 * d.kv_heads)),
                        "attention prefill buffers");
      return std::make_unique<AttnPrefillWorkload>(d, flash);
    };
    out->push_back(prefill);
  }
}

}  // namespace roofprof
#endif  // HWY_ONCE
