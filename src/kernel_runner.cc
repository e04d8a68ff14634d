// The kernel runner: one code path for every kernel, so results are comparable.
#include "src/kernel_runner.h"

#include <fmt/format.h>

#include <cmath>
#include <mutex>

#include "src/advice.h"
#include "src/counters.h"
#include "src/error.h"
#include "src/harness.h"
#include "src/io.h"
#include "src/memory.h"
#include "src/roofline.h"
#include "src/sde.h"
#include "src/targets.h"
#include "src/units.h"
#include "src/version.h"

namespace roofprof {
namespace {

BaselineFactory& Factory() {
  static BaselineFactory f;
  return f;
}

}  // namespace

void SetBaselineFactory(BaselineFactory factory) { Factory() = std::move(factory); }

std::vector<KernelJob> DefaultJobs() {
  std::vector<KernelJob> jobs;
  for (const auto& k : KernelRegistry()) {
    for (const auto& s : k.suite) jobs.push_back({k.name, CompleteShape(k, s)});
  }
  return jobs;
}

KernelJob MakeJob(const std::string& name, const Shape& shape) {
  const KernelInfo* info = FindKernel(name);
  if (info == nullptr) {
    std::string names;
    for (const auto& k : KernelRegistry()) names += (names.empty() ? "" : ", ") + k.name;
    throw UsageError("unknown kernel '" + name + "' (available: " + names + ")");
  }
  return {name, CompleteShape(*info, shape)};
}

KernelResult MeasureWorkload(Workload& w, const WorkModel& model, const Topology& topo, int threads,
                             int64_t target, bool quick, bool verify) {
  Team team(topo, threads);
  // Each repetition runs the kernel back to back for at least 0.1 s (tens of runs for decode
  // shapes, one or two for prefill), so steady-state cache contents match the work model.
  MeasureConfig cfg;
  cfg.min_seconds = quick ? 0.03 : 0.1;
  cfg.repetitions = quick ? 3 : 5;
  // Counters: hardware events where PAPI can count them, and the model counts the kernel
  // publishes as software-defined events (read back through PAPI like any other event).
  CounterOptions copt;
  copt.threads = threads;
  CounterSession session(copt);
  SdePublisher& sde = SdePublisher::Get();
  Timing t;
  for (int pass = 0; pass < session.passes(); ++pass) {
    session.BeginPass(pass);
    const Timing tp = MeasureCall(
        team, cfg,
        [&](uint64_t iters) {
          double sum = 0;
          for (uint64_t i = 0; i < iters; ++i) sum += w.Run(target);
          sde.Publish(model, iters);
          return sum;
        },
        &session);
    session.EndPass(tp.iterations, tp.repetitions);
    if (pass == 0) t = tp;  // pass 0 carries the FLOP events: its timing is the one reported
  }
  KernelResult r;
  r.name = w.name();
  r.shape = w.shape();
  r.threads = threads;
  r.isa = target != 0 ? TargetName(target) : "";
  r.precision = model.precision;
  r.description = w.description();
  r.seconds = t.best;
  r.median_seconds = t.median;
  r.spread = t.spread;
  r.compulsory_bytes = model.compulsory_bytes;
  r.derivation = model.derivation;
  r.checksum = t.checksum;
  ApplyCounts(model, session.Readings(), &r);
  r.gflops = t.best > 0 ? r.flops / t.best / 1e9 : 0;
  if (verify) r.verify_error = w.Verify();
  return r;
}

void ApplyCounts(const WorkModel& model, const std::vector<CounterReading>& readings,
                 KernelResult* r) {
  // FLOPs and bytes by provenance, best first: hardware counters, then the software-defined
  // events (the model's counts read back through PAPI), then the model itself. Bytes take one
  // source for all four levels, so a result never mixes measured and modelled traffic.
  const auto pick = [&](Quantity q) -> const CounterReading* {
    for (const char* src : {kSourceCounters, kSourceSde}) {
      const CounterReading* c = FindReading(readings, q, src);
      if (c != nullptr && c->available) return c;
    }
    return nullptr;
  };
  r->flops = model.flops;
  r->flops_source = kSourceModel;
  if (const CounterReading* c = pick(Quantity::kFlops)) {
    r->flops = c->per_iteration;
    r->flops_source = c->source;
    for (const auto& e : c->events) r->events.push_back(e);
  }
  r->bytes = model.bytes;
  r->bytes_source = kSourceModel;
  const Quantity levels[kNumLevels] = {Quantity::kBytesL1, Quantity::kBytesL2, Quantity::kBytesL3,
                                       Quantity::kBytesDram};
  for (const char* src : {kSourceCounters, kSourceSde}) {
    std::array<const CounterReading*, kNumLevels> got{};
    bool all = true;
    for (int l = 0; l < kNumLevels; ++l) {
      got[static_cast<size_t>(l)] = FindReading(readings, levels[l], src);
      all = all && got[static_cast<size_t>(l)] != nullptr && got[static_cast<size_t>(l)]->available;
    }
    if (!all) continue;
    for (int l = 0; l < kNumLevels; ++l) {
      r->bytes[static_cast<size_t>(l)] = got[static_cast<size_t>(l)]->per_iteration;
      for (const auto& e : got[static_cast<size_t>(l)]->events) r->events.push_back(e);
    }
    r->bytes_source = src;
    break;
  }
}

void ApplyDramShare(const Machine& machine, int threads, WorkModel* model) {
  const size_t dram = static_cast<size_t>(Level::kDram);
  if (!(model->bytes[dram] > 0)) return;
  std::string why;
  const double share = DramShare(machine, threads, model->compulsory_bytes, &why);
  if (share >= 1.0) return;
  model->bytes[dram] *= share;
  model->derivation.push_back(why);
}

std::vector<const KernelResult*> ResultsOverRoof(const KernelsFile& f) {
  std::vector<const KernelResult*> over;
  for (const auto& r : f.results) {
    if (r.efficiency > kMaxPlausibleEfficiency) over.push_back(&r);
  }
  return over;
}

std::string OverRoofNote(const std::vector<const KernelResult*>& over, const std::string& advice) {
  if (over.empty()) return "";
  const KernelResult* worst = over.front();
  for (const KernelResult* r : over) {
    if (r->efficiency > worst->efficiency) worst = r;
  }
  return fmt::format(
      "{} result{} ran faster than {} roof (worst: {} {} at {:.0f}% of its {} roof): a ceiling "
      "was measured low, with other work sharing the machine then, or the machine model is "
      "stale; {}",
      over.size(), over.size() == 1 ? "" : "s", over.size() == 1 ? "its" : "their", worst->name,
      FormatShape(worst->shape), 100.0 * worst->efficiency, worst->bound, advice);
}

void ClassifyResult(const Machine& machine, KernelResult* r) {
  const Ceilings c = SelectCeilings(machine, r->precision, r->threads, r->isa);
  const Classification k = Classify(r->flops, r->seconds, r->bytes, c);
  r->bound = k.bound;
  r->attainable_gflops = k.attainable_gflops;
  r->efficiency = k.efficiency;
  r->ai = k.ai;
  r->carm_ai = k.carm_ai;
  r->bound_seconds = k.bound_seconds;
}

void RunKernels(const Machine& machine, const Topology& topo, const KernelRunOptions& options,
                KernelsFile* out_ptr) {
  KernelsFile& out = *out_ptr;
  out.created = NowIso8601();
  out.tool_version = kVersion;
  out.machine_model = machine.cpu.model;
  out.machine_created = machine.created;
  int64_t target = BestTarget();
  if (!options.isa.empty()) {
    target = TargetFromName(options.isa);
    if (target == 0) {
      std::string names;
      for (const auto& n : AvailableTargetNames()) names += (names.empty() ? "" : ", ") + n;
      throw UsageError("--isa: '" + options.isa + "' is not available here (available: " + names +
                       ")");
    }
  }
  const CounterStatus& counters = GetCounterStatus();
  out.notes.push_back(counters.Line());
  if (counters.hardware_usable) {
    // Check the counters against probe kernels of known work before trusting them.
    const SelfCheck check = RunCounterSelfCheck(machine.caches);
    out.notes.push_back("counter self-check: " + check.Summary());
  }
  ModelContext ctx;
  ctx.caches = machine.caches;
  ctx.threads = options.threads;
  ctx.target = target;
  const size_t total = options.jobs.size();
  for (size_t i = 0; i < total; ++i) {
    CheckInterrupted();
    const KernelJob& job = options.jobs[i];
    const KernelInfo* info = FindKernel(job.name);
    if (info == nullptr) throw UsageError("unknown kernel '" + job.name + "'");
    std::vector<std::unique_ptr<Workload>> runs;
    runs.push_back(info->make(job.shape));
    if (!options.baseline.empty()) {
      std::string why;
      std::unique_ptr<Workload> b;
      if (Factory()) {
        b = Factory()(options.baseline, job.name, job.shape, options.threads, &why);
      } else {
        why = "no baseline library support in this build";
      }
      if (b) {
        runs.push_back(std::move(b));
      } else {
        out.notes.push_back(options.baseline + " baseline for " + job.name + " " +
                            FormatShape(job.shape) + ": " + why);
      }
    }
    for (auto& w : runs) {
      if (options.progress) {
        options.progress(w->name() + " " + FormatShape(job.shape), static_cast<double>(i) / total);
      }
      WorkModel model = w->Model(ctx);
      ApplyDramShare(machine, options.threads, &model);
      // Refuse before allocating: the compulsory bytes are what Setup allocates.
      CheckFitsInMemory(static_cast<uint64_t>(model.compulsory_bytes),
                        w->name() + " " + FormatShape(job.shape));
      w->Setup(options.threads);
      const bool is_baseline = w->name() != job.name;
      KernelResult r = MeasureWorkload(*w, model, topo, options.threads, is_baseline ? 0 : target,
                                       options.quick, options.verify);
      if (is_baseline) r.baseline = options.baseline;
      ClassifyResult(machine, &r);
      r.advice = AdviseKernel(r, machine, topo.usable_threads);
      out.results.push_back(std::move(r));
    }
  }
  const auto over = ResultsOverRoof(out);
  if (!over.empty()) {
    out.notes.push_back(OverRoofNote(over, options.over_roof_advice));
  }
  if (options.progress) options.progress("done", 1.0);
}

}  // namespace roofprof
