// Decode GEMV kernels gemv_f32, gemv_bf16, gemv_q8_0, gemv_q4_0: per-target entry points, the
// thread partition, the scalar reference, the work models and the registry entries.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemv.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/gemv-inl.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {

void GemvEntry(const GemvCall& call, const GemvBlocking& blocking, void* workspace) {
  switch (call.format) {
    case WeightFormat::kF32:
      if constexpr (kPanelTarget) {
        if (call.panels != nullptr) return GemvPanelRun<1>(call, blocking, workspace);
      }
      return GemvRun(DecodeF32(), call, blocking, workspace);
    case WeightFormat::kBF16:
      if constexpr (kPanelTarget) {
        if (call.panels != nullptr) return GemvPanelRun<2>(call, blocking, workspace);
      }
      return GemvRun(DecodeBF16(), call, blocking, workspace);
    case WeightFormat::kQ8_0:
#if HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX2
      if (call.panels != nullptr) return GemvIntPanelRun<IntegerQ8_0>(call, workspace);
#endif
      return GemvRun(DecodeQ8_0{F16ToF32Table()}, call, blocking, workspace);
    case WeightFormat::kQ4_0:
#if HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX2
      if (call.panels != nullptr) return GemvIntPanelRun<IntegerQ4_0>(call, workspace);
#endif
      return GemvRun(DecodeQ4_0{F16ToF32Table()}, call, blocking, workspace);
  }
}

int GemvVectorRegistersEntry() { return kVectorRegisters; }
bool GemvUsesPanelsEntry() { return kPanelTarget; }
bool GemvIntegerDotEntry() { return kIntegerDotTarget; }

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/gemv.h"
#include "kernels/model_util.h"
#include "kernels/workload.h"
#include "src/error.h"
#include "src/hwy_dispatch.h"
#include "src/memory.h"
#include "src/targets.h"
#include "src/units.h"

