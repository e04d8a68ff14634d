// Attention kernels: one-token decode over a KV cache (MHA, GQA, MQA; f32 or f16 cache) and
// causal prefill, naive (materialised score matrix) beside flash (tiled, online softmax).
#ifndef ROOFPROF_KERNELS_ATTENTION_H_
#define ROOFPROF_KERNELS_ATTENTION_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/quant.h"  // F16ToF32, F32ToF16: the f16 KV cache's 16-bit patterns
#include "kernels/workload.h"

namespace roofprof {

class TouchCounter;

// Unit roundoff of f32 arithmetic, the precision every attention kernel computes in.
inline constexpr double kAttnUnitRoundoff = 0x1p-24;

// ---------------------------------------------------------------------------------------------
// Decode: q [batch, heads, head_dim] f32 attends to a K and a V cache (f32 or f16);
// out [batch, heads, head_dim] f32. out = softmax(q K^T / sqrt(head_dim)) V. Query head h
// reads KV head h / group, where group = heads / kv_heads (1: MHA, heads: MQA, in between: GQA).
// V is [batch, kv_heads, ctx, head_dim]. K is kept the way paged-attention engines keep it, in
// blocks of kDecodeKeyBlock tokens stored dimension by dimension:
// [batch, kv_heads, ctx_blocks, head_dim, kDecodeKeyBlock], the last block zero padded. A
// vector then holds one dimension of up to 16 tokens (16 lanes; 8 or 4 lanes take 2 or 4
// vectors), so q.k for those tokens is head_dim multiply-adds of a broadcast query element into
// one accumulator per vector, with no sum across lanes (row-major K needs one per score: ~3
// vector instructions beside 8 multiply-adds at head_dim 128 on AVX-512). Token t's dimension
// i is at DecodeKeyIndex(dims, b, kvh, t, i).
inline constexpr int64_t kDecodeKeyBlock = 16;

struct AttnDecodeDims {
  int64_t batch = 1;
  int64_t heads = 32;
  int64_t kv_heads = 8;
  int64_t head_dim = 128;
  int64_t ctx = 2048;
  int kv_bits = 32;  // 32: f32 cache, 16: f16 cache

