// Software-defined events end to end: model counts published through libsde are read back
// through PAPI event names (as any PAPI tool would), exactly, across threads and through the
// harness.
#include "src/sde.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <papi.h>

#include <set>

#include "src/counters.h"
#include "src/harness.h"
#include "src/topology.h"

namespace roofprof {
namespace {

constexpr Quantity kSdeQuantities[] = {Quantity::kFlops, Quantity::kBytesL1, Quantity::kBytesL2,
                                       Quantity::kBytesL3, Quantity::kBytesDram};

// A decode-GEMV-like Run(): 2*n*k FLOPs, W streamed from DRAM (n*k*4 bytes) and x from L1.
WorkModel GemvModel() {
  WorkModel m;
  const double n = 4096, k = 4096;
  m.flops = 2 * n * k;
  m.bytes = {n * k * 4 + k * 4, n * k * 4, n * k * 4, n * k * 4};
  return m;
}

void RequireSde() {
  const CounterStatus& s = GetCounterStatus();
  ASSERT_TRUE(s.papi_ok) << s.papi_error;
  ASSERT_TRUE(s.sde_usable) << s.sde_reason;
}

TEST(Sde, EventNames) {
  EXPECT_EQ(SdeEventName(Quantity::kFlops), "sde:::roofprof::flops");
  EXPECT_EQ(SdeEventName(Quantity::kBytesDram), "sde:::roofprof::bytes_DRAM");
  EXPECT_TRUE(QuantityHasSde(Quantity::kBytesL3));
  EXPECT_FALSE(QuantityHasSde(Quantity::kCycles));
  EXPECT_FALSE(QuantityHasSde(Quantity::kInstructions));
}

TEST(Sde, ThisExecutableExposesLibsdeToPapi) {
  RequireSde();
  EXPECT_TRUE(SdePublisher::Get().problem().empty()) << SdePublisher::Get().problem();
  // The counters are listed by PAPI's own enumeration of the sde component, with descriptions.
  const std::vector<std::string> listed = ComponentEvents("sde");
  const std::set<std::string> names(listed.begin(), listed.end());
  int code = 0;
  ASSERT_EQ(PAPI_event_name_to_code(SdeEventName(Quantity::kFlops).c_str(), &code), PAPI_OK);
  PAPI_event_info_t info;
  ASSERT_EQ(PAPI_get_event_info(code, &info), PAPI_OK);
  EXPECT_NE(std::string(info.long_descr).find("work models"), std::string::npos);
  for (Quantity q : kSdeQuantities) EXPECT_EQ(names.count(SdeEventName(q)), 1u) << SdeEventName(q);
  for (Quantity q : kSdeQuantities) EXPECT_TRUE(EventAvailable(SdeEventName(q)));
}

TEST(Sde, PublishedCountsReadBackExactlyThroughPapi) {
  RequireSde();
  const WorkModel m = GemvModel();
  // Counts published before the set starts are not part of its window (delta mode).
  SdePublisher::Get().Publish(m);
  PapiEventSet set;
  for (Quantity q : kSdeQuantities) ASSERT_TRUE(set.Add(SdeEventName(q)).ok()) << SdeEventName(q);
  ASSERT_TRUE(set.Start().ok());
  const int runs = 37;
  for (int i = 0; i < runs; ++i) SdePublisher::Get().Publish(m);
  std::vector<long long> mid;
  ASSERT_TRUE(set.Read(&mid).ok());
  EXPECT_EQ(mid[0], static_cast<long long>(runs * m.flops));
  SdePublisher::Get().Publish(m);
  std::vector<long long> v;
  ASSERT_TRUE(set.Stop(&v).ok());
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], static_cast<long long>((runs + 1) * m.flops));
  for (int l = 0; l < kNumLevels; ++l) {
    EXPECT_EQ(v[static_cast<size_t>(l + 1)],
              static_cast<long long>((runs + 1) * m.bytes[static_cast<size_t>(l)]))
        << LevelName(l);
  }
}

TEST(Sde, ConcurrentPublishersAddUpExactly) {
  RequireSde();
  PapiEventSet set;
  ASSERT_TRUE(set.Add(SdeEventName(Quantity::kFlops)).ok());
  ASSERT_TRUE(set.Add(SdeEventName(Quantity::kBytesL2)).ok());
  ASSERT_TRUE(set.Start().ok());
  const int threads = 4, per_thread = 5000;
#pragma omp parallel num_threads(threads)
  for (int i = 0; i < per_thread; ++i) SdePublisher::Get().Publish(3.0, {0, 64.0, 0, 0});
  std::vector<long long> v;
  ASSERT_TRUE(set.Stop(&v).ok());
  // OpenMP may give fewer threads than asked; each ran the loop once.
  int team = 0;
#pragma omp parallel num_threads(threads)
  {
#pragma omp single
    team = omp_get_num_threads();
  }
  EXPECT_EQ(v[0], 3LL * per_thread * team);
  EXPECT_EQ(v[1], 64LL * per_thread * team);
}

