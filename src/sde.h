// Software-defined events: kernels publish their model counts (FLOPs, bytes per memory level)
// through PAPI's libsde as sde:::roofprof::flops, sde:::roofprof::bytes_L1 ... so the counter
// layer, and any PAPI tool (papi_native_avail, papi_command_line), reads them like other events.
//
// PAPI's sde component finds libsde by looking up its sde_ti_* symbols in the executable's
// global symbol scope when PAPI_library_init runs; an executable that does not load libsde
// shows "libsde API not found. No SDEs exist in this executable". The build therefore links
// libsde into every roofprof executable even when the linker would drop it as unused
// (cmake/RoofprofDependencies.cmake).
#ifndef ROOFPROF_SRC_SDE_H_
#define ROOFPROF_SRC_SDE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "kernels/workload.h"
#include "src/counter_events.h"
#include "src/machine.h"

namespace roofprof {

// libsde library name: the middle part of every roofprof event name.
inline constexpr const char* kSdeLibraryName = "roofprof";

// Whether roofprof publishes `q` as a software-defined event (FLOPs and bytes per level do;
// cycles and instructions are hardware-only).
bool QuantityHasSde(Quantity q);
// "flops", "bytes_L1" ...: the counter name registered with libsde.
std::string SdeCounterName(Quantity q);
// "sde:::roofprof::flops": the name PAPI knows the event by.
std::string SdeEventName(Quantity q);

// The process-wide publisher of roofprof's software-defined events. The counters are
// registered with libsde (papi_sde_register_counter, read-only, delta mode, long long) on first
// use of Get(); libsde reads them through a pointer whenever PAPI starts, reads or stops an event
// set that holds them, so publishing is a few additions, not a library call.
class SdePublisher {
 public:
  static SdePublisher& Get();

  // Adds `runs` Run()s' model counts: model.flops and model.bytes[level], times runs.
  // The runner calls it after each Run() inside the timed region (one uncontended lock, about
  // 60 ns on a Zen 5 core), or once with runs = n after a loop of n short Run()s. Thread-safe.
  // Fractional model counts are carried: after n calls each counter has grown by
  // round(n * count) exactly, not n * round(count).
  void Publish(const WorkModel& model, uint64_t runs = 1);
  void Publish(double flops, const std::array<double, kNumLevels>& bytes);

  // What has been published since the process started (exactly what PAPI would read with a
  // running event set started before the first Publish).
  long long Total(Quantity q) const;

  // Why registration with libsde failed, "" when it worked.
  const std::string& problem() const { return problem_; }

 private:
  SdePublisher();
  void Register();
  void Add(int slot, double amount);

  // One slot per SDE quantity, in kAllQuantities order for flops and bytes_L1..bytes_DRAM.
  static constexpr int kSlots = 5;
  mutable std::mutex mu_;
  // The values libsde reads through a long long*. Lock-free atomics of the same size and
  // representation (checked in sde.cc), written under mu_ and read by libsde at any time.
  std::atomic<long long> published_[kSlots] = {};
  double carry_[kSlots] = {};  // fractional parts not yet published
  std::string problem_;
};

}  // namespace roofprof

#endif  // ROOFPROF_SRC_SDE_H_
