// The probe run: clock, compute ceilings per target/precision/op, the bandwidth sweep with
// cache-edge detection, per-level bandwidth ceilings, and pointer-chase latency.
#include "probes/probe.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "probes/bandwidth.h"
#include "probes/clock.h"
#include "probes/latency.h"
#include "probes/levels.h"
#include "probes/peak_flops.h"
#include "src/cpu_db.h"
#include "src/error.h"
#include "src/harness.h"
#include "src/io.h"
#include "src/memory.h"
#include "src/platform.h"
#include "src/targets.h"
#include "src/units.h"
#include "src/version.h"

namespace roofprof {

std::vector<uint64_t> SweepSizes(uint64_t min_bytes, uint64_t max_bytes, double ratio,
                                 uint64_t granule) {
  std::vector<uint64_t> sizes;
  if (min_bytes == 0 || granule == 0 || ratio <= 1.0) return sizes;
  // Work in granules so rounding can never stretch a step beyond `ratio`: each next size is
  // the largest multiple of the granule within ratio x the previous (at least one granule
  // more), and the last one is max_bytes rounded to the granule.
  const uint64_t first = std::max<uint64_t>(1, (min_bytes + granule - 1) / granule);
  const uint64_t last = std::max(first, max_bytes / granule);
  uint64_t u = first;
  sizes.push_back(u * granule);
  while (u < last) {
    const uint64_t next = static_cast<uint64_t>(std::floor(static_cast<double>(u) * ratio));
    u = std::min(last, std::max(u + 1, next));
    sizes.push_back(u * granule);
  }
  return sizes;
}

double PerThreadCapacity(const CacheLevel& c, int threads) {
  const int sharing = std::max(1, c.cores_sharing);
  const int instances = (threads + sharing - 1) / sharing;
  return static_cast<double>(c.size_bytes) * instances / threads;
}

double AggregateLastLevel(const std::vector<CacheLevel>& caches, int threads) {
  if (caches.empty()) return 0;
  return PerThreadCapacity(caches.back(), threads) * threads;
}

namespace {

constexpr uint64_t kClockAddsPerIteration = uint64_t{1} << 16;
constexpr uint64_t kChaseStepsPerIteration = 1024;
constexpr uint64_t kSweepMinBytes = 4096;
// Sweep step: at most 1.3x between sizes resolves a cache edge to within 30%.
constexpr double kSweepRatio = 1.3;

// Per-thread, first-touched buffers from which the bandwidth kernels carve their arrays.
class ThreadArrays {
 public:
  ThreadArrays(Team& team, uint64_t bytes_per_thread) {
    // Room for up to three arrays sharing `bytes_per_thread`: each may round up by almost a
    // page, is followed by a guard page, and the staggers add up to Footprint()'s last term.
    per_thread_ = bytes_per_thread + kMaxArrays * 2 * 4096 + (kMaxArrays + 3) * kStagger;
    buffers_.resize(static_cast<size_t>(team.size()));
    std::string failure;
#pragma omp parallel num_threads(team.size())
    {
      const int tid = omp_get_thread_num();
      try {
        AlignedBuffer b = AllocateAligned(per_thread_);
        std::memset(b.get(), 0, per_thread_);  // first touch by the thread that will use it
        buffers_[static_cast<size_t>(tid)] = std::move(b);
      } catch (const std::exception& e) {
#pragma omp critical(roofprof_alloc)
        failure = e.what();
      }
    }
    if (!failure.empty()) throw EnvironmentError(failure);
  }

  // Bytes that Arrays() spans for `count` arrays of `elems` doubles.
  static uint64_t Footprint(int count, size_t elems) {
    const uint64_t page_bytes = (elems * sizeof(double) + 4095) / 4096 * 4096;
    return static_cast<uint64_t>(count) * (page_bytes + 4096) +
           static_cast<uint64_t>(count + 3) * kStagger;
  }

  bool Fits(int count, size_t elems) const {
    return count <= kMaxArrays && Footprint(count, elems) <= per_thread_;
  }