TEST(Sde, BatchedPublishEqualsOnePerRun) {
  RequireSde();
  const WorkModel m = GemvModel();
  const long long f0 = SdePublisher::Get().Total(Quantity::kFlops);
  const long long d0 = SdePublisher::Get().Total(Quantity::kBytesDram);
  for (int i = 0; i < 5; ++i) SdePublisher::Get().Publish(m);
  const long long f1 = SdePublisher::Get().Total(Quantity::kFlops);
  SdePublisher::Get().Publish(m, 5);
  EXPECT_EQ(f1 - f0, static_cast<long long>(5 * m.flops));
  EXPECT_EQ(SdePublisher::Get().Total(Quantity::kFlops) - f1, f1 - f0);
  EXPECT_EQ(SdePublisher::Get().Total(Quantity::kBytesDram) - d0,
            static_cast<long long>(10 * m.bytes[3]));
}

TEST(Sde, FractionalModelCountsCarry) {
  RequireSde();
  const long long before = SdePublisher::Get().Total(Quantity::kBytesL3);
  for (int i = 0; i < 10; ++i) SdePublisher::Get().Publish(0, {0, 0, 0.3, 0});
  // round(10 * 0.3) = 3, where rounding each call would give 0.
  EXPECT_EQ(SdePublisher::Get().Total(Quantity::kBytesL3) - before, 3);
  EXPECT_EQ(SdePublisher::Get().Total(Quantity::kCycles), 0);
}

TEST(Sde, SessionThroughMeasureCallGivesModelCountsPerRun) {
  RequireSde();
  const Topology topo = DetectTopology();
  const int threads = std::min(2, topo.usable_threads);
  Team team(topo, threads);
  CounterOptions opt;
  opt.threads = threads;
  CounterSession session(opt);
  const WorkModel m = GemvModel();
  MeasureConfig cfg;
  cfg.min_seconds = 0.001;
  cfg.repetitions = 3;
  uint64_t iterations = 0;
  for (int p = 0; p < session.passes(); ++p) {
    session.BeginPass(p);
    const Timing t = MeasureCall(
        team, cfg,
        [&](uint64_t iters) {
          double sum = 0;
          for (uint64_t i = 0; i < iters; ++i) {
            volatile double x = 1;
            for (int j = 0; j < 200; ++j) x = x * 1.0000001;  // stands in for Run()
            sum += x;
            SdePublisher::Get().Publish(m);
          }
          return sum;
        },
        &session);
    session.EndPass(t.iterations, t.repetitions);
    if (p == 0) iterations = t.iterations;
  }
  const std::vector<CounterReading> r = session.Readings();
  for (Quantity q : kSdeQuantities) {
    const CounterReading* s = FindReading(r, q, "sde");
    ASSERT_NE(s, nullptr) << QuantityName(q);
    ASSERT_TRUE(s->available) << s->problem;
    EXPECT_EQ(s->source, "sde");
    EXPECT_EQ(s->scope, "process");
    ASSERT_EQ(s->events.size(), 1u);
    EXPECT_EQ(s->events[0], SdeEventName(q) + " x1");
    EXPECT_EQ(s->passes, std::vector<int>{0});
    const double model = q == Quantity::kFlops ? m.flops : m.bytes[static_cast<size_t>(q) - 1];
    EXPECT_EQ(s->per_iteration, model) << QuantityName(q);
    EXPECT_EQ(s->last_window, model * static_cast<double>(iterations)) << QuantityName(q);
  }
}

TEST(Sde, SessionThroughMeasureTeamSumsEveryThreadsRuns) {
  RequireSde();
  const Topology topo = DetectTopology();
  const int threads = std::min(2, topo.usable_threads);
  Team team(topo, threads);
  CounterOptions opt;
  opt.threads = threads;
  opt.hardware = false;
  CounterSession session(opt);
  ASSERT_EQ(session.passes(), 1);
  MeasureConfig cfg;
  cfg.min_seconds = 0.001;
  cfg.repetitions = 4;
  session.BeginPass(0);
  const Timing t = MeasureTeam(
      team, cfg,
      [&](int tid, uint64_t iters) {
        // Each thread's share of one Run(): thread tid does (tid + 1) units of 1000 FLOPs.
        for (uint64_t i = 0; i < iters; ++i) {
          SdePublisher::Get().Publish(1000.0 * (tid + 1), {8.0, 0, 0, 0});
        }
        return 0.0;
      },
      &session);
  session.EndPass(t.iterations, t.repetitions);
  const std::vector<CounterReading> r = session.Readings();
  const CounterReading* flops = FindReading(r, Quantity::kFlops, "sde");
  ASSERT_TRUE(flops && flops->available) << (flops ? flops->problem : "");
  EXPECT_EQ(flops->per_iteration, 1000.0 * threads * (threads + 1) / 2);
  const CounterReading* l1 = FindReading(r, Quantity::kBytesL1, "sde");
  ASSERT_TRUE(l1 && l1->available);
  EXPECT_EQ(l1->per_iteration, 8.0 * threads);
  EXPECT_EQ(FindReading(r, Quantity::kFlops, "counters"), nullptr);  // hardware not asked for
}

}  // namespace
}  // namespace roofprof
