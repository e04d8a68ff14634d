// Kernel option handling shared by `kernels` and `run`.
#include "src/cli/kernels_common.h"

#include <fmt/format.h>

#include "src/cli/common.h"
#include "src/error.h"
#include "src/targets.h"
#include "src/units.h"

namespace roofprof::cli {

void AddKernelOptions(CLI::App* sub, KernelCliOptions* o) {
  sub->add_option("--only", o->only, "run only these kernels (comma-separated names; see --list)");
  sub->add_option("--shape", o->shape,
                  "shape for the one kernel given with --only, e.g. m=4,n=4096,k=4096 "
                  "(missing dimensions take the kernel's defaults)");
  sub->add_option("--threads", o->threads, "threads (default: every usable CPU)")
      ->check(WholeNumberAtLeastOne());
  sub->add_option("--isa", o->isa, "Highway target to run on, e.g. AVX2 (default: the best)");
  sub->add_option("--baseline", o->baseline,
                  "also run a library's equivalent where it has one: openblas");
  sub->add_flag("--quick", o->quick, "shorter measurements");
  sub->add_flag("--no-verify", o->no_verify, "skip the check against the scalar reference");
}

KernelRunOptions ResolveKernelOptions(const KernelCliOptions& o, const Topology& topo) {
  KernelRunOptions run;
  run.threads = ResolveThreads(o.threads, topo);
  run.isa = o.isa;
  if (!o.isa.empty() && TargetFromName(o.isa) == 0) {
    std::string names;
    for (const auto& n : AvailableTargetNames()) names += (names.empty() ? "" : ", ") + n;
    throw UsageError("--isa: '" + o.isa + "' is not available here (available: " + names + ")");
  }
  run.quick = o.quick;
  run.verify = !o.no_verify;
  if (!o.baseline.empty() && o.baseline != "openblas") {
    throw UsageError("--baseline: '" + o.baseline + "' is not supported (supported: openblas)");
  }
  run.baseline = o.baseline;
  if (o.only.empty()) {
    if (!o.shape.empty()) throw UsageError("--shape needs exactly one kernel named with --only");
    run.jobs = DefaultJobs();
    if (run.jobs.empty()) throw EnvironmentError("no kernels are built into this binary");
    return run;
  }
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= o.only.size()) {
    const size_t comma = o.only.find(',', start);
    const std::string name =
        o.only.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.empty()) throw UsageError("--only: empty kernel name in '" + o.only + "'");
    names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!o.shape.empty() && names.size() != 1) {
    throw UsageError("--shape needs exactly one kernel named with --only");
  }
  const Shape shape = o.shape.empty() ? Shape{} : ParseShape(o.shape);
  for (const auto& name : names) {
    if (o.shape.empty()) {
      // A kernel named without a shape runs its suite shapes (or its default shape).
      const KernelInfo* info = FindKernel(name);
      if (info != nullptr && !info->suite.empty()) {
        for (const auto& s : info->suite) run.jobs.push_back(MakeJob(name, s));
        continue;
      }
    }
    run.jobs.push_back(MakeJob(name, shape));
  }
  return run;
}

std::string KernelListText() {
  std::string s;
  for (const auto& k : KernelRegistry()) {
    std::string dims;
    for (const auto& d : k.dims) dims += (dims.empty() ? "" : ",") + d;
    s += fmt::format("{:<22} {}\n{:<22} dims {}; default {}; {} suite shape(s)\n", k.name,
                     k.summary, "", dims, FormatShape(k.default_shape), k.suite.size());
  }
  if (s.empty()) s = "no kernels are built into this binary\n";
  return s;
}

}  // namespace roofprof::cli
