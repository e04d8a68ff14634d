// Runs kernels through the harness and places each on the machine's roofline: set up, model,
// time (calibrated, repeated), verify against the reference, classify.
#ifndef ROOFPROF_SRC_KERNEL_RUNNER_H_
#define ROOFPROF_SRC_KERNEL_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/workload.h"
#include "src/counters.h"
#include "src/machine.h"
#include "src/results.h"
#include "src/topology.h"

namespace roofprof {

struct KernelJob {
  std::string name;
  Shape shape;  // complete (CompleteShape applied)
};

struct KernelRunOptions {
  std::vector<KernelJob> jobs;
  int threads = 1;
  std::string isa;       // Highway target name; "" = best available
  std::string baseline;  // "" or "openblas": also run the library's equivalent where it has one
  bool quick = false;    // shorter measurements
  bool verify = true;    // compare each result with the scalar reference once
  // What the note on results that ran faster than their roof advises.
  std::string over_roof_advice =
      "probe again (`roofprof run` re-measures the ceilings itself when this happens)";
  std::function<void(const std::string& stage, double done)> progress;
};

// The default `roofprof kernels` set: every registered kernel's suite shapes.
std::vector<KernelJob> DefaultJobs();

// Builds the job for `name` (UsageError listing the kernels when unknown) with `shape`
// completed from the kernel's defaults (UsageError for unknown dimensions).
KernelJob MakeJob(const std::string& name, const Shape& shape);

// Creates the workload for a job, or the baseline library's equivalent. Returns nullptr and
// sets *why_not when a baseline has no equivalent. Exposed so other front ends can reuse it.
using BaselineFactory =
    std::function<std::unique_ptr<Workload>(const std::string& library, const std::string& kernel,
                                            const Shape& shape, int threads, std::string* why_not)>;
// Installs the baseline factory (the OpenBLAS adapter registers itself when linked).
void SetBaselineFactory(BaselineFactory factory);

// Runs every job (and baselines), appending results classified against `machine` to `out` as
// each completes, so a caller interrupted half way (Interrupted is thrown) still holds every
// finished result.
void RunKernels(const Machine& machine, const Topology& topo, const KernelRunOptions& options,
                KernelsFile* out);

// Measures one workload already Setup() on `threads` threads and fills a result (no
// classification). Exposed for tests.
KernelResult MeasureWorkload(Workload& w, const WorkModel& model, const Topology& topo, int threads,
                             int64_t target, bool quick, bool verify);

// Sets r's FLOPs and bytes from counter readings where available (hardware counters first,
// then software-defined events), else from the model, with their provenance and events.
void ApplyCounts(const WorkModel& model, const std::vector<CounterReading>& readings,
                 KernelResult* r);

// Scales the model's DRAM bytes by DramShare (roofline.h) at its compulsory working set, on
// `threads` threads, and says so in its derivation; leaves it as it is where the share is 1.
void ApplyDramShare(const Machine& machine, int threads, WorkModel* model);

// Efficiency above which a result is not plausible: repetition noise puts a kernel a few
// percent past its roof at most; further means a ceiling was measured low (other work on the
// memory system, a frequency dip) or the machine.json is stale.
inline constexpr double kMaxPlausibleEfficiency = 1.1;

// Results of `f` whose efficiency exceeds kMaxPlausibleEfficiency, in order.
std::vector<const KernelResult*> ResultsOverRoof(const KernelsFile& f);

// One line naming how many results ran faster than their roof and the worst of them, e.g.
// "2 results ran faster than their roof: gemv_f32 m=1,n=4096,k=4096 at 190% of its DRAM roof
// ..."; `advice` is what to do about it.
std::string OverRoofNote(const std::vector<const KernelResult*>& over, const std::string& advice);

// Fills the classification fields of `r` from `machine`.
void ClassifyResult(const Machine& machine, KernelResult* r);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_KERNEL_RUNNER_H_
