// Harness: statistics, calibration to a minimum time, checksums, and interruption.
#include "src/harness.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "src/error.h"
#include "src/io.h"

namespace roofprof {
namespace {

TEST(Summarize, MedianBestSpread) {
  const Timing t = Summarize({3.0, 1.0, 2.0, 4.0}, 10);
  EXPECT_DOUBLE_EQ(t.best, 1.0);
  EXPECT_DOUBLE_EQ(t.worst, 4.0);
  EXPECT_DOUBLE_EQ(t.median, 2.5);
  EXPECT_DOUBLE_EQ(t.spread, 1.5);
  EXPECT_EQ(t.iterations, 10u);
  EXPECT_EQ(t.repetitions, 4);
  const Timing odd = Summarize({5.0, 1.0, 3.0}, 1);
  EXPECT_DOUBLE_EQ(odd.median, 3.0);
}

TEST(MeasureTeam, CalibratesAndRunsEveryThread) {
  const Topology topo = DetectTopology();
  const int threads = std::min(2, topo.usable_threads);
  Team team(topo, threads);
  MeasureConfig cfg;
  cfg.min_seconds = 0.002;
  cfg.repetitions = 3;
  std::atomic<uint64_t> calls{0};
  const Timing t = MeasureTeam(team, cfg, [&](int tid, uint64_t iters) {
    calls += 1;
    volatile double x = 0;
    for (uint64_t i = 0; i < iters * 100; ++i) x = x + 1.0;
    return static_cast<double>(tid + 1);
  });
  EXPECT_EQ(t.repetitions, 3);
  EXPECT_GE(t.iterations, 1u);
  EXPECT_GT(t.best, 0);
  EXPECT_LE(t.best, t.median);
  EXPECT_LE(t.median, t.worst);
  // Every thread ran every repetition: calls is a multiple of the team size.
  EXPECT_EQ(calls.load() % static_cast<uint64_t>(threads), 0u);
  // Checksums add up over threads: each repetition contributes 1 + 2 + ... + threads.
  const double per_rep = threads * (threads + 1) / 2.0;
  EXPECT_DOUBLE_EQ(std::fmod(t.checksum, per_rep), 0.0);
}

class CountingHooks : public CounterHooks {
 public:
  void ThreadStart(int) override { ++starts; }
  void ThreadStop(int) override { ++stops; }
  std::atomic<int> starts{0}, stops{0};
};

TEST(MeasureCall, HooksBracketEveryRepetition) {
  const Topology topo = DetectTopology();
  Team team(topo, 1);
  MeasureConfig cfg;
  cfg.min_seconds = 0.001;
  cfg.repetitions = 2;
  CountingHooks hooks;
  const Timing t = MeasureCall(
      team, cfg,
      [](uint64_t iters) {
        volatile double x = 0;
        for (uint64_t i = 0; i < iters * 100; ++i) x = x + 1.0;
        return 1.0;
      },
      &hooks);
  EXPECT_EQ(hooks.starts.load(), hooks.stops.load());
  EXPECT_GE(hooks.starts.load(), t.repetitions);
}

TEST(MeasureCall, StopsWhenInterrupted) {
  const Topology topo = DetectTopology();
  Team team(topo, 1);
  SetStopRequestedForTest(true);
  EXPECT_THROW(MeasureCall(team, MeasureConfig{}, [](uint64_t) { return 0.0; }), Interrupted);
  SetStopRequestedForTest(false);
}

}  // namespace
}  // namespace roofprof
