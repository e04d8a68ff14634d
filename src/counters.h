// The counter layer: PAPI initialisation and discovery, a plain statement of whether hardware
// counters work here (and if not, why and how to fix it), per-thread hardware event sets and
// roofprof's software-defined events around the harness's timed region, and a self-check of
// the hardware counts against probe kernels of known FLOPs and bytes.
//
// Every number this layer returns carries its provenance: "counters" (hardware events read
// through PAPI) or "sde" (roofprof's software-defined events read through PAPI, which carry
// the kernels' model counts), and the events it came from.
//
// How the kernel runner uses it:
//
//   CounterOptions opt;
//   opt.threads = team.size();
//   CounterSession session(opt);                     // plans passes; never throws
//   for (int p = 0; p < session.passes(); ++p) {
//     session.BeginPass(p);
//     const Timing t = MeasureCall(team, cfg, [&](uint64_t iters) {
//       double sum = 0;
//       for (uint64_t i = 0; i < iters; ++i) {
//         sum += workload.Run(target);
//         SdePublisher::Get().Publish(model);         // src/sde.h: one Run()'s model counts
//       }                                              // (or Publish(model, iters) after the loop)
//       return sum;
//     }, &session);
//     session.EndPass(t.iterations, t.repetitions);
//   }
//   for (const CounterReading& r : session.Readings()) ...  // per Run(): value, source, events
//
// Pass 0 holds the FLOP events, cycles, instructions and the SDE events, so its timing is the
// one to report; further passes only exist when the core has too few counters for the rest
// (PAPI_add_event answering PAPI_ECNFLCT). Nothing is multiplexed.
#ifndef ROOFPROF_SRC_COUNTERS_H_
#define ROOFPROF_SRC_COUNTERS_H_

#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/counter_events.h"
#include "src/harness.h"
#include "src/machine.h"

namespace roofprof {

// ---------------------------------------------------------------------------------------------
// Initialisation and discovery

// One PAPI component as PAPI_get_component_info describes it.
struct PapiComponent {
  int index = -1;
  std::string name;  // "perf_event", "perf_event_uncore", "sde", ...
  std::string description;
  bool disabled = false;
  std::string disabled_reason;
  int counters = 0;  // hardware counters (num_cntrs)
  int native_events = 0;
  std::vector<std::string> pmus;  // libpfm4 PMU names ("skx", "amd64_fam19h_zen4", ...)
};

// What the hardware-counter diagnosis looks at. Gathered by GetCounterStatus(); a plain struct
// so every branch of the diagnosis can be tested on any machine.
struct CounterFacts {
  bool papi_ok = false;
  std::string papi_error;
  bool perf_component = false;  // PAPI has a perf_event component
  bool perf_disabled = true;
  std::string perf_disabled_reason;
  int perf_counters = 0;
  bool kernel_cpu_pmu = false;  // the kernel registered a CPU PMU (sysfs event_source devices)
  std::string kernel_pmus;      // the event sources it has, "" when they could not be listed
  bool hypervisor = false;
  bool container = false;
  int paranoid = INT_MIN;   // kernel.perf_event_paranoid, INT_MIN when unknown
  bool privileged = false;  // root, CAP_PERFMON or CAP_SYS_ADMIN
  // errno of perf_event_open on a software event (which needs no PMU): 0 when it worked,
  // -1 when not tried (not Linux).
  int perf_open_errno = -1;
  std::string cpu;  // "AuthenticAMD family 26 model 2 (AMD EPYC)" for messages
};

struct CounterDiagnosis {
  bool usable = false;
  std::string reason;  // why not usable ("" when usable)
  std::string fix;     // what the user can do about it ("" when nothing or usable)
};

// Decides from the facts whether per-thread hardware counting works, and if not, why and how
// to fix it. Pure.
CounterDiagnosis DiagnoseHardwareCounters(const CounterFacts& facts);

struct CounterStatus {
  bool papi_ok = false;
  std::string papi_version;  // "7.0.0.0"
  std::string papi_error;    // why PAPI_library_init failed
  std::vector<PapiComponent> components;

  // Per-thread hardware counters (perf_event component).
  bool hardware_usable = false;
  std::string hardware_reason;
  std::string hardware_fix;
  std::string pmu;  // libpfm4's core PMU name, "" when none
  CpuFamily family = CpuFamily::kUnknown;
  int hardware_counters = 0;

  // Socket-wide uncore counters (perf_event_uncore component), for DRAM traffic.
  bool uncore_usable = false;
  std::string uncore_reason;
  std::vector<std::string> uncore_pmus;

