// roofprof's software-defined events: registration with libsde and publishing of model counts.
#include "src/sde.h"

#include <sde_lib.h>

#include <cmath>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace roofprof {

// libsde reads each counter through a long long*: the atomics must be plain 64-bit words.
static_assert(sizeof(std::atomic<long long>) == sizeof(long long) &&
                  std::atomic<long long>::is_always_lock_free,
              "SDE counters need lock-free 64-bit atomics with a plain representation");

namespace {

// Slot of an SDE quantity in SdePublisher's arrays, -1 for hardware-only quantities.
int Slot(Quantity q) {
  const int i = static_cast<int>(q);
  return i <= static_cast<int>(Quantity::kBytesDram) ? i : -1;
}

const char* Describe(Quantity q) {
  switch (q) {
    case Quantity::kFlops:
      return "Floating-point operations of the kernels run, from their work models (an FMA "
             "counts 2)";
    case Quantity::kBytesL1:
      return "Bytes the core loads and stores, from the kernels' work models";
    case Quantity::kBytesL2:
      return "Bytes moved between L2 and L1, from the kernels' work models";
    case Quantity::kBytesL3:
      return "Bytes moved between L3 and L2, from the kernels' work models";
    case Quantity::kBytesDram:
      return "Bytes moved between memory and the last-level cache, from the kernels' work models";
    default:
      return "";
  }
}

}  // namespace

bool QuantityHasSde(Quantity q) { return Slot(q) >= 0; }

std::string SdeCounterName(Quantity q) { return QuantityName(q); }

std::string SdeEventName(Quantity q) {
  return std::string("sde:::") + kSdeLibraryName + "::" + SdeCounterName(q);
}

SdePublisher& SdePublisher::Get() {
  // Never destroyed: libsde keeps pointers into it until the process exits.
  static SdePublisher* const publisher = new SdePublisher;
  return *publisher;
}

SdePublisher::SdePublisher() {
#if defined(__SANITIZE_ADDRESS__)
  // libsde 7.0 loses a copy of each described counter's full name (16-21 bytes per counter,
  // once per process): keep LeakSanitizer from failing every process that registers them.
  __lsan_disable();
#endif
  Register();
#if defined(__SANITIZE_ADDRESS__)
  __lsan_enable();
#endif
}

void SdePublisher::Register() {
  papi_handle_t handle = papi_sde_init(kSdeLibraryName);
  if (handle == nullptr) {
    problem_ = "papi_sde_init(\"roofprof\") failed";
    return;
  }
  for (Quantity q : kAllQuantities) {
    const int slot = Slot(q);
    if (slot < 0) continue;
    const std::string name = SdeCounterName(q);
    // Delta mode: PAPI reports the growth between start and read/stop, like a hardware counter.
    const int rc = papi_sde_register_counter(handle, name.c_str(), PAPI_SDE_RO | PAPI_SDE_DELTA,
                                             PAPI_SDE_long_long, &published_[slot]);
    if (rc != SDE_OK) {
      problem_ = "papi_sde_register_counter(" + name + ") failed with code " + std::to_string(rc);
      return;
    }
    papi_sde_describe_counter(handle, name.c_str(), Describe(q));
  }
}

void SdePublisher::Add(int slot, double amount) {
  // carry_ stays within [-0.5, 0.5]: integer amounts publish exactly, fractional ones publish
  // the rounded running total.
  carry_[slot] += amount;
  const double whole = std::nearbyint(carry_[slot]);
  carry_[slot] -= whole;
  published_[slot].store(
      published_[slot].load(std::memory_order_relaxed) + static_cast<long long>(whole),
      std::memory_order_relaxed);
}

void SdePublisher::Publish(double flops, const std::array<double, kNumLevels>& bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  Add(Slot(Quantity::kFlops), flops);
  for (int l = 0; l < kNumLevels; ++l) Add(Slot(BytesQuantity(l)), bytes[static_cast<size_t>(l)]);
}

void SdePublisher::Publish(const WorkModel& model, uint64_t runs) {
  const double n = static_cast<double>(runs);
  std::array<double, kNumLevels> bytes = model.bytes;
  for (double& b : bytes) b *= n;
  Publish(model.flops * n, bytes);
}

long long SdePublisher::Total(Quantity q) const {
  const int slot = Slot(q);
  if (slot < 0) return 0;
  return published_[slot].load(std::memory_order_relaxed);
}

}  // namespace roofprof
