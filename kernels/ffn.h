// SwiGLU feed-forward gate h = silu(x Wg^T) * (x Wu^T): fused (gate and up products share the
// x loads, activation in registers, only h written) beside unfused (two matrix products
// through memory, then an elementwise pass).
#ifndef ROOFPROF_KERNELS_FFN_H_
#define ROOFPROF_KERNELS_FFN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/workload.h"

namespace roofprof {

class TouchCounter;

// x [m x k], Wg and Wu [n x k], h [m x n], all f32, row-major (LLM linear-layer convention:
// m tokens, n = intermediate features, k = model width). silu(z) = z / (1 + exp(-z)).
struct FfnDims {
  int64_t m = 16;
  int64_t n = 11008;
  int64_t k = 4096;
};

// Row-major tiles: every target without panels (see below) and calls without them.
// Micro-tile: kFfnTileRows rows of x against up to 4 weight rows, one vector accumulator per
// (row, weight row): 4 x 4 = 16 accumulators + 4 x vectors + 1 weight vector = 21 of 32
// registers (AVX-512, NEON, SVE), 4 x 2 = 8 + 4 + 1 = 13 of 16 on SSE4/AVX2. 16 (8)
// independent FMA chains cover latency 4 x 2 pipes. Each weight vector feeds 4 FMAs and each
// x vector 4 (2). The fused tile's weight rows are gate and up rows of the same outputs, so
// each x load serves both products.
inline constexpr int64_t kFfnTileRows = 4;
// A panel of weight rows is worked through for a chunk of up to kFfnChunkRows rows of x, k in
// slices of kFfnSliceK: the x slice (16 rows x 128 x 4 B = 8 KiB), the panel's weight slice
// (16 x 128 x 4 B = 8 KiB) and the tiles' vector partial sums (4 row blocks x 16 weight rows x
// 4 rows x 64 B = 16 KiB at 512 bits) together take 32 of the 48 KiB of L1d. Every tile then
// loads x and weights from L1: x crosses from L2 once per panel (not once per tile) and a
// weight row from memory once. A fused panel holds 8 outputs' gate and up rows, an unfused
// one 16 rows of one matrix, so both read x n / 8 times.
inline constexpr int64_t kFfnPanelRows = 16;
inline constexpr int64_t kFfnChunkRows = 16;
inline constexpr int64_t kFfnSliceK = 128;
// The 32 KiB above fit L1 by size but not by placement when x rows are a multiple of 4 KiB
// apart (k = 4096: 16 KiB): every row's slice then falls in the same 8 of the 64 sets, 16 x
// lines per set against 12 ways (48 KiB L1d), and x comes from L2 on every tile. Each thread
// therefore copies x once per call with rows kFfnRowPadFloats further apart: one slice (512 B
// = 8 sets) per row, so 16 rows' slices cover all 64 sets twice, and with the weight tile
// (4 lines) and partial sums (4 lines) a set holds at most 10 of its 12 lines.
inline constexpr int64_t kFfnRowPadFloats = kFfnSliceK;

// Panels. Targets whose decode GEMV reads 16-row panels (GemvReadsPanels: AVX-512 and AVX2)
// run both variants on that GEMV's panel loop (GemvPanelRun in
// kernels/gemv-inl.h) when FfnData carries panels, repacked once at load as the GEMV's are:
//   fused: one panel set of FfnPanelRows(n, true) = 16 ceil(n / 8) rows; 16-row block b holds
//     the gate rows of outputs 8b .. 8b + 7 in its rows 0-7 and their up rows in rows 8-15
//     (rows past n zero), so each block's accumulators hold 8 outputs' gate and up sums side
//     by side and the tile's epilogue writes h = silu(gate) * up from registers;
//   unfused: Wg and Wu packed as the GEMV packs them (PackGemvPanels); one panel run per matrix
//     writes G and U, then the elementwise pass.
// Both stream each weight once per token group in 64-byte k steps per block, where the
// row-major tiles above read 16 rows 16 KiB apart at once. On a Zen 4 guest (n = 11008,
// k = 4096, 2 threads, interleaved best of 3, DRAM at 36 GB/s): fused m = 1 9.8 against
// 11.2 ms (0.96-1.00 of the DRAM roof against 0.84-0.87), m = 16 13.8 against 23.0 ms (0.89
// of the FMA peak against 0.53); unfused m = 1 10.0 against 11.8, m = 16 14.2 against 24.7.
// AVX2 on the same machine: fused m = 16 15.4 against 31.9 ms.
constexpr int64_t FfnPanelRows(int64_t n, bool fused) { return fused ? (n + 7) / 8 * 16 : n; }
// Floats of one panel set (fused: the interleaved one; unfused: one per matrix).
size_t FfnPanelFloats(const FfnDims& dims, bool fused);
// Packs 16-row blocks [block_begin, block_end) of the panel sets: fused into panels_g alone,
// unfused Wg into panels_g and Wu into panels_u.
void PackFfnPanels(const FfnDims& dims, bool fused, const float* wg, const float* wu,
                   int64_t block_begin, int64_t block_end, float* panels_g, float* panels_u);
// 16-row blocks [*begin, *end) of each panel set that thread `tid` of `threads` reads (and the
// h, G, U columns it writes follow them): GemvRowRange over the panel rows.
void FfnPanelBlocks(const FfnDims& dims, bool fused, int threads, int tid, int64_t* begin,
                    int64_t* end);
// Whether target `target` runs the panels when FfnData carries them.
bool FfnReadsPanels(int64_t target);
// Bytes of FfnData::workspace for the panel path on `target` (GemvWorkspaceBytes).
size_t FfnWorkspaceBytes(const FfnDims& dims, int threads, int64_t target);

// Row stride (floats) of the per-thread copy of x: k rounded up to a cache line, plus the pad.
int64_t FfnPackedStride(int64_t k);

// Floats of per-thread scratch (the copy of x, then the tiles' partial sums) for vectors of up
// to `lanes` floats.
size_t FfnScratchFloats(const FfnDims& dims, int64_t lanes);

struct FfnData {
  FfnDims dims;
  int threads = 1;
  bool fused = true;
  const float* x = nullptr;
  const float* wg = nullptr;
  const float* wu = nullptr;
  float* h = nullptr;
  float* g = nullptr;               // unfused only: x Wg^T [m x n]
  float* u = nullptr;               // unfused only: x Wu^T [m x n]
  float* const* scratch = nullptr;  // [threads], FfnScratchFloats(lanes) each
  // Optional (FfnReadsPanels targets): the panel sets of PackFfnPanels and the GEMV workspace
  // (FfnWorkspaceBytes, 64-byte aligned). Without them every target runs the row-major tiles.
  const float* panels_g = nullptr;
  const float* panels_u = nullptr;
  void* workspace = nullptr;
};

// Runs the fused or unfused kernel compiled for `target` with data.threads OpenMP threads.
// Each thread owns a contiguous range of the n outputs (FfnPanelBlocks on the panels,
// StaticRange of attention.h on the row-major tiles) and with it the weight rows it streams.
void RunFfnSwiglu(int64_t target, const FfnData& data);

// Weight rows per micro-tile on `target` (4 with 32 vector registers, 2 with 16).
int64_t FfnTileWeightRows(int64_t target);

// Scalar reference of output (i, j) in double, with its tolerance:
//   gate and up sums g, u: DotTolerance-style bounds Eg = 2 k u sum|x w_g|,
//     Eu = 2 k u sum|x w_u| (u = 2^-24);
//   silu(g): |silu'(z)| <= 1.1 everywhere (its maximum is 1.0998 at z = 2.4), so an error Eg
//     in g moves it by at most 1.1 Eg; evaluating z / (1 + exp(-z)) in f32 adds exp's 1 ulp
//     (2u relative), the add (u) and the divide (u): 4u |silu(g)|;
//   h = silu(g) u_: |err| <= |silu(g)| Eu + |u_| (1.1 Eg + 4u |silu(g)|) + u |h| + 1.1 Eg Eu,
// doubled for reassociation across lanes, as DotTolerance does.
struct FfnReference {
  double value = 0;
  double tolerance = 0;
};
// `h` (optional) receives the value at its place in [m x n]; `counter` (optional) records
// every byte read and written.
FfnReference FfnSwigluReference(const FfnDims& dims, const float* x, const float* wg,
                                const float* wu, int64_t i, int64_t j, float* h = nullptr,
                                TouchCounter* counter = nullptr);

// Work model (documented beside the kernels in ffn.cc).
WorkModel FfnSwigluModel(const FfnDims& dims, bool fused, const ModelContext& ctx);

// Adds ffn_swiglu_fused and ffn_swiglu_unfused to the registry.
void RegisterFfnKernels(std::vector<KernelInfo>* out);

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_FFN_H_
