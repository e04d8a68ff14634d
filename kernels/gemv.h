// Decode GEMV for m = 1..64 tokens: C[m x n] = A[m x k] * W[n x k]^T with W in f32, bf16, q8_0
// or q4_0 (kernels/quant.h), f32 activations and f32 accumulation. Plain interface: blocking as
// data, the call, the scalar reference and the thread partition. Two loops: register tiles of
// R rows x T tokens over the row-major W, each format a decode policy (every format, every
// target), and for f32 and bf16 on AVX-512 and AVX2 an outer product over W repacked at load
// into 16-row panels (GemvCall::panels, see kGemvPanelRows); q8_0 and q4_0 on AVX-512 and
// AVX2 read integer panels of their own (GemvIntPanelRecordBytes).
//
// Activations: f32 for f32 and bf16. q8_0 and q4_0 meet them quantized per 32-weight block
// to q8_0 (ggml's quantizer, bit for bit), as ggml's q8_0 and q4_0 dot products do; the
// reference quantizes them the same way (RoundTripQ8_0). Each weight block is dequantized to
// exact f32 values (q * d, (q - 8) * d) in registers and multiplied into f32 accumulators,
// against A packed once per call as f32 in the decoder's lane order (q_a * d_a, exact in f32),
// so every format matches the double reference within the f32 dot bound (DotTolerance). That
// decode work (widen, convert or table lookup, scale) capped one Zen 5 thread at ~22 GB/s of
// q4_0 and ~29 GB/s of q8_0 weight bytes even from L2; on AVX-512 VNNI (AVX3_DL) both take
// int8 dot products instead: from the integer panels, 4 weights of 16 rows per vpdpbusd for
// 1-8 tokens at a time (PanelTileInt in kernels/gemv-inl.h), or, one token without panels, two
// blocks of one row per vpdpbusd (GemvTileInt): exact integer sums, one f32 scale d_w * d_a
// per block (exact too), f32 accumulation. AVX3 and AVX2 take the panels' int8 dot products
// too, through int16 (vpmaddubsw, vpmaddwd; AVX2: 8 rows per vector, 1-4 tokens at a time).
#ifndef ROOFPROF_KERNELS_GEMV_H_
#define ROOFPROF_KERNELS_GEMV_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "kernels/quant.h"
#include "kernels/workload.h"