namespace roofprof {

HWY_EXPORT(GemvEntry);
HWY_EXPORT(GemvVectorRegistersEntry);
HWY_EXPORT(GemvUsesPanelsEntry);
HWY_EXPORT(GemvIntegerDotEntry);

namespace {

int64_t RoundUp(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

}  // namespace

bool GemvAnyTargetReadsPanels(WeightFormat f, int64_t m) {
  for (const int64_t t : AvailableTargets()) {
    if (GemvReadsPanels(f, m, t)) return true;
  }
  return false;
}

GemvBlocking ChooseGemvBlocking(int64_t m, int64_t k, int vector_registers) {
  GemvBlocking b;
  const int64_t max_tokens = GemvMaxTileTokens(vector_registers);
  b.groups = (m + max_tokens - 1) / max_tokens;
  // Even groups: 12 tokens run as 2 x 6, not 8 + 4 (padding at most groups - 1 tokens).
  b.tokens = static_cast<int>((m + b.groups - 1) / b.groups);
  b.padded_m = b.groups * b.tokens;
  b.rows = GemvTileRows(b.tokens, vector_registers);
  b.padded_k = RoundUp(std::max<int64_t>(k, 1), static_cast<int64_t>(kQuantBlock));
  const int64_t packed_bytes = static_cast<int64_t>(sizeof(float)) * b.padded_m * b.padded_k;
  if (b.groups == 1 && packed_bytes <= static_cast<int64_t>(kGemvStreamABytes)) {
    b.k_block = b.padded_k;
    b.panel_rows = b.rows;
  } else {
    const int64_t fit = static_cast<int64_t>(kGemvABlockBytes) /
                        (static_cast<int64_t>(sizeof(float)) * b.padded_m) /
                        static_cast<int64_t>(kQuantBlock) * static_cast<int64_t>(kQuantBlock);
    b.k_block = std::min(b.padded_k, std::max(kGemvMinKBlock, fit));
    b.panel_rows = static_cast<int64_t>(b.rows) * kGemvPanelRowGroups;
  }
  return b;
}

int GemvVectorRegisters(int64_t target) {
  return ROOFPROF_DISPATCH_FOR(GemvVectorRegistersEntry, target)();
}

bool GemvReadsPanels(WeightFormat f, int64_t m, int64_t target) {
  if (IsBlockFormat(f)) return GemvIntegerDot(f, m, target);
  return ROOFPROF_DISPATCH_FOR(GemvUsesPanelsEntry, target)();
}

bool GemvIntegerDot(WeightFormat f, int64_t m, int64_t target) {
  return (f == WeightFormat::kQ4_0 || f == WeightFormat::kQ8_0) && m >= 1 &&
         ROOFPROF_DISPATCH_FOR(GemvIntegerDotEntry, target)();
}

int64_t GemvPanelSteps(WeightFormat f, int64_t k) {
  return f == WeightFormat::kBF16 ? (k + 1) / 2 : k;
}

size_t GemvPanelBytes(WeightFormat f, int64_t n, int64_t k) {
  if (IsBlockFormat(f)) {
    return static_cast<size_t>(RoundUp(n, kGemvPanelRows) / kGemvPanelRows *
                               (k / static_cast<int64_t>(kQuantBlock)) *
                               GemvIntPanelRecordBytes(f));
  }
  return static_cast<size_t>(RoundUp(n, kGemvPanelRows) * GemvPanelSteps(f, k)) * 4;
}

void PackGemvPanels(WeightFormat f, const void* w, int64_t n, int64_t k, int64_t block_begin,
                    int64_t block_end, void* panels) {
  if (IsBlockFormat(f)) {
    const int64_t blocks = k / static_cast<int64_t>(kQuantBlock);
    const int64_t groups = GemvIntPanelGroups(f), record = GemvIntPanelRecordBytes(f);
    const int64_t block_bytes = static_cast<int64_t>(RowBytes(f, kQuantBlock));
    const auto* rows = static_cast<const unsigned char*>(w);
    auto* out = static_cast<unsigned char*>(panels);
    for (int64_t b = block_begin; b < block_end; ++b) {
      for (int64_t j = 0; j < blocks; ++j) {
        unsigned char* rec = out + (b * blocks + j) * record;
        std::memset(rec, 0, static_cast<size_t>(record));
        for (int64_t i = 0; i < kGemvPanelRows && b * kGemvPanelRows + i < n; ++i) {
          // The GGUF block: fp16 d (2 bytes), then 16 (q4_0) or 32 (q8_0) bytes of qs.
          const unsigned char* src =
              rows + (b * kGemvPanelRows + i) * static_cast<int64_t>(RowBytes(f, k)) +
              j * block_bytes;
          for (int64_t g = 0; g < groups; ++g) {
            std::memcpy(rec + g * 64 + i * 4, src + 2 + 4 * g, 4);
          }
          std::memcpy(rec + groups * 64 + i * 2, src, 2);
        }
      }
    }
    return;
  }
  if (f == WeightFormat::kF32) {
    const auto* rows = static_cast<const float*>(w);
    PackF32PanelRows([&](int64_t r) { return r < n ? rows + r * k : nullptr; }, k, block_begin,
                     block_end, static_cast<float*>(panels));
    return;
  }
  // bf16: two weights per row and 4-byte step, odd k padded with a zero weight.
  const int64_t steps = GemvPanelSteps(f, k);
  const auto* rows = static_cast<const uint16_t*>(w);
  auto* out = static_cast<uint16_t*>(panels);
  for (int64_t b = block_begin; b < block_end; ++b) {
    for (int64_t i = 0; i < kGemvPanelRows; ++i) {
      const int64_t row = b * kGemvPanelRows + i;
      for (int64_t s = 0; s < steps; ++s) {
        for (int64_t e = 0; e < 2; ++e) {
          const int64_t j = s * 2 + e;
          out[((b * steps + s) * kGemvPanelRows + i) * 2 + e] =
              row < n && j < k ? rows[row * k + j] : uint16_t{0};
        }
      }
    }
  }
}

void PackF32PanelRows(const std::function<const float*(int64_t)>& row, int64_t k,
                      int64_t block_begin, int64_t block_end, float* panels) {
  for (int64_t b = block_begin; b < block_end; ++b) {
    for (int64_t i = 0; i < kGemvPanelRows; ++i) {
      const float* src = row(b * kGemvPanelRows + i);
      float* dst = panels + b * k * kGemvPanelRows + i;
      for (int64_t j = 0; j < k; ++j) dst[j * kGemvPanelRows] = src != nullptr ? src[j] : 0.0f;
    }
  }
}

size_t GemvWorkspaceBytes(const GemvBlocking& b, int threads) {
  // Packed A, then per thread panel_rows x padded_m accumulator vectors of up to 16 floats.
  // (The integer path's activation records, 64 bytes per 32 weights and padded token, fit
  // the same space: at most 5/4 m padded tokens against 128 bytes per 32 weights and token.)
  const size_t packed = static_cast<size_t>(b.PackedFloats()) * sizeof(float);
  const size_t scratch = static_cast<size_t>(b.panel_rows * b.padded_m) * 16 * sizeof(float);
  return packed + static_cast<size_t>(std::max(1, threads)) * scratch;
}

void Gemv(int64_t target, const GemvCall& call, void* workspace) {
  const GemvBlocking b = ChooseGemvBlocking(call.m, call.k, GemvVectorRegisters(target));
  ROOFPROF_DISPATCH_FOR(GemvEntry, target)(call, b, workspace);
}

void GemvRowRange(int64_t n, int threads, int tid, int64_t* begin, int64_t* end) {
  const int t = std::max(1, threads);
  const auto start = [&](int i) {
    if (i <= 0) return int64_t{0};
    if (i >= t) return n;
    return std::min(n, n * i / t / kGemvRowAlign * kGemvRowAlign);
  };
  *begin = start(tid);
  *end = std::max(*begin, start(tid + 1));
}

double GemvReference(const GemvCall& call, int64_t t, int64_t row, double* sum_abs) {
  const size_t k = static_cast<size_t>(call.k);
  std::vector<float> w(k);
  DecodeRow(call.format, static_cast<const unsigned char*>(call.w) + row * RowBytes(call.format, k),
            k, w.data());
  const float* a = call.a + t * call.lda;
  std::vector<float> a_q8;
  if (call.format == WeightFormat::kQ4_0 || call.format == WeightFormat::kQ8_0) {
    // Block formats meet their activations as q8_0 blocks.
    a_q8.resize(k);
    RoundTripQ8_0(a, a_q8.data(), k);
    a = a_q8.data();
  }
  double sum = 0, abs_sum = 0;
  for (size_t i = 0; i < k; ++i) {
    const double p = static_cast<double>(a[i]) * static_cast<double>(w[i]);
    sum += p;
    abs_sum += std::fabs(p);
  }
  if (sum_abs != nullptr) *sum_abs = abs_sum;
  return sum;
}

namespace {

// Largest m: past a few hundred tokens the work is prefill, which gemm_* models.
constexpr int64_t kMaxTokens = 256;
// Outputs Verify() compares: rows spread over n (first and last included), every token.
constexpr int64_t kVerifyRows = 32;

// Uniform floats in [-1, 1) from a counter-based hash (splitmix64), so every row's values
// depend only on its index, whichever thread generates it.
float HashUniform(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<float>(static_cast<double>(x >> 40) * 0x1p-23 - 1.0);
}

std::string Description(WeightFormat f) {
  switch (f) {
    case WeightFormat::kF32:
      return "decode GEMV, f32 weights (repacked at load into 16-row panels where the target "
             "is AVX-512 or AVX2); f32 activations, f32 FMA accumulation";
    case WeightFormat::kBF16:
      return "decode GEMV, bf16 weights (repacked at load into 16-row panels where the target "
             "is AVX-512 or AVX2) widened to f32 in registers; f32 activations, f32 FMA "
             "accumulation";
    case WeightFormat::kQ8_0:
      return "decode GEMV, GGUF q8_0 weights (34 B per 32); activations quantized per 32 to q8_0 "
             "as ggml does; on AVX-512 and AVX2: weights repacked at load into 16-row panels, "
             "int8 dot products on 16 or 8 rows at once scaled into f32, else "
             "weights dequantized to f32 in registers, f32 FMA accumulation";
    case WeightFormat::kQ4_0:
      return "decode GEMV, GGUF q4_0 weights (18 B per 32); activations quantized per 32 to q8_0 "
             "as ggml does; on AVX-512 and AVX2: weights repacked at load into 16-row panels, "
             "int8 dot products on 16 or 8 rows at once scaled into f32, else "
             "weights dequantized to f32 in registers, f32 FMA accumulation";
  }
  return "";
}

// Blocking of the target the work model describes (ModelTarget).
GemvBlocking ModelBlocking(int64_t m, int64_t k, const ModelContext& ctx) {
  return ChooseGemvBlocking(m, k, GemvVectorRegisters(ModelTarget(ctx)));
}

// Work model of one call (provenance "model"), per memory level, for the blocking of
// ModelBlocking. Let W = n * RowBytes(k) (4, 2, 34/32, 18/32 bytes per weight), A = 4mk,
// C = 4mn, Ap = packed A (4 * padded_m * padded_k), and tiles = register tiles per k-block
// and token group over all threads (full R-row tiles plus the one-row tiles of leftovers).
//   flops      = 2mnk (padding tokens and weights are multiplied too, but not counted).
//   compulsory = W + A + C.
//   L1         = core loads and stores: W once per token group; A read and Ap written by the
//                packing; each token-major tile loads its T tokens' slice of Ap once
//                (tiles * Ap over all k), row-major tiles once per row (n * Ap);
//                panels load and store their accumulator vectors between k-blocks; C stores.
//   L2         = nothing when the whole working set lives in L1; else W, A and C once, plus Ap
//                re-reads: none when streaming with Ap in L1, once per panel and k-block when
//                the A block fits L1, else once per tile; and the accumulators when they and
//                the A block outgrow L1.
//   L3, DRAM   = W, A and C stream from the level where the whole working set stays between
//                back-to-back runs (ResidentLevel): nothing beyond it.
//
// f32 and bf16 on a target that reads panels (GemvPanelRun) instead: let Wp = GemvPanelBytes
// (4 or 2 bytes per weight, rows rounded up to 16, bf16 k up to even), Ap = 4 padded_m k,
// tiles = J-block tiles over all threads, chunks = k chunks (1 with one token group).
//   L1         = Wp once per token group; A read and Ap written by the packing; every tile
//                broadcasts its group's Ap floats once (tiles x Ap); accumulators parked and
//                reloaded between chunks (2 (chunks - 1) x 4 padded_m RoundUp(n, 16)); C.
//   L2         = Wp, A and C once (when not resident in L1); the W chunk again for every
//                further token group (it waits in L2); Ap per tile when a group's A chunk
//                outgrows L1.
//   L3, DRAM   = as above, with Wp for W.
// q4_0 and q8_0 panels (int8 dot products): the same with Wp = 18 or 34 bytes per block and row
// (rows rounded up to 16), Ap = the activation records, kGemvIntActRecordBytes per block and
// padded token, read once per tile, tiles of J = GemvIntPanelVectors(T) row vectors (16 rows,
// or 8 on AVX2) and one chunk (a tile runs all of k for each token group; its W waits in L2
// for the next).
// Other panel callers (kernels/ffn.h) give n panel rows but write `columns` columns of C, and
// keep `other_bytes` more in the working set between runs.
WorkModel PanelModel(WeightFormat f, int64_t m, int64_t n, int64_t k, const GemvBlocking& b,
                     const ModelContext& ctx, int64_t columns, double other_bytes) {
  const double rows = static_cast<double>(RoundUp(n, kGemvPanelRows));
  const double wp = static_cast<double>(GemvPanelBytes(f, n, k));
  const double a_bytes = 4.0 * m * k, c_bytes = 4.0 * m * columns;
  const bool integer = IsBlockFormat(f);  // the integer panels of q4_0 and q8_0
  const int regs = GemvVectorRegisters(ModelTarget(ctx));
  const GemvIntGroups ig = ChooseGemvIntGroups(f, m, regs);
  // Rows per tile unit: a 16-row block (f32, bf16) or a row vector (integer).
  const int64_t unit_rows = integer ? GemvIntPanelRowsPerVector(regs) : kGemvPanelRows;
  const int64_t tokens = integer ? ig.tokens : b.tokens;
  const int64_t groups = integer ? ig.groups : b.groups;
  const double packed = integer
                            ? static_cast<double>(k / static_cast<int64_t>(kQuantBlock) *
                                                  kGemvIntActRecordBytes * ig.groups * ig.tokens)
                            : 4.0 * b.padded_m * k;
  const int64_t units_per_tile =
      integer ? GemvIntPanelVectors(ig.tokens, regs) : GemvPanelBlocks(b.tokens, regs);
  int64_t tiles = 0;
  for (int tid = 0; tid < std::max(1, ctx.threads); ++tid) {
    int64_t r0, r1;
    GemvRowRange(n, ctx.threads, tid, &r0, &r1);
    const int64_t units = (r1 + unit_rows - 1) / unit_rows - r0 / unit_rows;
    tiles += (units + units_per_tile - 1) / units_per_tile;
  }
  // The integer tiles run all of k per token group (a tile's W waits in L2 for the next).
  const int64_t chunk = integer ? k : GemvPanelChunkWeights(b.groups, k);
  const int64_t chunks = (k + chunk - 1) / chunk;
  const double acc_bytes = 2.0 * static_cast<double>(chunks - 1) * 4.0 * b.padded_m * rows;

  WorkModel wm;
  wm.flops = 2.0 * m * n * k;
  wm.compulsory_bytes =
      static_cast<double>(n) * static_cast<double>(RowBytes(f, k)) + a_bytes + c_bytes;
  wm.precision = integer ? "int8" : "fp32";
  const double a_tile_loads = static_cast<double>(tiles) * packed;
  wm.bytes[0] =
      static_cast<double>(groups) * wp + a_bytes + packed + a_tile_loads + acc_bytes + c_bytes;

  const int level = ResidentLevel(wp + a_bytes + c_bytes + packed + other_bytes, ctx);
  const CacheLevel* l1 = FindCache(ctx.caches, 1);
  const double l1_usable = l1 != nullptr ? kUsableCacheFraction * l1->size_bytes : 0.0;
  const double a_chunk = packed * static_cast<double>(std::min(chunk, k)) / static_cast<double>(k);
  const double a_l2 = a_chunk > l1_usable ? a_tile_loads : 0.0;
  const double w_l2 = static_cast<double>(groups - 1) * wp;
  const auto outer = StreamTraffic(wp + a_bytes + c_bytes, level);
  wm.bytes[1] = level >= 1 ? outer[1] + w_l2 + a_l2 : 0.0;
  wm.bytes[2] = outer[2];
  wm.bytes[3] = outer[3];

  wm.derivation.push_back("W repacked at load into 16-row panels (" + FormatBytes(wp) +
                          "), read as " + std::to_string(tiles) + " tiles of " +
                          std::to_string(units_per_tile * unit_rows) + " rows x " +
                          std::to_string(tokens) + " tokens, " + std::to_string(groups) +
                          " token group(s), " + std::to_string(chunks) + " k chunk(s)");
  if (integer) {
    wm.derivation.push_back("A quantized to q8_0 blocks, one " +
                            std::to_string(kGemvIntActRecordBytes) +
                            "-byte record each (activations, offset seed, scale); int8 dot "
                            "products on " +
                            std::to_string(unit_rows) + " rows at once (" +
                            (ModelTarget(ctx) == HWY_AVX3_DL ? "vpdpbusd"
                             : f == WeightFormat::kQ8_0
                                 ? "vpmaddubsw of |q| and the sign-carrying activations, vpmaddwd"
                                 : "vpmaddubsw, vpmaddwd") +
                            "), f32 accumulation");
  }
  wm.derivation.push_back("L1: panels x groups, packed A (" + FormatBytes(packed) +
                          ") broadcast once per tile, accumulators " + FormatBytes(acc_bytes) +
                          ", C " + FormatBytes(c_bytes));
  wm.derivation.push_back(
      "L2: panels once" + std::string(groups > 1 ? " + once per further token group" : "") +
      (a_l2 > 0 ? ", packed A once per tile (a group's A chunk outgrows L1)" : ""));
  wm.derivation.push_back(DescribeStream("panels + A + C", wp + a_bytes + c_bytes, level));
  return wm;
}

WorkModel GemvModel(WeightFormat f, int64_t m, int64_t n, int64_t k, const ModelContext& ctx) {
  const GemvBlocking b = ModelBlocking(m, k, ctx);
  if (GemvReadsPanels(f, m, ModelTarget(ctx))) return PanelModel(f, m, n, k, b, ctx, n, 0.0);
  const double w_bytes = static_cast<double>(n) * static_cast<double>(RowBytes(f, k));
  const double a_bytes = 4.0 * m * k, c_bytes = 4.0 * m * n;
  // (q4_0 and q8_0 on a target with byte dot products read panels: PanelModel above.)
  const double packed = 4.0 * b.padded_m * b.padded_k;
  // Accumulator vector of the target (64 bytes on AVX-512).
  const double lanes_bytes = static_cast<double>(TargetVectorBytes(ModelTarget(ctx)));
  int64_t tiles = 0, panels = 0;
  for (int tid = 0; tid < std::max(1, ctx.threads); ++tid) {
    int64_t r0, r1;
    GemvRowRange(n, ctx.threads, tid, &r0, &r1);
    const int64_t rows = r1 - r0;
    tiles += rows / b.rows + rows % b.rows;
    panels += (rows + b.panel_rows - 1) / b.panel_rows;
  }
  const int64_t k_blocks = (b.padded_k + b.k_block - 1) / b.k_block;
  const double acc_bytes =
      2.0 * static_cast<double>(k_blocks - 1) * static_cast<double>(n) * b.padded_m * lanes_bytes;

  WorkModel wm;
  wm.flops = 2.0 * m * n * k;
  wm.compulsory_bytes = w_bytes + a_bytes + c_bytes;
  wm.precision = "fp32";

  // Token-major tiles load each A vector once per tile; row-major ones once per row.
  const double a_tile_loads =
      (GemvTokenMajor(f, b.tokens) ? static_cast<double>(tiles) : static_cast<double>(n)) * packed;
  wm.bytes[0] = static_cast<double>(b.groups) * w_bytes + a_bytes + packed + a_tile_loads +
                acc_bytes + c_bytes;

  // Where W, A and C stay between back-to-back runs, and whether the A block (and, in
  // panels, the accumulators beside it) stays in L1 while the tiles reuse it.
  const double acc_panel = static_cast<double>(b.panel_rows) * b.padded_m * lanes_bytes;
  const double resident_set = w_bytes + a_bytes + c_bytes + packed +
                              static_cast<double>(std::max(1, ctx.threads)) * acc_panel;
  const int level = ResidentLevel(resident_set, ctx);
  const CacheLevel* l1 = FindCache(ctx.caches, 1);
  const double l1_usable = l1 != nullptr ? kUsableCacheFraction * l1->size_bytes : 0.0;
  const double a_block = 4.0 * b.padded_m * b.k_block;
  const bool a_block_in_l1 = a_block <= l1_usable;
  double a_l2 = a_tile_loads;  // the A block outgrows L1: every tile reads it from L2
  if (a_block_in_l1) a_l2 = b.streaming() ? 0.0 : static_cast<double>(panels) * packed;
  const double acc_l2 = (!b.streaming() && a_block + acc_panel > l1_usable) ? acc_bytes : 0.0;
  const auto outer = StreamTraffic(w_bytes + a_bytes + c_bytes, level);
  wm.bytes[1] = level >= 1 ? outer[1] + a_l2 + acc_l2 : 0.0;
  wm.bytes[2] = outer[2];
  wm.bytes[3] = outer[3];

  wm.derivation.push_back("L1: W (" + FormatBytes(w_bytes) + ") x " + std::to_string(b.groups) +
                          " token group(s) of " + std::to_string(b.tokens) + ", packed A (" +
                          FormatBytes(packed) + ") x " + std::to_string(tiles) + " tiles of " +
                          std::to_string(b.rows) + " rows, " +
                          (b.streaming() ? std::string("accumulators in registers")
                                         : "accumulators " + FormatBytes(acc_bytes)) +
                          ", C " + FormatBytes(c_bytes));
  wm.derivation.push_back(
      "L2: W once, packed A " +
      std::string(a_block_in_l1 ? (b.streaming() ? "stays in L1" : "once per panel and k-block")
                                : "once per tile (A block outgrows L1)") +
      (acc_l2 > 0 ? ", accumulators" : ""));
  wm.derivation.push_back(DescribeStream("W + A + C", w_bytes + a_bytes + c_bytes, level));
  return wm;
}

class GemvWorkload : public Workload {
 public:
  GemvWorkload(WeightFormat f, int64_t m, int64_t n, int64_t k) : f_(f), m_(m), n_(n), k_(k) {}

