// Baseline workloads run by an external BLAS (OpenBLAS, loaded at run time), measured beside
// roofprof's own kernels and held against the same work model.
#ifndef ROOFPROF_KERNELS_OPENBLAS_H_
#define ROOFPROF_KERNELS_OPENBLAS_H_

#include <memory>
#include <string>

#include "kernels/workload.h"
#include "src/units.h"

namespace roofprof {

// The workload `kernel` (a registry name: "gemm_f32", or "gemv_f32" when that kernel is
// registered) computed by `library` ("openblas") with `threads` threads. Its name() is
// "<library>:<kernel>" and its Model() is the roofprof kernel's own model for the same shape,
// so both sit on one roofline. Returns nullptr and sets `why_not` to a one-line reason when
// the library cannot be loaded, lacks a symbol, or has no equivalent of the kernel.
// Throws UsageError for shapes the kernel rejects.
std::unique_ptr<Workload> MakeBaselineWorkload(const std::string& library,
                                               const std::string& kernel, const Shape& shape,
                                               int threads, std::string* why_not);

// Installs MakeBaselineWorkload as the kernel runner's baseline factory (`roofprof kernels
// --baseline openblas`).
void RegisterOpenBlasBaseline();

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_OPENBLAS_H_