namespace roofprof {

// Register tile: tokens x rows accumulators, plus one decoded W vector per row and one A vector
// live at a time, plus kGemvDecodeRegisters for the decoder (q4_0 keeps its 16-entry table, a
// nibble mask and two temporaries) and the zero that keeps shared loads in registers, must fit
// in the target's vector registers or they spill.
inline constexpr int kGemvDecodeRegisters = 5;
// At most 8 rows: 8 independent FMA chains already cover FMA latency 4 x 2 pipes when T = 1, and
// each row is one more stream for the prefetchers.
inline constexpr int kGemvMaxTileRows = 8;

// Tokens per register tile: 8 with 32 vector registers (AVX-512, NEON/SVE on AArch64, RVV),
// 4 with 16 (SSE4, AVX2), so that a tile with 2+ rows still fits.
constexpr int GemvMaxTileTokens(int vector_registers) { return vector_registers >= 32 ? 8 : 4; }

// Rows per register tile for `tokens` tokens: rows * (tokens + 1) + decode registers <= file.
// 32 registers: T=1..8 -> R = 8, 8, 6, 5, 4, 3, 3, 3 (T=8: 24 accumulators + 3 W + 1 A + 5).
// 16 registers: T=1..4 -> R = 5, 3, 2, 2.
constexpr int GemvTileRows(int tokens, int vector_registers) {
  const int r = (vector_registers - kGemvDecodeRegisters) / (tokens + 1);
  return r < 1 ? 1 : (r > kGemvMaxTileRows ? kGemvMaxTileRows : r);
}

// Dot-loop order of a T-token tile: token-major (decode each sub-vector of the R rows, then
// share each A vector between them: R + T loads per R x T FMAs) or row-major (decode a row's
// whole unit once, A from L1 with every FMA: R x T + decode loads). Measured on Zen 5 with
// cache-resident data: f32 gains from T = 2 (its decode is a load); bf16, q8_0 and q4_0, whose
// decode work row-major shares between sub-vectors, from T = 5, below which row-major is as
// fast or faster (q4_0 at T = 4: 1.25x).
constexpr bool GemvTokenMajor(WeightFormat format, int tokens) {
  return tokens >= (format == WeightFormat::kF32 ? 2 : 5);
}

// The A block (all tokens x one k-block, f32) must stay in L1 while the tiles of a panel reuse
// it. L1d is 32 KiB or more on every core we target (48 KiB on Zen 5, 64 KiB on Neoverse V2):
// half of 32 KiB for A leaves room for the W block of one tile (rows x k-block) and the
// accumulator lines.
inline constexpr size_t kGemvABlockBytes = 16 * 1024;
// Largest packed A (one token group, all of k) that streams: accumulators stay in registers
// over all of k and W is read in one pass per row. The streaming prefetches fill L2, not L1,
// so A shares L1 only with the W lines in use: 32 KiB (m = 2 at k = 4096) stays in a 48 KiB
// L1. Measured on Zen 5, 2 threads, n = 11008, k = 4096, m = 2: best of 4 runs 2.90 ms
// streaming vs 3.27 ms in panels of 2048-weight k-blocks (m = 1: 2.38 ms).
inline constexpr size_t kGemvStreamABytes = 32 * 1024;
// Shortest k-block: every k-block costs each tile one load and one store of its accumulators,
// so 256 weights (16 AVX-512 steps of rows x tokens FMAs each) keeps that under 1/8 of the
// FMAs. Past 64 tokens the A block then outgrows L1 and streams from L2.
inline constexpr int64_t kGemvMinKBlock = 256;
// Row groups per panel: the A block is reused by this many tiles before the next k-block
// replaces it, so L2 delivers A at (tokens / panel rows) x the W byte rate (16 tokens, 24 rows:
// 2/3) instead of tokens / rows (16 / 3: more than L2 can sustain beside the W stream).
inline constexpr int kGemvPanelRowGroups = 8;
// Floats between consecutive tokens' rows in the packed A beyond their length: one 64-byte
// line. Row lengths are multiples of 128 B and often of 4 KiB (k = 4096); T rows exactly that
// far apart would all fall into the same L1 sets (12 ways on Zen 5, 8 on many cores) beside
// the R rows of W, which are 4 KiB multiples apart too.
inline constexpr int64_t kGemvTokenSkew = 16;
// Threads own rows in multiples of 16, so their C columns never share a 64-byte line.
inline constexpr int64_t kGemvRowAlign = 16;

struct GemvBlocking {
  int tokens = 1;          // T: tokens per register tile (every token group has T)
  int rows = 1;            // R: W rows per register tile (tail rows run R = 1 tiles)
  int64_t groups = 1;      // token groups: ceil(m / T)
  int64_t padded_m = 1;    // groups * T; padded tokens are zero and never stored
  int64_t padded_k = 32;   // k rounded up to 32; the padding weights and activations are zero
  int64_t k_block = 32;    // KB: weights per k-block; padded_k when streaming
  int64_t panel_rows = 1;  // P: rows that share one A block; R when streaming
  // One token group whose packed A fits kGemvStreamABytes keeps the accumulators in registers
  // over all of k ("streaming": W read once, A from L1). Otherwise tiles walk panels x k-blocks
  // of kGemvABlockBytes and park accumulators in a per-thread scratch ("panel"), so the A block
  // stays in L1 even at k = 4096 with 4+ tokens (64 KiB and more of packed A).
  bool streaming() const { return k_block == padded_k; }
  // Packed A layout: the k-block starting at weight kb holds padded_m token rows of
  // BlockLength(kb) floats, TokenStride(kb) apart, from float BlockOffset(kb) on.
  int64_t BlockLength(int64_t kb) const {
    return k_block < padded_k - kb ? k_block : padded_k - kb;
  }
  int64_t TokenStride(int64_t kb) const { return BlockLength(kb) + kGemvTokenSkew; }
  int64_t BlockOffset(int64_t kb) const {
    return kb / k_block * padded_m * (k_block + kGemvTokenSkew);
  }
  int64_t PackedFloats() const {
    return padded_m * (padded_k + (padded_k + k_block - 1) / k_block * kGemvTokenSkew);
  }
};

GemvBlocking ChooseGemvBlocking(int64_t m, int64_t k, int vector_registers);

// Architectural vector registers of Highway target `target` (32 or 16).
int GemvVectorRegisters(int64_t target);

// Weight panels (f32, bf16): W repacked once, at load time (as inference engines repack weights for
// their kernels), into blocks of kGemvPanelRows rows stored k-major: block b holds
// W[16b + i][j] at panels[(b * k + j) * 16 + i], rows past n zero. A 16-lane target then runs
// an outer product per k step: one W vector (16 rows) times T broadcast activations, J blocks
// side by side, no horizontal sums; an 8-lane one (AVX2) takes each block as two vectors. Each
// block is one contiguous stream of 64 k bytes, J per tile, where the row-major tiles read R rows
// of 4 k bytes each: measured with 2 threads on this Zen 5 (n = 11008, k = 4096), a standalone loop
// reads 16-row blocks 4 at a time at 1.96 ms for m = 1 and 3 x 8 blocks x tokens at 2.6 ms for m =
// 8, against 2.97 ms and 5.7 ms for the row-major kernel. AVX2 on a Zen 4 guest (2 threads, n =
// 11008, k = 4096, interleaved best of 3): m = 16 7.8 against 10.6 ms, bf16 m = 16 7.4
// against 11.9; m = 1-8 level from DRAM; from L3 (n = 2048, k = 1024, 1 thread, best of 5) m = 1
// 0.104 against 0.135 ms, m = 4 0.174 against 0.215.
inline constexpr int64_t kGemvPanelRows = 16;
// Weights per k chunk when several token groups share a tile: the tile's W chunk
// (J = 3 blocks x 1024 x 64 B = 192 KiB) stays in L2 while the other groups re-read it, so W
// crosses DRAM once; each chunk costs one load and store of the T x J accumulators.
inline constexpr int64_t kGemvPanelKChunk = 1024;
// Weights of k per chunk of a panel tile: all of k with one token group (nothing re-reads W),
// else kGemvPanelKChunk.
constexpr int64_t GemvPanelChunkWeights(int64_t groups, int64_t k) {
  return groups == 1 ? k : kGemvPanelKChunk;
}
// 16-row blocks per panel tile for T tokens, with V vectors per block (16 f32 lanes: 1; 8: 2):
// J V T accumulators + J V W vectors + 1 broadcast fit the registers (one more for Launder's
// zero where Launder is an Or). 32 registers, V = 1: J = 4 up to 4 tokens (at most 21 live), 3
// from 5 to 8 (at most 28). 16 registers, V = 2 (AVX2, at most 4 tokens per group): J = 2 up
// to 2 tokens (at most 13), else 1 (at most 11). Every W vector feeds T FMAs, every broadcast
// J V.
constexpr int64_t GemvPanelBlocks(int64_t tokens, int vector_registers) {
  if (vector_registers >= 32) return tokens <= 4 ? 4 : 3;
  return tokens <= 2 ? 2 : 1;
}
// bf16 panels hold two weights per row and 64-byte step: u32 lane i of step s is row i's
// weights 2s (low half) and 2s + 1 (high half), odd k padded with a zero weight; the tile splits
// them with a shift and a mask (as DecodeBF16 does) into two W vectors.
// q4_0 and q8_0 panels, for the integer path (x86 byte dot products: AVX-512 VNNI, AVX-512BW,
// AVX2): per 16-row block b and 32-weight block j, a GemvIntPanelRecordBytes(f) record at
// (b * blocks + j): 64-byte groups g holding, in 32-bit lane i, qs bytes 4g..4g+3 of row
// 16b + i (q4_0: 4 groups, whose low nibbles are weights 4g..4g+3 and high nibbles
// 16+4g..16+4g+3; q8_0: 8 groups, weights 4g..4g+3), then the 16 rows' fp16 scales d. Rows
// past n are all zero (d = 0). One vpdpbusd multiplies 4 weights of 16 rows by 4 broadcast
// activations (AVX2: vpmaddubsw + vpmaddwd, 8 rows, half a group): no horizontal sums, one
// scale vector per record. The same 18 or 34 bytes per block and row as the GGUF rows.
constexpr int64_t GemvIntPanelGroups(WeightFormat f) { return f == WeightFormat::kQ8_0 ? 8 : 4; }
// Token groups of the integer panel path: each token's 4 activations are broadcast per 4 weights
// of a block, so fewer tokens and more blocks per tile (GemvIntPanelVectors) share the
// broadcasts, at the cost of more weight loads (and, for q4_0, nibble ops) per token. Measured
// on one Zen 5 thread, n = 2048, k = 4096, in cache, interleaved best of 4 (ms, at most 8 / 4 / 2
// tokens): q4_0 m = 8 0.265 / 0.232 / 0.247, m = 16 0.515 / 0.453 / 0.480; q8_0 m = 8
// 0.275 / 0.293 / 0.288, m = 16 0.534 / 0.572 / 0.528. With 16 registers (AVX2) at most 4.
struct GemvIntGroups {
  int tokens = 1;      // T per tile (every group has T; padded tokens are zero, never stored)
  int64_t groups = 1;  // ceil(m / T)
};
constexpr int64_t GemvIntMaxTokens(WeightFormat f, int vector_registers) {
  return f == WeightFormat::kQ4_0 || vector_registers < 32 ? 4 : 8;
}
constexpr GemvIntGroups ChooseGemvIntGroups(WeightFormat f, int64_t m, int vector_registers) {
  const int64_t most = GemvIntMaxTokens(f, vector_registers);
  GemvIntGroups g;
  g.groups = (m + most - 1) / most;
  g.tokens = static_cast<int>((m + g.groups - 1) / g.groups);
  return g;
}
// Rows per vector of the integer panel tiles: 16 with 32 registers (AVX-512: one vector per
// 16-row block), 8 with 16 (AVX2: two per block).
constexpr int64_t GemvIntPanelRowsPerVector(int vector_registers) {
  return vector_registers >= 32 ? 16 : 8;
}
// Row vectors per integer panel tile for T tokens. 32 registers hold 2 J T int32 sums (two
// chains each with vpdpbusd, one with the int16 forms), J T f32 accumulators, 2J weight vectors
// and 3 more: J = 4 for one token, 3 for two, 2 up to 4, else 1 (at most 8 tokens: 24 + 2 + 3
// live). 16 registers hold one sum and one accumulator per vector and token, 2J weight vectors
// and 5 more (activations, masks): J = 2 for one token, else 1 (4 tokens: 8 + 2 + 5).
constexpr int64_t GemvIntPanelVectors(int64_t tokens, int vector_registers) {
  if (vector_registers < 32) return tokens <= 1 ? 2 : 1;
  return tokens <= 1 ? 4 : tokens <= 2 ? 3 : tokens <= 4 ? 2 : 1;
}
constexpr int64_t GemvIntPanelRecordBytes(WeightFormat f) {
  return GemvIntPanelGroups(f) * 64 + 16 * 2;
}
// Activation record per 32-weight block for that path: 32 int8 (q8_0) activations, the int32
// seed -offset x their sum at byte 32 (offset 8 for q4_0, 128 for q8_0), the f32 scale d_a at
// byte 36; 64 bytes apart.
inline constexpr int64_t kGemvIntActRecordBytes = 64;
// Bytes of the packed panels of n x k weights in format f (every format has panels).
size_t GemvPanelBytes(WeightFormat f, int64_t n, int64_t k);
// Packs blocks [block_begin, block_end) of W (n rows of RowBytes(f, k)) into `panels`
// (GemvPanelBytes, 64-byte aligned).
void PackGemvPanels(WeightFormat f, const void* w, int64_t n, int64_t k, int64_t block_begin,
                    int64_t block_end, void* panels);
// The f32 panel layout for rows that are not one row-major matrix: rows row(r) (k floats each;
// nullptr: zeros) of blocks [block_begin, block_end), as PackGemvPanels packs f32 rows.
void PackF32PanelRows(const std::function<const float*(int64_t)>& row, int64_t k,
                      int64_t block_begin, int64_t block_end, float* panels);
// Whether Highway target `target` runs an m-token call of format f from panels when the call
// has them: f32 and bf16 on AVX-512 (16 f32 lanes, 32 registers) and AVX2 (8 lanes, 16
// registers), q4_0 and q8_0 where the call takes int8 dot products (GemvIntegerDot); the others
// read the row-major W.
bool GemvReadsPanels(WeightFormat f, int64_t m, int64_t target);
// Whether any target this machine can run reads panels for such a call: only then do workloads
// keep them.
bool GemvAnyTargetReadsPanels(WeightFormat f, int64_t m);
// Whether Gemv on Highway target `target` runs an m-token call of format f with int8 dot
// products (q4_0 and q8_0 on the x86 targets with byte dot products: AVX3_DL, AVX3, AVX2): from
// integer panels when the call has them (any m; the workloads always give them), else on
// AVX3_DL one token from the GGUF rows with A packed as pair records of kGemvPairRecordBytes
// per two blocks (GemvTileInt), and otherwise with the f32 decoders.
bool GemvIntegerDot(WeightFormat f, int64_t m, int64_t target);
inline constexpr int64_t kGemvPairRecordBytes = 192;

struct GemvCall {
  WeightFormat format = WeightFormat::kF32;
  int64_t m = 1, n = 1, k = 1;
  const float* a = nullptr;  // m x k, row stride lda floats; any alignment
  int64_t lda = 1;
  const void* w = nullptr;  // n rows of RowBytes(format, k) bytes, back to back; any alignment
  // Optional: the same W packed by PackGemvPanels, read instead of w where
  // GemvReadsPanels.
  const void* panels = nullptr;
  float* c = nullptr;  // m x n, row stride ldc floats; written
  int64_t ldc = 1;
  int threads = 1;
};

// Work model of an m-token panel call (GemvPanelRun) over `rows` panel rows of format f that
// writes `columns` columns of C per token, with `other_bytes` more of the caller's data in the
// working set between runs (which decides the level the panels stream from). The GEMV itself:
// rows = columns = n, other_bytes = 0; kernels/ffn.h builds its SwiGLU models on it.
WorkModel GemvPanelModel(WeightFormat f, int64_t m, int64_t rows, int64_t k, int64_t columns,
                         double other_bytes, const ModelContext& ctx);

// Scratch the kernel needs (packed A and per-thread accumulators), for `blocking`.
size_t GemvWorkspaceBytes(const GemvBlocking& blocking, int threads);

// Runs on Highway target `target` with call.threads OpenMP threads (dispatch happens once, here).
// `workspace` holds GemvWorkspaceBytes(ChooseGemvBlocking(m, k, GemvVectorRegisters(target)),
// threads) bytes, 64-byte aligned. Block formats need k % 32 == 0.
void Gemv(int64_t target, const GemvCall& call, void* workspace);

// Rows [*begin, *end) of W (and columns of C) that thread `tid` of `threads` owns: the static
// partition both the kernel and the first touch in Setup use.
void GemvRowRange(int64_t n, int threads, int tid, int64_t* begin, int64_t* end);

// Scalar reference for C[t][row], accumulating in double on the dequantized weights; also
// returns sum |a_i * w_i| (for DotTolerance) when `sum_abs` is not null.
double GemvReference(const GemvCall& call, int64_t t, int64_t row, double* sum_abs);

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_GEMV_H_