  std::string name() const override { return std::string("gemv_") + WeightFormatName(f_); }
  Shape shape() const override { return {{"m", m_}, {"n", n_}, {"k", k_}}; }
  std::string description() const override { return Description(f_); }
  WorkModel Model(const ModelContext& ctx) const override { return GemvModel(f_, m_, n_, k_, ctx); }

  void Setup(int threads) override {
    threads_ = std::max(1, threads);
    const size_t row_bytes = RowBytes(f_, static_cast<size_t>(k_));
    size_t ws_bytes = 0;
    for (const int64_t t : AvailableTargets()) {
      ws_bytes = std::max(
          ws_bytes,
          GemvWorkspaceBytes(ChooseGemvBlocking(m_, k_, GemvVectorRegisters(t)), threads_));
    }
    w_ = AllocateAligned(static_cast<size_t>(n_) * row_bytes);
    a_ = AllocateAligned(static_cast<size_t>(m_ * k_) * sizeof(float));
    c_ = AllocateAligned(static_cast<size_t>(m_ * n_) * sizeof(float));
    ws_ = AllocateAligned(ws_bytes);
    // The panel copy of W too, when a target here reads it for this m (GemvReadsPanels).
    void* panels = nullptr;
    if (GemvAnyTargetReadsPanels(f_, m_)) {
      panels_ = AllocateAligned(GemvPanelBytes(f_, n_, k_));
      panels = panels_.get();
    }
    unsigned char* w = w_.get();
    float* a = reinterpret_cast<float*>(a_.get());
    float* c = reinterpret_cast<float*>(c_.get());
    // Activations and the packing buffer are read by every thread: the master writes them.
    for (int64_t i = 0; i < m_ * k_; ++i) a[i] = HashUniform(0x5EED0000000ull + i);
    std::memset(ws_.get(), 0, ws_bytes);
    // W rows and C columns: first touched by the thread that owns them in Run().
#pragma omp parallel num_threads(threads_)
    {
      int64_t r0, r1;
      GemvRowRange(n_, threads_, omp_get_thread_num(), &r0, &r1);
      std::vector<float> row(static_cast<size_t>(k_));
      for (int64_t r = r0; r < r1; ++r) {
        // Row scales vary over two binades, as trained weights' rows do.
        const float scale = 0.05f * (1.5f + HashUniform(static_cast<uint64_t>(r) << 1));
        for (int64_t i = 0; i < k_; ++i) {
          row[static_cast<size_t>(i)] =
              scale * HashUniform((static_cast<uint64_t>(r) << 32) + static_cast<uint64_t>(i));
        }
        EncodeRow(f_, row.data(), static_cast<size_t>(k_), w + r * row_bytes);
      }
      if (panels != nullptr) {  // this thread's rows, as 16-row blocks (r0 is a multiple of 16)
        PackGemvPanels(f_, w, n_, k_, r0 / kGemvPanelRows,
                       (r1 + kGemvPanelRows - 1) / kGemvPanelRows, panels);
      }
      for (int64_t t = 0; t < m_; ++t) {
        std::memset(c + t * n_ + r0, 0, static_cast<size_t>(r1 - r0) * sizeof(float));
      }
    }
    call_.format = f_;
    call_.m = m_;
    call_.n = n_;
    call_.k = k_;
    call_.a = a;
    call_.lda = k_;
    call_.w = w;
    call_.panels = panels;
    call_.c = c;
    call_.ldc = n_;
    call_.threads = threads_;
  }

