// The measurement harness: pinned thread teams, calibration, warm-up, repetitions, and the
// counter hooks around the timed region (likwid-bench's shape: barrier, counters start, timer,
// work, barrier, timer, counters stop).
#ifndef ROOFPROF_SRC_HARNESS_H_
#define ROOFPROF_SRC_HARNESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/topology.h"

namespace roofprof {

// Seconds per iteration over the repetitions of one measurement.
struct Timing {
  double best = 0;    // fastest repetition
  double median = 0;  // median repetition
  double worst = 0;
  double spread = 0;        // (median - best) / best: how noisy this measurement was
  uint64_t iterations = 0;  // iterations per repetition after calibration
  int repetitions = 0;
  double checksum = 0;  // sum of what the bodies returned, so the work cannot be elided
};

struct MeasureConfig {
  double min_seconds = 0.02;  // each timed repetition runs at least this long
  int repetitions = 5;
  int warmups = 0;  // extra untimed repetitions after calibration (which warms up)
  uint64_t max_iterations = uint64_t{1} << 40;
  // Where calibration starts. A good guess (from a similar measurement just before) saves the
  // doubling steps; a bad one costs nothing but time.
  uint64_t initial_iterations = 1;
};

// Per-thread counter control, implemented by the counter layer (PAPI). Every team thread calls
// ThreadStart right before the timed region and ThreadStop right after it.
class CounterHooks {
 public:
  virtual ~CounterHooks() = default;
  virtual void ThreadStart(int tid) = 0;
  virtual void ThreadStop(int tid) = 0;
};

// A team of OpenMP threads pinned one per core (Topology::placement order).
class Team {
 public:
  Team(const Topology& topo, int threads);
  ~Team();
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  int size() const { return threads_; }
  const std::vector<int>& cpus() const { return cpus_; }
  bool pinned() const { return pinned_; }
  // Why pinning failed, "" when it worked.
  const std::string& pin_problem() const { return pin_problem_; }
  // Re-applies the pinning to the OpenMP pool (cheap; call before each measurement, since code
  // in between may have run regions of other sizes).
  void Pin();

 private:
  int threads_;
  std::vector<int> cpus_;
  bool pinned_ = false;
  std::string pin_problem_;
  struct Saved;
  Saved* saved_;
};

// Runs body(tid, iterations) in every thread of `team` between barriers and times the slowest
// thread (the team's wall time). Calibrates iterations so a repetition lasts at least
// config.min_seconds. `hooks` may be null.
Timing MeasureTeam(Team& team, const MeasureConfig& config,
                   const std::function<double(int tid, uint64_t iterations)>& body,
                   CounterHooks* hooks = nullptr);

// Times body(iterations) called from the serial part of the program (the body may open its own
// parallel regions over `team`). Counter hooks run on every team thread around the call.
Timing MeasureCall(Team& team, const MeasureConfig& config,
                   const std::function<double(uint64_t iterations)>& body,
                   CounterHooks* hooks = nullptr);

// Summary statistics of per-iteration seconds (exposed for tests).
Timing Summarize(std::vector<double> seconds_per_iteration, uint64_t iterations);

// Monotonic wall clock in seconds.
double NowSeconds();

}  // namespace roofprof

#endif  // ROOFPROF_SRC_HARNESS_H_