  // roofprof's software-defined events (sde component + libsde in this executable).
  bool sde_usable = false;
  std::string sde_reason;

  EventTableOptions table_options;  // line size, SVE length, uncore PMUs
  CounterFacts facts;

  // One line for the machine context printed before results, e.g.
  // "hardware counters: unavailable: <reason>. Fix: <fix>. SDE counters: available."
  std::string Line() const;
};

// Initialises PAPI once per process (thread-safe: PAPI_library_init, then PAPI_thread_init
// with roofprof's thread id) and describes what it can count. Never throws.
const CounterStatus& GetCounterStatus();

// The id PAPI keys per-thread state by. A process-unique number per OS thread, assigned on the
// thread's first call: OpenMP worker threads are OS threads and each gets its own id, while
// omp_get_thread_num() would give every team's master the same id 0 and alias different OS
// threads' counters (kernel thread ids are unique too, but are reused after a thread exits).
unsigned long PapiThreadId();

// "PAPI_ECNFLCT (Event exists, but cannot be counted due to counter resource limitations)".
std::string PapiErrorText(int code);

// Whether `event` can be added to an event set here: the name resolves, its component is
// enabled, and a preset maps to native events on this CPU. `why` receives the reason when not.
bool EventAvailable(const std::string& event, std::string* why = nullptr);

// The events PAPI component `component` lists (PAPI_enum_cmp_event; base names, without unit
// masks). Empty when the component is missing or disabled.
std::vector<std::string> ComponentEvents(const std::string& component);

// ---------------------------------------------------------------------------------------------
// Event sets

// Outcome of a PAPI call, with a message that says what went wrong in the user's terms.
struct PapiResult {
  int code = 0;  // PAPI_OK (0) or a PAPI error code
  std::string message;
  bool ok() const { return code == 0; }
  // The event does not fit beside the others (counter constraints): count it in another pass.
  bool conflict() const;
};

// A PAPI event set owned by the thread that creates it (perf_event counts the creating
// thread). Stops and destroys itself on destruction.
class PapiEventSet {
 public:
  PapiEventSet();
  ~PapiEventSet();
  PapiEventSet(const PapiEventSet&) = delete;
  PapiEventSet& operator=(const PapiEventSet&) = delete;

  // Why PAPI_create_eventset failed (ok() when it worked).
  const PapiResult& created() const { return created_; }
  // Makes this an uncore event set counting system-wide on `cpu`'s socket (all domains).
  // Call before adding events.
  PapiResult UseUncore(int cpu);
  PapiResult Add(const std::string& event);
  PapiResult Start();
  // Stops and stores one value per event, in Add order.
  PapiResult Stop(std::vector<long long>* values);
  PapiResult Read(std::vector<long long>* values);
  bool running() const { return running_; }
  const std::vector<std::string>& events() const { return events_; }

 private:
  int handle_;
  bool running_ = false;
  PapiResult created_;
  std::vector<std::string> events_;
};

// ---------------------------------------------------------------------------------------------
// Counting around the harness's timed region

struct CounterOptions {
  int threads = 1;       // team size: ThreadStart/ThreadStop get tid in [0, threads)
  bool hardware = true;  // count hardware events where PAPI can
  bool sde = true;       // read roofprof's SDE counters (published through SdePublisher)
  // Hardware quantities wanted; empty means every quantity the CPU's table has.
  std::vector<Quantity> quantities;
};

// One quantity from one source, per iteration of the measured body (per Run() when the body
// runs the kernel once per iteration).
struct CounterReading {
  Quantity quantity = Quantity::kFlops;
  std::string source;  // "counters" or "sde"
  bool available = false;
  double per_iteration = 0;         // median over the kept windows of window total / iterations
  double last_window = 0;           // the last kept window's total (all threads), raw
  std::string scope;                // "threads" (summed over the team), "socket", "process" (SDE)
  std::string recipe;               // EventRecipe::label, or the SDE event name
  std::vector<std::string> events;  // "EVENT xWEIGHT", one per term
  std::vector<int> passes;          // the pass each term was counted in
  std::string note;                 // what the events include and miss
  std::string problem;              // why it is unavailable, or what went wrong while counting
};

// Counts the planned events around every timed window. Each team thread gets its own
// hardware event set (built on that thread at its first ThreadStart of a pass), so per-thread
// counts are summed over the team; the SDE and uncore event sets belong to thread 0, since
// their counts are process- and socket-wide. Hooks never throw: problems are recorded and
// reported with the readings.
class CounterSession final : public CounterHooks {
 public:
  explicit CounterSession(const CounterOptions& options);
  ~CounterSession() override;
  CounterSession(const CounterSession&) = delete;
  CounterSession& operator=(const CounterSession&) = delete;