  int64_t group() const { return heads / kv_heads; }
  int64_t kv_elem_bytes() const { return kv_bits / 8; }
  int64_t q_elems() const { return batch * heads * head_dim; }
  // ctx rounded up to whole key blocks: the K cache's tokens per (batch, KV head).
  int64_t padded_ctx() const {
    return (ctx + kDecodeKeyBlock - 1) / kDecodeKeyBlock * kDecodeKeyBlock;
  }
  int64_t k_elems() const { return batch * kv_heads * padded_ctx() * head_dim; }
  int64_t v_elems() const { return batch * kv_heads * ctx * head_dim; }
};

// Element offset of token t, dimension i within one KV head's K cache (head_dim dimensions).
inline int64_t DecodeKeyOffset(int64_t head_dim, int64_t t, int64_t i) {
  return (t / kDecodeKeyBlock * head_dim + i) * kDecodeKeyBlock + t % kDecodeKeyBlock;
}

// Element index of token t, dimension i of KV head kvh of batch b in the K cache.
inline int64_t DecodeKeyIndex(const AttnDecodeDims& dims, int64_t b, int64_t kvh, int64_t t,
                              int64_t i) {
  return (b * dims.kv_heads + kvh) * dims.padded_ctx() * dims.head_dim +
         DecodeKeyOffset(dims.head_dim, t, i);
}

// Bytes of K (and of V) per tile: kDecodeTileBytes, or kDecodeHeavyTileBytes where
// DecodeComputeHeavy, in whole key blocks (at least one, kDecodeMinTileRows rows; more where
// one key block is larger: 16 rows of over 1 KiB, head_dim 512 f32 or 1024 f16). Heavy decode
// spends its time in the multiply-adds, and longer tiles spread the per-tile work (accumulator
// loads and stores per head block) over more rows; it also prefetches the next tile, without
// which the hardware prefetchers fell behind on longer tiles. Zen 4
// guest, GQA 32/8 f16 head_dim 128 (4 flops per byte), one thread, interleaved best of 3-4,
// GB/s of K+V: in L3, 4 / 8 / 16 KiB tiles 23.6 / 24.9 / 25.7; from DRAM (134 MB), 16 KiB
// tiles 24.9 with the prefetch, 13.4 without, 15.5 and 17.5 prefetching K or V alone; the
// 4 KiB tiles before 23.1. Light decode streams at the memory's pace and keeps short tiles
// and the hardware prefetchers alone: MHA head_dim 64 f16 (1 flop per byte) on 2 threads in
// fast-memory rounds moved 64.3 GB/s that way, 42.8-46.2 with the prefetch, 61.1 with 16 KiB
// tiles; GQA 32/8 f32 (2 flops per byte) moved 36.0 GB/s that way and 31.9 with 16 KiB tiles
// and the prefetch (slow-memory minutes, 2 threads).
inline constexpr int64_t kDecodeTileBytes = 4 * 1024;
inline constexpr int64_t kDecodeHeavyTileBytes = 16 * 1024;
inline constexpr int64_t kDecodeMinTileRows = kDecodeKeyBlock;
// Query heads sharing a KV head that one score pass over a K tile serves (each vector of a key
// block's dimension feeds one multiply-add per head: with 4 heads, 8 accumulators in flight, 16
// on NEON; see kScoreRowVecs in attention-inl.h). A larger group takes ceil(group / 4) passes over
// the L1 tile. The PV side serves them in passes of its own (kPvHeadsF32/F16 in attention-inl.h:
// f32 2 heads with 32 registers, else 4).
inline constexpr int64_t kDecodeGroupBlock = 4;
// A (batch, KV head) pair's ctx is split into at most this many pieces for parallelism, and no
// piece is shorter than kDecodeMinSplitRows rows (below that the final merge would cost more
// than the split saves).
inline constexpr int64_t kDecodeMinSplitRows = 256;

// Whether decode does at least 4 flops per byte of K and V (2 x group / element bytes: f16
// with 4 or more query heads per KV head, f32 with 8 or more), enough that the multiply-adds,
// not the stream, set its pace on a core: such decode takes kDecodeHeavyTileBytes tiles and
// prefetches the next one (attention-inl.h).
inline bool DecodeComputeHeavy(const AttnDecodeDims& dims) {
  return dims.group() >= 2 * dims.kv_elem_bytes();
}
int64_t DecodeTileRows(const AttnDecodeDims& dims);
struct AttnBlocking;
// Loads of each softmax weight by the PV loop of a target's blocking: one broadcast per
// column step, or one per multiply-add where the f16 PV embeds the broadcast
// (AttnBlocking::pv_embed_f16).
double DecodePvWeightLoads(const AttnDecodeDims& dims, const AttnBlocking& blk);
// Pieces each (batch, KV head) pair's ctx is split into so that `threads` threads share the
// work evenly: 1 when batch * kv_heads already divides among them.
int64_t DecodeSplits(const AttnDecodeDims& dims, int threads);
// Rows [*c0, *c1) of piece `piece` of `splits`: whole key blocks, the last piece up to ctx.
void DecodePieceRows(const AttnDecodeDims& dims, int64_t splits, int64_t piece, int64_t* c0,
                     int64_t* c1);
// Floats of per-thread scratch the decode kernel needs.
size_t DecodeScratchFloats(const AttnDecodeDims& dims);
// Floats of the split-ctx partial results (0 when no split).
size_t DecodePartialFloats(const AttnDecodeDims& dims, int threads);
// Thread `tid` of `threads` works on units [begin, end) of `units` (contiguous static
// partition; Setup and Run use the same one so each thread first-touches what it reads).
void StaticRange(int64_t units, int threads, int tid, int64_t* begin, int64_t* end);

// How an f16 cache is widened to f32: kAuto uses Highway's PromoteTo where the target has
// float16 support (HWY_HAVE_FLOAT16) and the portable scalar path elsewhere; kScalar forces
// the scalar path (converts each tile to an f32 scratch tile first), so tests cover it on
// every target.
enum class F16Path { kAuto, kScalar };

struct AttnDecodeData {
  AttnDecodeDims dims;
  int threads = 1;
  const float* q = nullptr;
  const void* k = nullptr;  // float or uint16_t (f16 bits), as dims.kv_bits says
  const void* v = nullptr;
  float* out = nullptr;
  float* const* scratch = nullptr;  // [threads], DecodeScratchFloats each
  float* partials = nullptr;        // DecodePartialFloats
  F16Path f16_path = F16Path::kAuto;
};

// Runs the decode kernel compiled for `target` with data.threads OpenMP threads.
void RunAttnDecode(int64_t target, const AttnDecodeData& data);

// ---------------------------------------------------------------------------------------------
// Prefill: causal self-attention over `tokens` tokens. Q and out [heads, tokens, head_dim],
// K and V [kv_heads, tokens, head_dim], all f32 (head-major, as the decode V cache). Token i
// attends to tokens 0..i.
struct AttnPrefillDims {
  int64_t tokens = 2048;
  int64_t heads = 32;
  int64_t kv_heads = 8;
  int64_t head_dim = 128;