  // Arrays of `elems` doubles for thread `tid`, each starting on a fresh page plus a stagger
  // of a few cache lines per array and per thread, so arrays of one thread do not alias in
  // the L1's sets (4 KiB aliasing) and threads do not start in lockstep on the same sets.
  void Arrays(int tid, int count, size_t elems, double** out) const {
    unsigned char* base = buffers_[static_cast<size_t>(tid)].get();
    const size_t page_bytes = (elems * sizeof(double) + 4095) / 4096 * 4096;
    for (int k = 0; k < count; ++k) {
      const size_t offset = static_cast<size_t>(k) * (page_bytes + 4096) +
                            static_cast<size_t>(k + tid % 4) * kStagger;
      out[k] = reinterpret_cast<double*>(base + offset);
    }
  }

 private:
  static constexpr size_t kStagger = 320;  // five 64-byte lines
  static constexpr int kMaxArrays = 3;
  uint64_t per_thread_ = 0;
  std::vector<AlignedBuffer> buffers_;
};

class Prober {
 public:
  Prober(const Topology& topo, const ProbeOptions& opt) : topo_(topo), opt_(opt) {
    threads_ = opt.threads > 0 ? opt.threads : topo.usable_threads;
    thread_counts_ = {1};
    if (threads_ > 1) thread_counts_.push_back(threads_);
    quick_ = opt.quick;
  }

  Machine Run() {
    const double start = NowSeconds();
    FillContext();
    if (Wants("clock") || Wants("compute") || Wants("bandwidth") || Wants("latency"))
      MeasureClock();
    if (Wants("compute")) MeasureCompute();
    if (Wants("bandwidth")) {
      MeasureDiscoverySweep();
      MeasureSweeps();
      InferLastLevelSharing();
      MeasureLevels();
    }
    if (Wants("latency")) MeasureLatency();
    Progress("done", 1.0);
    FinishNotes(NowSeconds() - start);
    return m_;
  }

 private:
  bool Wants(const char* part) const {
    if (opt_.parts.empty()) return true;
    return std::find(opt_.parts.begin(), opt_.parts.end(), part) != opt_.parts.end();
  }

  void Progress(const std::string& stage, double done) {
    if (opt_.progress) opt_.progress(stage, std::min(1.0, std::max(0.0, done)));
  }

  MeasureConfig Config(double min_seconds, int reps) const {
    MeasureConfig c;
    c.min_seconds = quick_ ? min_seconds / 4 : min_seconds;
    c.repetitions = quick_ ? std::max(2, reps / 2) : reps;
    return c;
  }

  void Track(const Timing& t) {
    ++measurements_;
    if (t.spread > 0.10) ++noisy_;
  }

  void FillContext() {
    m_.created = NowIso8601();
    m_.tool_version = kVersion;
    m_.quick = quick_;
    m_.cpu.model = topo_.model;
    m_.cpu.vendor = topo_.vendor;
    m_.cpu.arch = topo_.arch;
    m_.cpu.logical_cpus = topo_.logical_cpus;
    m_.cpu.cores = topo_.cores;
    m_.cpu.available_cpus = topo_.usable_threads;
    m_.cpu.hypervisor = platform::UnderHypervisor();
    m_.cpu.targets = AvailableTargetNames();
    core_ = RecognizeCore();
    m_.cpu.core_name = core_.known ? core_.name : "";
    m_.caches = topo_.caches;
    m_.notes = topo_.notes;
    if (!core_.known) {
      m_.notes.push_back("theoretical peaks not shown: " + core_.why_unknown);
    }
    if (m_.cpu.hypervisor) {
      m_.notes.push_back(
          "running under a hypervisor: clock and cache sizes are as the VM presents them, and "
          "hardware counters are usually unavailable");
    }
    const std::string gov =
        platform::ScalingGovernor(topo_.placement.empty() ? 0 : topo_.placement[0]);
    if (!gov.empty() && gov != "performance") {
      m_.notes.push_back("frequency governor is '" + gov +
                         "': the clock may ramp during measurements (each is warmed up first)");
    }
    const int runnable = platform::RunnableTasks();
    if (runnable > 0) {
      m_.notes.push_back("other load: " + std::to_string(runnable) +
                         " other runnable task(s) at start; numbers may be low");
    }
  }

