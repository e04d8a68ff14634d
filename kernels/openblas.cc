// OpenBLAS baseline: cblas_sgemm / cblas_sgemv found with dlopen at run time, wrapped as
// workloads that carry the matching roofprof kernel's work model.
#include "kernels/openblas.h"

#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "hwy/base.h"
#include "kernels/gemm.h"
#include "src/error.h"
#include "src/kernel_runner.h"
#include "src/memory.h"

namespace roofprof {
namespace {

// CBLAS constants (cblas.h), spelled out so no BLAS header is needed at build time.
constexpr int kCblasRowMajor = 101;
constexpr int kCblasNoTrans = 111;
constexpr int kCblasTrans = 112;

using SgemmFn = void (*)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                         const float* a, int lda, const float* b, int ldb, float beta, float* c,
                         int ldc);
using SgemvFn = void (*)(int order, int trans, int m, int n, float alpha, const float* a, int lda,
                         const float* x, int incx, float beta, float* y, int incy);
using SetThreadsFn = void (*)(int threads);

struct OpenBlas {
  void* handle = nullptr;
  SgemmFn sgemm = nullptr;
  SgemvFn sgemv = nullptr;
  SetThreadsFn set_threads = nullptr;
  std::string error;  // why it is unusable, "" when usable
};

// Loaded once per process and never closed: OpenBLAS keeps a thread pool alive.
const OpenBlas& LoadOpenBlas() {
  static const OpenBlas lib = [] {
    OpenBlas l;
    std::string tried;
    for (const char* name : {"libopenblas.so.0", "libopenblas.so"}) {
      l.handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (l.handle != nullptr) break;
      const char* e = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (e != nullptr ? e : name);
    }
    if (l.handle == nullptr) {
      l.error = "libopenblas is not installed (" + tried + ")";
      return l;
    }
    l.sgemm = reinterpret_cast<SgemmFn>(dlsym(l.handle, "cblas_sgemm"));
    l.sgemv = reinterpret_cast<SgemvFn>(dlsym(l.handle, "cblas_sgemv"));
    l.set_threads = reinterpret_cast<SetThreadsFn>(dlsym(l.handle, "openblas_set_num_threads"));
    if (l.sgemm == nullptr || l.sgemv == nullptr || l.set_threads == nullptr) {
      l.error = "libopenblas lacks cblas_sgemm, cblas_sgemv or openblas_set_num_threads";
    }
    return l;
  }();
  return lib;
}

// Deterministic values in [-1, 1) (xorshift), filled by the thread given each row range.
float Pseudo(uint64_t seed, uint64_t i) {
  uint64_t z = (seed + 1) * 0x9E3779B97F4A7C15ull ^ (i * 0xBF58476D1CE4E5B9ull + 1);
  z ^= z >> 31;
  z *= 0x94D049BB133111EBull;
  z ^= z >> 29;
  return static_cast<float>(static_cast<double>(z >> 11) * 0x1p-52 - 1.0);
}

void FillRows(float* p, int64_t rows, int64_t cols, uint64_t seed, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j)
      p[i * cols + j] = Pseudo(seed, static_cast<uint64_t>(i * cols + j));
  }
}

// C[m x n] = A[m x k] * W[n x k]^T through OpenBLAS: cblas_sgemm with W transposed, or
// cblas_sgemv (y = W x) for a single row when `gemv` is set.
class OpenBlasWorkload : public Workload {
 public:
  OpenBlasWorkload(const OpenBlas& lib, std::string kernel, Shape shape,
                   std::unique_ptr<Workload> own, int64_t m, int64_t n, int64_t k, bool gemv,
                   int threads)
      : lib_(lib),
        kernel_(std::move(kernel)),
        shape_(std::move(shape)),
        own_(std::move(own)),
        m_(m),
        n_(n),
        k_(k),
        gemv_(gemv),
        threads_(std::max(1, threads)) {}

  std::string name() const override { return "openblas:" + kernel_; }
  Shape shape() const override { return shape_; }
  std::string description() const override {
    return std::string("OpenBLAS ") + (gemv_ ? "cblas_sgemv" : "cblas_sgemm") + " baseline for " +
           kernel_;
  }
  // The roofprof kernel's model for the same shape (never set up, only asked).
  WorkModel Model(const ModelContext& ctx) const override { return own_->Model(ctx); }

