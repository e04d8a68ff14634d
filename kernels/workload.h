// The kernel interface: a piece of LLM-like work with an exact work model, set up once and run
// many times by the harness. Kernels never time themselves.
#ifndef ROOFPROF_KERNELS_WORKLOAD_H_
#define ROOFPROF_KERNELS_WORKLOAD_H_

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "src/machine.h"
#include "src/units.h"

namespace roofprof {

// What one Run() does, from the kernel's analytic model (provenance "model").
struct WorkModel {
  double flops = 0;  // floating-point (or integer multiply-add) operations; an FMA counts 2
  // Bytes moved per Run() in steady state (the harness runs the kernel back to back, so data
  // that fits in a cache stays there between runs):
  //   bytes[L1]   = bytes the core loads and stores (all load/store instructions' widths);
  //   bytes[L2]   = traffic between L2 and L1 (L1 misses + write-backs);
  //   bytes[L3]   = traffic between L3 and L2;
  //   bytes[DRAM] = traffic between memory and the last-level cache.
  std::array<double, kNumLevels> bytes{};
  // Unique bytes: every input read once and every output written once. DRAM traffic can only
  // exceed this through re-reads the blocking implies.
  double compulsory_bytes = 0;
  // Compute ceiling this work is held against: "fp32", "fp64", "bf16", "int8" ...
  std::string precision = "fp32";
  // Human-readable derivation, one line per level, for reports.
  std::vector<std::string> derivation;
};

// What a model may depend on: the (effective) caches, the thread count and the Highway target
// the kernel runs on (its blocking and loop differ by target).
struct ModelContext {
  std::vector<CacheLevel> caches;  // levels 1..3 as in machine.json
  int threads = 1;
  int64_t target = 0;  // 0: the best target here (ModelTarget)
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  virtual Shape shape() const = 0;
  virtual WorkModel Model(const ModelContext& ctx) const = 0;
  // Allocates and first-touches the data with `threads` OpenMP threads, the same ones Run()
  // will use, so each page lands near the thread that reads it.
  virtual void Setup(int threads) = 0;
  // One execution on Highway target `target` (a bit from AvailableTargets()) with the threads
  // given to Setup. Returns a checksum of the output so the work cannot be elided.
  virtual double Run(int64_t target) = 0;
  // Compares the output of the last Run() with the kernel's scalar double-accumulating
  // reference (on a sample of outputs where a full check would take too long). Returns the
  // largest |error| / tolerance seen: <= 1 passes.
  virtual double Verify() = 0;
  // One line for tables: what the kernel stands for ("decode GEMV, f32 weights").
  virtual std::string description() const = 0;
};

// The larger of two |error| / tolerance ratios for Verify(), where NaN counts as the worst
// possible (std::max passes over a NaN, and a kernel writing NaN must fail its check).
inline double WorseError(double worst, double err) {
  if (!(err <= worst)) return err == err ? err : std::numeric_limits<double>::infinity();
  return worst;
}

struct KernelInfo {
  std::string name;
  std::string summary;            // one line for --help and listings
  std::vector<std::string> dims;  // shape keys it accepts, e.g. {"m", "n", "k"}
  Shape default_shape;            // used when --shape is not given
  std::vector<Shape> suite;       // shapes in the default `roofprof kernels` run
  // Builds the workload; missing keys take default_shape's values. Throws UsageError for
  // unknown keys or values the kernel cannot run.
  std::function<std::unique_ptr<Workload>(const Shape&)> make;
};

// All kernels, in listing order.
const std::vector<KernelInfo>& KernelRegistry();
// nullptr when `name` is unknown.
const KernelInfo* FindKernel(const std::string& name);
// Fills missing keys from `info.default_shape`; throws UsageError naming unknown keys.
Shape CompleteShape(const KernelInfo& info, const Shape& given);

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_WORKLOAD_H_