  void MeasureClock() {
    Progress("clock", 0.0);
    const auto chain = [](int, uint64_t iters) {
      return static_cast<double>(DependentAddChain(iters * kClockAddsPerIteration));
    };
    {
      Team team(topo_, 1);
      if (!team.pinned()) {
        m_.notes.push_back("threads could not be pinned (" + team.pin_problem() +
                           "); the OS may move them during measurements");
      }
      const Timing t = MeasureTeam(team, Config(0.05, 5), chain);
      Track(t);
      clock1_ = kClockAddsPerIteration / t.best / 1e9;
    }
    clockT_ = clock1_;
    if (threads_ > 1) {
      Team team(topo_, threads_);
      const Timing t = MeasureTeam(team, Config(0.05, 5), chain);
      Track(t);
      clockT_ = kClockAddsPerIteration / t.best / 1e9;
    }
    m_.cpu.clock_ghz = clock1_;
    m_.cpu.clock_all_ghz = clockT_;
    m_.cpu.all_threads = threads_;
    m_.cpu.clock_source =
        "measured: dependent integer-add chain (1 add/cycle), best of repetitions on 1 thread";
    if (threads_ > 1) {
      m_.notes.push_back("clock under load: " + FormatRate(clock1_) + " GHz on 1 thread, " +
                         FormatRate(clockT_) + " GHz per thread on " + std::to_string(threads_) +
                         " threads");
    }
    Progress("clock", 0.02);
  }

  double ClockFor(int threads) const { return threads == 1 ? clock1_ : clockT_; }

  void MeasureCompute() {
    std::vector<int64_t> targets = AvailableTargets();
    if (quick_ && targets.size() > 1) targets.resize(1);
    std::vector<FlopOp> ops = {FlopOp::kFma, FlopOp::kAdd};
    if (!core_.known || core_.separate_add_pipes) ops.push_back(FlopOp::kFmaAdd);
    if (quick_) ops = {FlopOp::kFma};
    const Precision precs[] = {Precision::kFp64, Precision::kFp32};
    const double total =
        static_cast<double>(targets.size() * ops.size() * 2 * thread_counts_.size());
    // Note: targets without FMA skip the fma+add mix, so `done` may end below `total`.
    double done = 0;
    for (const int threads : thread_counts_) {
      Team team(topo_, threads);
      for (const int64_t target : targets) {
        const std::string isa = TargetName(target);
        const int vector_bits = TargetVectorBytes(target) * 8;
        const bool fma = TargetHasFma(target);
        for (const Precision p : precs) {
          for (const FlopOp op : ops) {
            // Without FMA the mix would only repeat the mul+add measurement.
            if (!fma && op == FlopOp::kFmaAdd) continue;
            Progress("compute: " + isa + " " + PrecisionName(p) + " " + FlopOpName(op) + ", " +
                         std::to_string(threads) + " thread(s)",
                     0.02 + 0.15 * done / total);
            const double fpi = FlopsPerIteration(target, p, op);
            const Timing t = MeasureTeam(team, Config(0.02, 5), [&](int, uint64_t iters) {
              return RunFlopKernel(target, p, op, iters);
            });
            Track(t);
            const std::string op_name = (!fma && op == FlopOp::kFma) ? "mul+add" : FlopOpName(op);
            // EMU128/SCALAR are whatever the compiler makes of portable C++: no spec figure.
            const double theoretical =
                IsEmulatedTarget(target)
                    ? std::nan("")
                    : TheoreticalGflops(core_, ClockFor(threads), vector_bits,
                                        p == Precision::kFp64 ? 64 : 32, op_name, threads);
            AddCompute(PrecisionName(p), isa, op_name, threads, fpi, t, theoretical);
            done += 1;
          }
        }
        if (TargetHasInt8Dot(target)) MeasureInt8Dot(team, target, isa, 0.02 + 0.15 * done / total);
      }
    }
  }