  // Sizes OpenBLAS's thread pool to `threads` (the count the workload was made for unless
  // Setup says otherwise).
  void Setup(int threads) override {
    if (threads > 0) threads_ = threads;
    const double bytes = 4.0 * static_cast<double>(m_ * k_ + n_ * k_ + m_ * n_);
    CheckFitsInMemory(static_cast<uint64_t>(bytes), name());
    a_ = AllocateAligned(static_cast<size_t>(m_ * k_) * sizeof(float));
    w_ = AllocateAligned(static_cast<size_t>(n_ * k_) * sizeof(float));
    c_ = AllocateAligned(static_cast<size_t>(m_ * n_) * sizeof(float));
    FillRows(A(), m_, k_, 1, threads_);
    FillRows(W(), n_, k_, 2, threads_);
    FillRows(C(), m_, n_, 3, threads_);
    lib_.set_threads(threads_);
  }

  double Run(int64_t /*target: OpenBLAS dispatches by itself*/) override {
    const int m = static_cast<int>(m_), n = static_cast<int>(n_), k = static_cast<int>(k_);
    if (gemv_) {
      lib_.sgemv(kCblasRowMajor, kCblasNoTrans, n, k, 1.0f, W(), k, A(), 1, 0.0f, C(), 1);
    } else {
      lib_.sgemm(kCblasRowMajor, kCblasNoTrans, kCblasTrans, m, n, k, 1.0f, A(), k, W(), k, 0.0f,
                 C(), n);
    }
    double sum = 0;
    for (int64_t i = 0; i < m_; ++i) sum += C()[i * n_ + (i * 7919) % n_];
    return sum;
  }

  double Verify() override { return GemmCheckProduct(A(), k_, W(), k_, C(), n_, m_, n_, k_, 4); }

 private:
  float* A() const { return reinterpret_cast<float*>(a_.get()); }
  float* W() const { return reinterpret_cast<float*>(w_.get()); }
  float* C() const { return reinterpret_cast<float*>(c_.get()); }

  const OpenBlas& lib_;
  std::string kernel_;
  Shape shape_;
  std::unique_ptr<Workload> own_;
  int64_t m_, n_, k_;
  bool gemv_;
  int threads_ = 1;
  AlignedBuffer a_, w_, c_;
};

}  // namespace

std::unique_ptr<Workload> MakeBaselineWorkload(const std::string& library,
                                               const std::string& kernel, const Shape& shape,
                                               int threads, std::string* why_not) {
  const auto refuse = [why_not](const std::string& reason) {
    if (why_not != nullptr) *why_not = reason;
    return std::unique_ptr<Workload>();
  };
  if (library != "openblas") return refuse("no baseline library named '" + library + "'");
  if (kernel != "gemm_f32" && kernel != "gemv_f32") {
    return refuse("openblas has no equivalent of " + kernel);
  }
  const KernelInfo* info = FindKernel(kernel);
  if (info == nullptr) return refuse(kernel + " is not in this build's kernel registry");
  const Shape full = CompleteShape(*info, shape);
  std::unique_ptr<Workload> own = info->make(full);  // validates the shape; never set up
  const int64_t m = ShapeValue(full, "m", 1), n = ShapeValue(full, "n", 0);
  const int64_t k = ShapeValue(full, "k", 0);
  if (m <= 0 || n <= 0 || k <= 0) return refuse(kernel + " shape lacks positive m, n, k");
  if (m * k > INT_MAX || n * k > INT_MAX || m * n > INT_MAX) {
    return refuse("shape " + FormatShape(full) + " exceeds OpenBLAS's 32-bit indices");
  }
  const OpenBlas& lib = LoadOpenBlas();
  if (!lib.error.empty()) return refuse(lib.error);
  return std::make_unique<OpenBlasWorkload>(lib, kernel, own->shape(), std::move(own), m, n, k,
                                            kernel == "gemv_f32" && m == 1, threads);
}

void RegisterOpenBlasBaseline() { SetBaselineFactory(&MakeBaselineWorkload); }

}  // namespace roofprof
