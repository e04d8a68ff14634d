// Prefill matrix products C[m x n] = A[m x k] * W[n x k]^T (f32 activations, f32 or bf16
// weights, f32 accumulation): packed, cache- and register-blocked, OpenMP over a 2-D grid.
#ifndef ROOFPROF_KERNELS_GEMM_H_
#define ROOFPROF_KERNELS_GEMM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hwy/base.h"  // hwy::bfloat16_t (a plain 16-bit struct, no SIMD type)
#include "kernels/workload.h"
#include "src/memory.h"

namespace roofprof {

// Register and cache blocking of one Highway target, as data (BLIS's names). The values and
// their derivations live beside the micro-kernel in kernels/gemm-inl.h.
struct GemmBlocking {
  int mr = 0;  // C rows (tokens) per register tile: A values broadcast per k step
  int nr = 0;  // C columns (out features) per register tile: vectors x lanes
  int kc = 0;  // depth of the packed panels; also the row stride of a packed A block
  int mc = 0;  // A rows per packed A block (multiple of mr); the block stays in L2
  int nc = 0;  // W rows per packed W block (multiple of nr); the block stays in L3
};

// The blocking `target` (a bit from AvailableTargets()) runs with.
GemmBlocking GemmBlockingFor(int64_t target);

// Threads split C into tm x tn independent blocks: thread t owns row part t / tn and column
// part t % tn. Each thread reads its A rows and its W rows, so the grid minimizes the rows
// one thread reads, m/tm + n/tn (ties split n: W is usually the larger operand).
struct GemmGrid {
  int tm = 1;
  int tn = 1;
};
GemmGrid ChooseGemmGrid(int64_t m, int64_t n, int threads, const GemmBlocking& b);

// The block size a loop over `extent` in blocks of at most `max_block` uses: the fewest
// blocks, equal in size up to `align` (max_block is a multiple of align), so no loop ends on
// a sliver (2048 rows in blocks of 336 are 7 x 294 rather than 6 x 336 + 32).
inline int64_t GemmBalancedBlock(int64_t extent, int64_t max_block, int64_t align) {
  if (extent <= 0) return max_block;
  const int64_t blocks = (extent + max_block - 1) / max_block;
  const int64_t even = (extent + blocks - 1) / blocks;
  return (even + align - 1) / align * align;
}

// [begin, end) of part `i` of `parts` over [0, extent), cut at multiples of `align` so only
// the last part has a ragged edge.
std::pair<int64_t, int64_t> GemmPartRange(int64_t extent, int parts, int i, int64_t align);

// Per-thread packing buffers (packed A block, packed W block, one edge tile), sized for the
// largest blocking among AvailableTargets() so a Setup serves every target.
class GemmWorkspace {
 public:
  GemmWorkspace() = default;
  // Allocates each thread's buffer from that thread (an OpenMP region of `threads`) and
  // first-touches it there.
  void Allocate(int threads);
  int threads() const { return static_cast<int>(buffers_.size()); }
  float* buffer(int tid) const { return reinterpret_cast<float*>(buffers_[tid].get()); }
  // Floats in each thread's buffer.
  size_t floats_per_thread() const { return floats_; }
  // Floats one thread needs for blocking `b`.
  static size_t FloatsFor(const GemmBlocking& b);

 private:
  std::vector<AlignedBuffer> buffers_;
  size_t floats_ = 0;
};

// C = A * W^T on `target` with ws->threads() OpenMP threads. Row-major, with leading
// dimensions (elements between rows) lda >= k, ldw >= k, ldc >= n. C is written, not
// accumulated into. Pointers need no particular alignment.
void GemmF32(int64_t target, const float* a, int64_t lda, const float* w, int64_t ldw, float* c,
             int64_t ldc, int64_t m, int64_t n, int64_t k, GemmWorkspace* ws);
void GemmBf16(int64_t target, const float* a, int64_t lda, const hwy::bfloat16_t* w, int64_t ldw,
              float* c, int64_t ldc, int64_t m, int64_t n, int64_t k, GemmWorkspace* ws);

// Scalar reference for one output: sum_l a[l] * w[l] accumulated in double (bf16 widened
// exactly). `abs_sum` (may be null) receives sum_l |a[l] * w[l]| for error bounds.
double GemmReferenceDot(const float* a, const float* w, int64_t k, double* abs_sum);
double GemmReferenceDot(const float* a, const hwy::bfloat16_t* w, int64_t k, double* abs_sum);

// Whole-product check in O(mk + nk + mn): compares C t with A (W^T t) for a pseudo-random t
// (from `seed`), row by row. From |C_ij - exact_ij| <= 2 k eps sum_l |a_il w_jl| (the bound
// of DotTolerance), row i of C t may differ from the exact value by at most
// 2 k eps (|A| (|W|^T |t|))_i; the double sums add (n + k) 2^-53 relative error. Returns the
// largest |difference| / bound over the rows (<= 1 passes).
double GemmCheckProduct(const float* a, int64_t lda, const float* w, int64_t ldw, const float* c,
                        int64_t ldc, int64_t m, int64_t n, int64_t k, uint64_t seed);
double GemmCheckProduct(const float* a, int64_t lda, const hwy::bfloat16_t* w, int64_t ldw,
                        const float* c, int64_t ldc, int64_t m, int64_t n, int64_t k,
                        uint64_t seed);

// Bytes per weight element.
enum class GemmWeights { kF32, kBf16 };
inline int GemmWeightBytes(GemmWeights w) { return w == GemmWeights::kF32 ? 4 : 2; }

// The work model of one run (see the comment block in kernels/gemm.cc): flops 2mnk,
// compulsory bytes, and per-level traffic implied by blocking `b` and grid of ctx.threads.
WorkModel GemmWorkModel(int64_t m, int64_t n, int64_t k, GemmWeights weights, const GemmBlocking& b,
                        const ModelContext& ctx);

// Registers gemm_f32 and gemm_bf16.
void RegisterGemmKernels(std::vector<KernelInfo>* out);

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_GEMM_H_