  // The int8 dot-product peak (the ceiling of the quantized GEMV's integer path). Its op is
  // "dot": no FMA; 2 operations per byte multiply-add, as for the floating-point rows.
  void MeasureInt8Dot(Team& team, int64_t target, const std::string& isa, double progress) {
    const int threads = team.size();
    Progress("compute: " + isa + " int8 dot, " + std::to_string(threads) + " thread(s)", progress);
    const double opi = Int8OpsPerIteration(target);
    const Timing t = MeasureTeam(team, Config(0.02, 5), [&](int, uint64_t iters) {
      return RunInt8DotKernel(target, iters);
    });
    Track(t);
    // No spec figure: the core table knows FMA and add pipes, not integer dot-product ones.
    AddCompute("int8", isa, "dot", threads, opi, t, std::nan(""));
  }

  // Records a compute ceiling from a timing of a loop doing `ops_per_iteration` operations per
  // iteration on each of `threads` threads (the count is the loop's instruction mix: "model").
  void AddCompute(const std::string& precision, const std::string& isa, const std::string& op,
                  int threads, double ops_per_iteration, const Timing& t, double theoretical) {
    ComputeCeiling c;
    c.precision = precision;
    c.isa = isa;
    c.op = op;
    c.threads = threads;
    c.gflops = ops_per_iteration * threads / t.best / 1e9;
    c.median_gflops = ops_per_iteration * threads / t.median / 1e9;
    c.flops_per_cycle = c.gflops / threads / ClockFor(threads);
    c.theoretical_gflops = theoretical;
    c.flops_source = "model";
    m_.compute.push_back(c);
  }

  // Runs one bandwidth measurement over `arrays` with total working set ~`total_bytes`.
  // Returns {gbps best, gbps median, actual total bytes}.
  struct BwResult {
    double gbps = 0, median = 0;
    uint64_t bytes = 0;
  };
  BwResult MeasureBandwidth(Team& team, const ThreadArrays& arrays, BwKernel k,
                            uint64_t total_bytes, const MeasureConfig& cfg) {
    const int T = team.size();
    const int A = BwKernelArrays(k);
    const size_t granule = BwGranuleElems(bw_target_);
    size_t elems = static_cast<size_t>(total_bytes / T / A / sizeof(double)) / granule * granule;
    elems = std::max(elems, granule);
    CheckArrays(arrays, A, elems);
    const uint64_t actual = static_cast<uint64_t>(elems) * sizeof(double) * A * T;
    MeasureConfig c = cfg;
    if (last_gbps_ > 0) {
      // Start calibration near the answer: the previous point's rate predicts this one's.
      c.initial_iterations =
          static_cast<uint64_t>(0.5 * cfg.min_seconds * last_gbps_ * 1e9 / actual);
    }
    const Timing t = MeasureTeam(team, c, [&](int tid, uint64_t passes) {
      double* ptr[3];
      arrays.Arrays(tid, A, elems, ptr);
      return RunBandwidthKernel(bw_target_, k, ptr, elems, passes);
    });
    Track(t);
    last_gbps_ = actual / t.best / 1e9;
    return {last_gbps_, actual / t.median / 1e9, actual};
  }

  // Sizes of one sweep curve: multiples of the kernel's granule (one vector per array per
  // thread), so the bytes recorded are the bytes moved, and every step stays within `ratio`.
  std::vector<uint64_t> CurveSizes(BwKernel k, int threads, uint64_t max_bytes,
                                   double ratio) const {
    const uint64_t granule = BwGranuleElems(bw_target_) * sizeof(double) *
                             static_cast<uint64_t>(BwKernelArrays(k) * threads);
    return SweepSizes(kSweepMinBytes * static_cast<uint64_t>(threads), max_bytes, ratio, granule);
  }

  static void CheckArrays(const ThreadArrays& arrays, int count, size_t elems) {
    if (!arrays.Fits(count, elems)) {
      throw std::logic_error("bandwidth arrays larger than their buffer");
    }
  }

  uint64_t CapBytes(uint64_t want, const std::string& what) {
    uint64_t cap = WorkingSetBudget();
    if (opt_.max_bytes > 0) cap = cap > 0 ? std::min(cap, opt_.max_bytes) : opt_.max_bytes;
    if (cap > 0 && want > cap) {
      if (opt_.max_bytes == 0) {
        m_.notes.push_back(what + " limited to " + FormatBytes(static_cast<double>(cap)) +
                           " (a third of available memory) instead of " +
                           FormatBytes(static_cast<double>(want)));
      }
      return cap;
    }
    return want;
  }

