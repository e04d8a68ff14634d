// Calibrated, repeated, pinned measurement with barriers around the timed region.
#include "src/harness.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "src/io.h"
#include "src/platform.h"

namespace roofprof {

struct Team::Saved {
  platform::AffinitySnapshot master;
};

double NowSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

Team::Team(const Topology& topo, int threads) : threads_(std::max(1, threads)), saved_(new Saved) {
  saved_->master = platform::SaveAffinity();
  for (int i = 0; i < threads_; ++i) {
    cpus_.push_back(topo.placement.empty()
                        ? i
                        : topo.placement[static_cast<size_t>(i) % topo.placement.size()]);
  }
  Pin();
}

Team::~Team() {
  platform::RestoreAffinity(saved_->master);
  delete saved_;
}

void Team::Pin() {
  int failures = 0;
  std::string why;
#pragma omp parallel num_threads(threads_) reduction(+ : failures)
  {
    const int tid = omp_get_thread_num();
    std::string local_why;
    if (!platform::PinThisThread(cpus_[static_cast<size_t>(tid)], &local_why)) {
      ++failures;
#pragma omp critical(roofprof_pin)
      why = local_why;
    }
  }
  pinned_ = failures == 0;
  pin_problem_ = pinned_ ? "" : why;
}

Timing Summarize(std::vector<double> s, uint64_t iterations) {
  Timing t;
  t.iterations = iterations;
  t.repetitions = static_cast<int>(s.size());
  if (s.empty()) return t;
  std::sort(s.begin(), s.end());
  t.best = s.front();
  t.worst = s.back();
  const size_t n = s.size();
  t.median = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  t.spread = t.best > 0 ? (t.median - t.best) / t.best : 0;
  return t;
}

namespace {

// One timed repetition of the team body; returns seconds (team wall time).
double RunTeamOnce(Team& team, uint64_t iters, const std::function<double(int, uint64_t)>& body,
                   CounterHooks* hooks, double* checksum) {
  double t0 = 0, t1 = 0, sum = 0;
#pragma omp parallel num_threads(team.size()) reduction(+ : sum)
  {
    const int tid = omp_get_thread_num();
#pragma omp barrier
    if (hooks) hooks->ThreadStart(tid);
#pragma omp barrier
#pragma omp master
    t0 = NowSeconds();
    // No barrier needed here: workers start when released from the previous barrier, and the
    // master reads the clock within nanoseconds of that.
    sum += body(tid, iters);
#pragma omp barrier
#pragma omp master
    t1 = NowSeconds();
    if (hooks) hooks->ThreadStop(tid);
  }
  *checksum += sum;
  return t1 - t0;
}

template <class RunOnce>
Timing Calibrated(const MeasureConfig& config, RunOnce&& run_once) {
  // Calibrate: grow iterations until one repetition lasts min_seconds. Growth is bounded at
  // 10x per step so a slow first call (page faults, frequency ramp) cannot overshoot wildly.
  uint64_t iters =
      std::max<uint64_t>(1, std::min(config.initial_iterations, config.max_iterations));
  double checksum = 0;
  for (;;) {
    CheckInterrupted();
    const double t = run_once(iters, &checksum);
    if (t >= config.min_seconds || iters >= config.max_iterations) break;
    // Runs of a microsecond or more time reliably, so one step can jump straight to the
    // target; shorter ones are mostly timer overhead, so grow them 10x at a time.
    const double want = t > 0 ? 1.2 * config.min_seconds / t : 10.0;
    const double cap = t >= 1e-6 ? 1000.0 : 10.0;
    const double factor = std::min(cap, std::max(1.5, want));
    iters = std::min(config.max_iterations,
                     static_cast<uint64_t>(std::ceil(static_cast<double>(iters) * factor)));
  }
  // The last calibration run already lasted min_seconds and warmed caches and clocks;
  // `warmups` adds more untimed runs for work that needs longer to settle.
  for (int w = 0; w < config.warmups; ++w) {
    CheckInterrupted();
    run_once(iters, &checksum);
  }
  std::vector<double> per_iter;
  for (int r = 0; r < std::max(1, config.repetitions); ++r) {
    CheckInterrupted();
    per_iter.push_back(run_once(iters, &checksum) / static_cast<double>(iters));
  }
  Timing t = Summarize(per_iter, iters);
  t.checksum = checksum;
  return t;
}

}  // namespace

Timing MeasureTeam(Team& team, const MeasureConfig& config,
                   const std::function<double(int, uint64_t)>& body, CounterHooks* hooks) {
  team.Pin();
  return Calibrated(config, [&](uint64_t iters, double* checksum) {
    return RunTeamOnce(team, iters, body, hooks, checksum);
  });
}

Timing MeasureCall(Team& team, const MeasureConfig& config,
                   const std::function<double(uint64_t)>& body, CounterHooks* hooks) {
  team.Pin();
  return Calibrated(config, [&](uint64_t iters, double* checksum) {
    if (hooks) {
#pragma omp parallel num_threads(team.size())
      hooks->ThreadStart(omp_get_thread_num());
    }
    const double t0 = NowSeconds();
    *checksum += body(iters);
    const double t1 = NowSeconds();
    if (hooks) {
#pragma omp parallel num_threads(team.size())
      hooks->ThreadStop(omp_get_thread_num());
    }
    return t1 - t0;
  });
}

}  // namespace roofprof