  int64_t group() const { return heads / kv_heads; }
};

// Query rows per block. Flash keeps per block a score tile (64 x 64 x 4 B = 16 KiB) and an
// output accumulator (64 x 128 x 4 B = 32 KiB at head_dim 128) in L1/L2 while key tiles pass;
// each key tile (K^T 32 KiB + V 32 KiB) is then reused by 64 query rows, so K/V re-reads from
// L3 cost 2 x 128 x 4 B / 64 rows = 16 B per query row and key, against 4 x 128 = 512 flops.
inline constexpr int64_t kPrefillQueryBlock = 64;
// Keys per tile (rounded up to a multiple of the vector length): 64 columns is one row of
// four 512-bit micro-tile vectors, and K^T's tile (head_dim x 64 x 4 B = 32 KiB) fits L1d.
inline constexpr int64_t kPrefillKeyTile = 64;
// Micro-tile of the score and output products (C += A B, A broadcast, B rows as vectors):
// 4 rows x 4 vectors = 16 accumulators + 4 B vectors + 1 broadcast = 21 of 32 registers
// (AVX-512, NEON, SVE); 4 x 2 = 8 accumulators + 2 + 1 = 11 of 16 on SSE4/AVX2. 16 (8)
// accumulators cover FMA latency 4 x 2 pipes; per k step 4 broadcasts + 4 loads feed 16 FMAs
// (8 cycles of FMA for 4 cycles of loads at 2 loads/cycle).
inline constexpr int64_t kPrefillMicroRows = 4;

// Layout of the packed operands for a vector length of `lanes` floats, both zero padded: K^T
// per KV head as key tiles, each a contiguous [head_dim x key_tile] panel (a panel with rows
// padded_tokens apart would put all its rows in the same L1 sets at power-of-two token counts),
// and V per KV head [padded_tokens x padded_dim].
struct PrefillLayout {
  int64_t key_tile = 0;             // kPrefillKeyTile rounded up to a multiple of lanes
  int64_t padded_tokens = 0;        // tokens rounded up to key_tile
  int64_t padded_dim = 0;           // head_dim rounded up to lanes
  size_t kt_floats = 0;             // K^T, all KV heads
  size_t vp_floats = 0;             // padded V, all KV heads
  size_t naive_scratch_floats = 0;  // per thread: score matrix + output accumulator
  size_t flash_scratch_floats = 0;  // per thread: score tile + per query head of a KV head:
                                    // accumulator + maxes + sum vectors
};
PrefillLayout MakePrefillLayout(const AttnPrefillDims& dims, int64_t lanes);

struct AttnPrefillData {
  AttnPrefillDims dims;
  int threads = 1;
  bool flash = true;
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  float* out = nullptr;
  float* kt = nullptr;  // packed K^T, capacity MakePrefillLayout(dims, max_lanes).kt_floats
  float* vp = nullptr;  // packed V
  float* const* scratch = nullptr;  // [threads]
  int64_t max_lanes = 1;            // lanes the buffers were sized for (>= the target's)
};

// Runs naive or flash prefill compiled for `target` with data.threads OpenMP threads.
void RunAttnPrefill(int64_t target, const AttnPrefillData& data);

// y[i] = 2^x[i] as the prefill softmax computes it (for tests): within 1 ulp (2^-23 relative)
// for x in [-125, 64]; below that, and -inf, the result is at most 2^-124.
void RunAttnExp2(int64_t target, const float* x, size_t n, float* y);

// Partitions: packing splits (KV head, key tile) units into contiguous ranges (Setup first-
// touches with the same split). Flash hands (head, query block) units out dynamically, the
// largest causal blocks first, and naive whole heads: a thread slowed by a busy sibling or a
// smaller core (hybrid CPUs) takes fewer units instead of holding the others at the end.
int64_t PrefillQueryBlocks(const AttnPrefillDims& dims);

// Register blocking a target's code uses (the work models follow the best target's).
struct AttnBlocking {
  int64_t lanes = 1;          // f32 lanes per vector
  int64_t key_step_rows = 1;  // decode: key-block rows per score step (vectors x lanes)
  int64_t pv_heads_f32 = 1;   // decode: query heads per PV pass over a V tile, f32 KV
  int64_t pv_heads_f16 = 1;   // decode: the same, f16 KV
  int64_t pv_vecs[5] = {};    // decode: vectors of head_dim per PV step, by heads per pass
  bool pv_embed_f16 = false;  // decode, f16 KV: each PV multiply-add loads its weight
  int64_t micro_columns = 1;  // prefill: columns of a micro-tile
};
AttnBlocking AttnTargetBlocking(int64_t target);

// ---------------------------------------------------------------------------------------------
// References and tolerances (double accumulation). For one query row attending to n keys:
// value[d] is the exact output; tolerance[d] bounds |kernel - exact| for f32 arithmetic:
//   score s_j = scale q.k_j: Es_j = 2 D u scale sum_d |q_d k_jd| + 2 u |s_j| (the dot-product
//     bound of DotTolerance plus the rounding of the scaled query);
//   unnormalised weight e_j = exp(s_j - m): relative error r_j <= Es_j + Es_max + 3 u |s_j - m|
//     + 4 u (the shift m is itself a computed score; the subtraction rounds, and so do the
//     scale multiply where it follows it (prefill) and that scale, log2(e)/sqrt(D) rounded
//     once; up to two exponentials of 1 ulp = 2u each touch it: its own and one rescale or
//     merge factor);
//   sums l = sum e_j and N_d = sum e_j v_jd over n terms: n u for the recursive summation
//     and n u for the per-tile rescales (at most one per term), so 2 n u;
//   out = N_d / l: |err_d| <= sum_j p_j |v_jd| (r_j + 2 n u) + |o_d| (sum_j p_j r_j + 2 n u)
//     + u |o_d|,
// doubled for second-order terms and reassociation across lanes (as DotTolerance does).
struct AttnReferenceRow {
  std::vector<double> value;
  std::vector<double> tolerance;
};

// Output row of query head h of batch b. When `out` is given, the row is also stored there
// (rounded to f32, at its place in [batch, heads, head_dim]); `counter`, when given, records
// every byte the reference reads and writes.
AttnReferenceRow AttnDecodeReference(const AttnDecodeDims& dims, const float* q, const void* k,
                                     const void* v, int64_t b, int64_t h, float* out = nullptr,
                                     TouchCounter* counter = nullptr);
// Output row of query token i of head h (`out`: the whole [heads, tokens, head_dim] output).
AttnReferenceRow AttnPrefillReference(const AttnPrefillDims& dims, const float* q, const float* k,
                                      const float* v, int64_t h, int64_t i, float* out = nullptr,
                                      TouchCounter* counter = nullptr);

// Work models (documented beside the kernels in attention.cc).
WorkModel AttnDecodeModel(const AttnDecodeDims& dims, const ModelContext& ctx);
WorkModel AttnPrefillModel(const AttnPrefillDims& dims, bool flash, const ModelContext& ctx);

// Adds attn_decode, attn_prefill_naive and attn_prefill_flash to the registry.
void RegisterAttentionKernels(std::vector<KernelInfo>* out);

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_ATTENTION_H_