  // 1-thread load sweep up to 4x the reported last-level cache: finds the cache edges, which
  // then set every other size (sweep range, per-level probe sizes).
  void MeasureDiscoverySweep() {
    bw_target_ = BestTarget();
    const uint64_t llc = static_cast<uint64_t>(AggregateLastLevel(m_.caches, 1));
    const uint64_t max_bytes = CapBytes(std::max<uint64_t>(4 * llc, 64u << 20), "discovery sweep");
    const double ratio = quick_ ? 1.6 : kSweepRatio;
    const std::vector<uint64_t> sizes = CurveSizes(BwKernel::kLoad, 1, max_bytes, ratio);
    Team team(topo_, 1);
    ThreadArrays arrays(team, max_bytes);
    std::vector<CurvePoint> curve;
    for (size_t i = 0; i < sizes.size(); ++i) {
      Progress("bandwidth sweep (discovery): load, 1 thread, " +
                   FormatBytes(static_cast<double>(sizes[i])),
               0.17 + 0.15 * static_cast<double>(i) / sizes.size());
      const BwResult r = MeasureBandwidth(team, arrays, BwKernel::kLoad, sizes[i], Config(0.01, 3));
      m_.sweep.push_back({"load", 1, r.bytes, r.gbps, r.median});
      curve.push_back({static_cast<double>(r.bytes), r.gbps});
    }
    // Pair edges with reported levels and adopt measured sizes where the reports are off.
    std::vector<std::pair<int, uint64_t>> reported;
    for (const auto& c : m_.caches) {
      reported.emplace_back(c.level, static_cast<uint64_t>(PerThreadCapacity(c, 1)));
    }
    const LevelDetection det = MatchLevels(DetectEdges(curve), reported);
    for (const auto& note : DescribeDetection(det)) m_.notes.push_back(note);
    for (auto& c : m_.caches) {
      for (const auto& lm : det.levels) {
        if (lm.level != c.level) continue;
        c.detected_bytes = lm.edge_bytes;
        if (lm.edge_bytes > 0 && !lm.consistent) {
          // Use the measured edge, rounded to 1 MiB above 1 MiB (4 KiB below).
          const uint64_t g = lm.edge_bytes >= (1u << 20) ? (1u << 20) : 4096;
          c.size_bytes = std::max<uint64_t>(g, (lm.edge_bytes + g / 2) / g * g);
          c.source = "sweep";
        }
      }
    }
  }

  void MeasureSweeps() {
    const BwKernel kernels[] = {BwKernel::kLoad, BwKernel::kStore, BwKernel::kCopy,
                                BwKernel::kTriad, BwKernel::kStoreNt};
    const double ratio = quick_ ? 1.6 : kSweepRatio;
    double done = 0, total = 0;
    std::vector<std::pair<int, uint64_t>> plan;
    for (const int threads : thread_counts_) {
      const uint64_t llc = static_cast<uint64_t>(AggregateLastLevel(m_.caches, threads));
      plan.emplace_back(threads,
                        CapBytes(std::max<uint64_t>(4 * llc, 64u << 20), "bandwidth sweep"));
      total += 5.0 * static_cast<double>(
                         CurveSizes(BwKernel::kLoad, threads, plan.back().second, ratio).size());
    }
    for (const auto& [threads, max_bytes] : plan) {
      Team team(topo_, threads);
      ThreadArrays arrays(team, max_bytes / static_cast<uint64_t>(threads) + 4096);
      for (const BwKernel k : kernels) {
        // The discovery sweep already measured load on one thread.
        const bool have = threads == 1 && k == BwKernel::kLoad;
        for (const uint64_t s : CurveSizes(k, threads, max_bytes, ratio)) {
          done += 1;
          if (have) continue;
          Progress(std::string("bandwidth sweep: ") + BwKernelName(k) + ", " +
                       std::to_string(threads) + " thread(s), " +
                       FormatBytes(static_cast<double>(s)),
                   0.32 + 0.43 * done / total);
          const BwResult r = MeasureBandwidth(team, arrays, k, s, Config(0.01, 3));
          m_.sweep.push_back({BwKernelName(k), threads, r.bytes, r.gbps, r.median});
        }
      }
    }
  }