  double Run(int64_t target) override {
    Gemv(target, call_, ws_.get());
    // A sample of C (first and last token's rows) is enough to keep the call from being elided.
    double sum = 0;
    for (int64_t r = 0; r < n_; ++r) sum += call_.c[r] + call_.c[(m_ - 1) * n_ + r];
    return sum;
  }

  double Verify() override {
    double worst = 0;
    const int64_t rows = std::min(n_, kVerifyRows);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t r = rows == 1 ? 0 : i * (n_ - 1) / (rows - 1);
      for (int64_t t = 0; t < m_; ++t) {
        double sum_abs = 0;
        const double want = GemvReference(call_, t, r, &sum_abs);
        // k * eps * sum |a w| (Higham 3.1), x2 for the reassociation across lanes: the same
        // bound as the tests' DotTolerance.
        const double tol =
            2.0 * static_cast<double>(k_) * 0x1p-24 * sum_abs + std::numeric_limits<double>::min();
        worst = WorseError(worst, std::fabs(call_.c[t * n_ + r] - want) / tol);
      }
    }
    return worst;
  }

 private:
  WeightFormat f_;
  int64_t m_, n_, k_;
  int threads_ = 1;
  AlignedBuffer w_, a_, c_, ws_, panels_;
  GemvCall call_;
};

std::unique_ptr<Workload> MakeGemv(WeightFormat f, const Shape& shape) {
  const int64_t m = ShapeValue(shape, "m", 1);
  const int64_t n = ShapeValue(shape, "n", 4096);
  const int64_t k = ShapeValue(shape, "k", 4096);
  const std::string name = std::string("gemv_") + WeightFormatName(f);
  if (m < 1 || m > kMaxTokens) {
    throw UsageError("--shape: " + name + " takes m from 1 to " + std::to_string(kMaxTokens) +
                     " tokens (gemm_* covers prefill)");
  }
  if (n < 1 || k < 1) throw UsageError("--shape: " + name + " needs n >= 1 and k >= 1");
  if (IsBlockFormat(f) && k % static_cast<int64_t>(kQuantBlock) != 0) {
    throw UsageError("--shape: " + name + " needs k to be a multiple of 32 (its block size), got " +
                     std::to_string(k));
  }
  const double panels =
      GemvAnyTargetReadsPanels(f, m) ? static_cast<double>(GemvPanelBytes(f, n, k)) : 0.0;
  const double bytes = static_cast<double>(n) * RowBytes(f, static_cast<size_t>(k)) + panels +
                       4.0 * m * k * 2 + 4.0 * m * n;
  CheckFitsInMemory(static_cast<uint64_t>(bytes), name + " " + FormatShape(shape));
  return std::make_unique<GemvWorkload>(f, m, n, k);
}

Shape MNK(int64_t m, int64_t n, int64_t k) { return {{"m", m}, {"n", n}, {"k", k}}; }

KernelInfo GemvInfo(WeightFormat f, std::vector<Shape> suite) {
  KernelInfo info;
  info.name = std::string("gemv_") + WeightFormatName(f);
  info.summary = Description(f);
  info.dims = {"m", "n", "k"};
  info.default_shape = MNK(1, 4096, 4096);
  info.suite = std::move(suite);
  info.make = [f](const Shape& s) { return MakeGemv(f, s); };
  return info;
}

}  // namespace

WorkModel GemvPanelModel(WeightFormat f, int64_t m, int64_t rows, int64_t k, int64_t columns,
                         double other_bytes, const ModelContext& ctx) {
  return PanelModel(f, m, rows, k, ModelBlocking(m, k, ctx), ctx, columns, other_bytes);
}

// Llama-class decode: hidden 4096 (q/k/v/o), FFN 11008 (Llama 2 7B) and 14336 (Llama 3 8B),
// k = 4096.
void RegisterGemvKernels(std::vector<KernelInfo>* out) {
  const int64_t kOutFeatures[] = {4096, 11008, 14336};
  // f32: decode batches m = 1, 4, 16, 64 at each projection, plus m = 2, 8, 32 at the FFN shape
  // so that the sweep crosses the ridge point: AI ~ m/2 flop per weight byte against ~213 / 32
  // ~ 7 flop/byte on one Zen 5 thread, so m = 1..8 are DRAM-bound and 16+ compute-bound.
  std::vector<Shape> f32;
  for (const int64_t n : kOutFeatures) {
    for (const int64_t m : {1, 4, 16, 64}) f32.push_back(MNK(m, n, 4096));
  }
  for (const int64_t m : {2, 8, 32}) f32.push_back(MNK(m, 11008, 4096));
  // The same single-token product with weights that stay in a cache between runs: 512 KiB
  // (inside a 1 MiB L2 per core) and 8 MiB (inside an L3): the staircase seen by a kernel.
  f32.push_back(MNK(1, 512, 256));
  f32.push_back(MNK(1, 2048, 1024));
  out->push_back(GemvInfo(WeightFormat::kF32, f32));
  // Narrower formats: single-token decode and a 16-token batch at each projection.
  std::vector<Shape> narrow;
  for (const int64_t n : kOutFeatures) {
    for (const int64_t m : {1, 16}) narrow.push_back(MNK(m, n, 4096));
  }
  out->push_back(GemvInfo(WeightFormat::kBF16, narrow));
  out->push_back(GemvInfo(WeightFormat::kQ8_0, narrow));
  out->push_back(GemvInfo(WeightFormat::kQ4_0, narrow));
}

}  // namespace roofprof
#endif  // HWY_ONCE