  // Measurements needed to count every planned event without multiplexing (at least 1).
  int passes() const { return static_cast<int>(pass_events_.size()); }
  // The events counted in each pass, for reports.
  std::vector<std::vector<std::string>> PassEvents() const;
  // Selects the events the next windows count and forgets earlier windows of that pass.
  void BeginPass(int pass);

  void ThreadStart(int tid) override;
  void ThreadStop(int tid) override;

  // Ends the current pass: of its windows, keeps the last `repetitions`, each of which ran
  // `iterations` iterations (MeasureCall/MeasureTeam's Timing says both).
  void EndPass(uint64_t iterations, int repetitions);

  // Every planned quantity, hardware and SDE, including unavailable ones (with the reason).
  std::vector<CounterReading> Readings() const;
  // Planning problems not tied to one quantity ("hardware counters: unavailable: ...").
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  enum class SetKind { kCore, kUncore, kSde };
  struct Event {
    std::string name;
    SetKind kind = SetKind::kCore;
    int pass = 0;
    bool measured = false;
    double per_iteration = 0;
    double last_window = 0;
    std::string problem;
  };
  struct Planned {
    Quantity quantity;
    std::string source;
    EventRecipe recipe;
    std::vector<int> events;  // indices into events_, one per recipe term
    std::string problem;      // planning problem: unavailable when not empty
  };
  struct Slot;

  void PlanHardware(const CounterStatus& status);
  void PlanSde(const CounterStatus& status);
  // Index of `name` in events_, placing it in the first core pass where it fits; -1 with
  // *why set when it fits nowhere.
  int PlaceCoreEvent(const std::string& name, std::string* why);
  void Build(Slot& slot, int tid);

  CounterOptions options_;
  std::vector<Event> events_;
  std::vector<Planned> planned_;
  std::vector<std::vector<int>> pass_events_;  // per pass: core, then uncore, then SDE events
  std::vector<std::unique_ptr<Slot>> slots_;   // per tid
  int pass_ = 0;
  std::vector<std::string> problems_;
};

// The first Readings() entry for (quantity, source), or nullptr.
const CounterReading* FindReading(const std::vector<CounterReading>& readings, Quantity q,
                                  const std::string& source);

// ---------------------------------------------------------------------------------------------
// Self-check: hardware counts against probe kernels of known work

// Counts that disagree with the known work by more than this fraction are flagged. Tools have
// shipped memory traffic over-reported 2-3x (prefetches and write-backs counted twice, lines
// of the wrong size); 10% is well above the few percent that loop overhead, page-boundary
// prefetch overshoot and interrupts add to these probes.
inline constexpr double kSelfCheckTolerance = 0.10;

struct SelfCheckVerdict {
  std::string check;  // "fp64 fma on AVX3", "load over 192 KiB (4x L1)"
  Quantity quantity = Quantity::kFlops;
  std::vector<std::string> events;
  double known = 0;     // what the probe did (its model: provenance "model")
  double counted = 0;   // what the counters say
  double ratio = 0;     // counted / known
  std::string verdict;  // "agrees", "disagrees", "not counted"
  std::string detail;
};

struct SelfCheck {
  bool ran = false;
  std::string reason;  // why it could not run (with the fix), "" when it ran
  std::vector<SelfCheckVerdict> verdicts;
  std::string Summary() const;  // one line per verdict, or the reason it did not run
};

// Compares a hardware reading with the known work: "agrees" within kSelfCheckTolerance,
// "disagrees" beyond it, "not counted" when the reading is missing or unavailable. Pure.
SelfCheckVerdict JudgeCount(const std::string& check, Quantity q, double known,
                            const CounterReading* reading);

// Runs peak-FLOP kernels (every non-emulated target, fp32 and fp64 FMA) and bandwidth load
// kernels sized to stream past L1, L2 and the last-level cache through the counter path on the
// calling thread, and compares each count with the known work. `caches` are the data cache
// levels (Topology::caches or Machine::caches). When hardware counters are unusable it runs
// nothing and says why.
SelfCheck RunCounterSelfCheck(const std::vector<CacheLevel>& caches);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_COUNTERS_H_