  // Where the reported last-level cache was replaced by its measured edge, the report's
  // sharing is suspect too (a VM presents a private cache per vCPU while the host's is shared
  // by them). The all-threads load curve tells: the aggregate edge of a private cache grows
  // with the threads, a shared one stays where one thread saw it. Level probe sizes and the
  // kernels' residency models follow.
  void InferLastLevelSharing() {
    if (m_.caches.empty()) return;
    CacheLevel& llc = m_.caches.back();
    const int threads = thread_counts_.back();
    if (llc.source != "sweep" || threads < 2 || llc.cores_sharing >= threads) return;
    std::vector<CurvePoint> curve;
    for (const auto& p : m_.sweep) {
      if (p.kernel == "load" && p.threads == threads) {
        curve.push_back({static_cast<double>(p.bytes), p.gbps});
      }
    }
    double edge = 0;
    if (!EdgeSaysShared(DetectEdges(curve), static_cast<double>(llc.size_bytes), threads, &edge)) {
      return;
    }
    m_.notes.push_back(std::string(LevelName(llc.level - 1)) + " is shared: with " +
                       std::to_string(threads) + " threads its edge stays at about " +
                       FormatBytes(edge) +
                       " in all (one thread: " + FormatBytes(static_cast<double>(llc.size_bytes)) +
                       "), not one cache per core as reported");
    llc.cores_sharing = threads;
  }

  void MeasureLevels() {
    const BwKernel kernels[] = {BwKernel::kLoad, BwKernel::kStore, BwKernel::kCopy,
                                BwKernel::kTriad};
    m_.write_allocate_counted = false;
    if (ExtraPlacements() > 0) {
      m_.notes.push_back("cache-level ceilings: best of " + std::to_string(1 + ExtraPlacements()) +
                         " buffers (where pages land changes a cache's conflict misses)");
    }
    double done = 0;
    const double total = static_cast<double>(thread_counts_.size() * (m_.caches.size() + 1));
    for (const int threads : thread_counts_) {
      // Probe sizes: half of each level's per-thread share; DRAM at 8x the last level.
      const uint64_t llc = static_cast<uint64_t>(AggregateLastLevel(m_.caches, threads));
      const uint64_t cap = CapBytes(std::max<uint64_t>(8 * llc, 64u << 20), "DRAM probe");
      std::vector<std::pair<std::string, uint64_t>> levels;
      for (const auto& c : m_.caches) {
        const uint64_t per_thread = static_cast<uint64_t>(0.5 * PerThreadCapacity(c, threads));
        const uint64_t bytes = per_thread * static_cast<uint64_t>(threads);
        if (bytes > cap) {
          m_.notes.push_back(std::string(LevelName(c.level - 1)) + " ceiling (" +
                             std::to_string(threads) + " threads) not measured: its probe size " +
                             FormatBytes(static_cast<double>(bytes)) + " exceeds the limit " +
                             FormatBytes(static_cast<double>(cap)));
          continue;
        }
        levels.emplace_back(LevelName(c.level - 1), bytes);
      }
      if (cap < 4 * llc) {
        m_.notes.push_back("DRAM ceiling (" + std::to_string(threads) + " threads) measured at " +
                           FormatBytes(static_cast<double>(cap)) +
                           ", less than 4x the last-level cache: it may include cache hits");
      }
      levels.emplace_back("DRAM", cap);
      Team team(topo_, threads);
      ThreadArrays arrays(team, cap / static_cast<uint64_t>(threads) + 4096);
      for (const auto& [level, bytes] : levels) {
        Progress("bandwidth ceilings: " + level + ", " + std::to_string(threads) + " thread(s)",
                 0.75 + 0.15 * done / total);
        done += 1;
        BwResult best[4];
        for (size_t i = 0; i < 4; ++i) {
          best[i] = MeasureBandwidth(team, arrays, kernels[i], bytes, Config(0.04, 5));
        }
        // Inside a cache, where the buffer's pages land decides how evenly they fill its sets
        // (a VM maps even huge pages onto scattered host pages): take the best over fresh
        // buffers too, as a level's ceiling is what it can deliver.
        for (int placement = 0; level != "DRAM" && placement < ExtraPlacements(); ++placement) {
          ThreadArrays fresh(team, bytes / static_cast<uint64_t>(threads) + 4096);
          for (size_t i = 0; i < 4; ++i) {
            const BwResult r = MeasureBandwidth(team, fresh, kernels[i], bytes, Config(0.04, 5));
            if (r.gbps > best[i].gbps) best[i] = r;
          }
        }
        for (size_t i = 0; i < 4; ++i)
          AddBandwidth(level, BwKernelName(kernels[i]), threads, best[i]);
        if (level == "DRAM") {
          // Non-temporal stores bypass the caches, so they only have a DRAM ceiling.
          const BwResult r =
              MeasureBandwidth(team, arrays, BwKernel::kStoreNt, bytes, Config(0.04, 5));
          AddBandwidth(level, "store_nt", threads, r);
        }
      }
    }
  }

  // Fresh buffers each cache level is also measured on (besides the shared one).
  int ExtraPlacements() const { return quick_ ? 0 : 2; }

  void AddBandwidth(const std::string& level, const std::string& kernel, int threads,
                    const BwResult& r) {
    BandwidthCeiling b;
    b.level = level;
    b.kernel = kernel;
    b.threads = threads;
    b.gbps = r.gbps;
    b.median_gbps = r.median;
    b.bytes = r.bytes;
    b.bytes_per_cycle = r.gbps / threads / ClockFor(threads);
    b.isa = TargetName(bw_target_);
    m_.bandwidth.push_back(b);
  }

  void MeasureLatency() {
    const uint64_t llc = static_cast<uint64_t>(AggregateLastLevel(m_.caches, 1));
    const uint64_t max_bytes = CapBytes(std::max<uint64_t>(4 * llc, 64u << 20), "latency sweep");
    const std::vector<uint64_t> sizes =
        SweepSizes(kSweepMinBytes, max_bytes, quick_ ? 1.6 : kSweepRatio, kChaseStride);
    Team team(topo_, 1);
    AlignedBuffer buf = AllocateAligned(max_bytes + 4096);
    std::memset(buf.get(), 0, max_bytes);
    for (size_t i = 0; i < sizes.size(); ++i) {
      Progress("latency: " + FormatBytes(static_cast<double>(sizes[i])),
               0.90 + 0.10 * static_cast<double>(i) / sizes.size());
      CheckInterrupted();
      BuildChase(buf.get(), sizes[i], 0x5eed + i);
      const Timing t = MeasureTeam(team, Config(0.01, 3), [&](int, uint64_t iters) {
        return static_cast<double>(Chase(buf.get(), iters * kChaseStepsPerIteration) & 0xFF);
      });
      Track(t);
      LatencyPoint p;
      p.bytes = sizes[i];
      p.ns = t.best / kChaseStepsPerIteration * 1e9;
      p.cycles = p.ns * clock1_;
      m_.latency.push_back(p);
    }
  }

  void FinishNotes(double seconds) {
    if (noisy_ > 0) {
      m_.notes.push_back(std::to_string(noisy_) + " of " + std::to_string(measurements_) +
                         " measurements varied by more than 10% between repetitions (other load "
                         "or frequency changes); ceilings use the best repetition");
    }
    m_.notes.push_back(
        "bandwidth counts explicit bytes only: a store's write-allocate read is "
        "not counted (store_nt avoids it)");
    m_.notes.push_back("probe took " + FormatRate(seconds) + " s");
  }

  const Topology& topo_;
  const ProbeOptions& opt_;
  Machine m_;
  CoreSpec core_;
  int threads_ = 1;
  std::vector<int> thread_counts_;
  bool quick_ = false;
  double clock1_ = 0, clockT_ = 0;
  int64_t bw_target_ = 0;
  double last_gbps_ = 0;  // previous bandwidth result, to seed the next calibration
  int measurements_ = 0, noisy_ = 0;
};

}  // namespace

Machine RunProbe(const Topology& topo, const ProbeOptions& options) {
  Prober p(topo, options);
  return p.Run();
}

}  // namespace roofprof
