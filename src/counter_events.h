// Which hardware events measure each quantity (FLOPs, bytes per memory level, cycles,
// instructions) on each CPU family, as libpfm4 spells them, with the weights that turn event
// counts into FLOPs and bytes. Pure data and arithmetic: nothing here touches PAPI.
#ifndef ROOFPROF_SRC_COUNTER_EVENTS_H_
#define ROOFPROF_SRC_COUNTER_EVENTS_H_

#include <functional>
#include <string>
#include <vector>

namespace roofprof {

// What the counter layer measures. The byte quantities follow WorkModel::bytes: bytes_L1 is what
// the core loads and stores, bytes_L2 the traffic between L2 and L1, bytes_L3 between L3 and
// L2, bytes_DRAM between memory and the last-level cache.
enum class Quantity : int {
  kFlops = 0,
  kBytesL1 = 1,
  kBytesL2 = 2,
  kBytesL3 = 3,
  kBytesDram = 4,
  kCycles = 5,
  kInstructions = 6,
};
inline constexpr int kNumQuantities = 7;
inline constexpr Quantity kAllQuantities[] = {
    Quantity::kFlops,     Quantity::kBytesL1, Quantity::kBytesL2,     Quantity::kBytesL3,
    Quantity::kBytesDram, Quantity::kCycles,  Quantity::kInstructions};

// "flops", "bytes_L1", "bytes_L2", "bytes_L3", "bytes_DRAM", "cycles", "instructions".
const char* QuantityName(Quantity q);
// The byte quantity for memory level `level` (0 = L1 ... 3 = DRAM).
Quantity BytesQuantity(int level);

// One event of a recipe: the quantity gets weight * count from it.
struct EventTerm {
  std::string event;  // PAPI name: a preset ("PAPI_TOT_CYC") or a libpfm4 native name
  double weight = 1;
};

// Where a recipe's events count.
enum class EventScope {
  kThread,  // per thread (perf_event component), summed over the team's threads
  kSocket,  // system-wide uncore counters of one socket (perf_event_uncore component)
};

// One way to obtain a quantity: quantity = sum of weight * count over the terms.
struct EventRecipe {
  std::string label;  // short name for reports: "FP_ARITH_INST_RETIRED x lanes"
  std::vector<EventTerm> terms;
  EventScope scope = EventScope::kThread;
  std::string note;  // what the events include and miss, for reports
};

// The candidate recipes for one quantity, best first. `none` says why a family has no
// recipe at all (empty when it has some).
struct QuantityEvents {
  Quantity quantity = Quantity::kFlops;
  std::vector<EventRecipe> recipes;
  std::string none;
};

enum class CpuFamily {
  kUnknown,
  kIntel,    // Broadwell and later cores with FP_ARITH_INST_RETIRED (older ones lack FLOP events)
  kAmdZen1,  // family 17h models 00h-2Fh: RETIRED_SSE_AVX_OPERATIONS
  kAmdZen,   // Zen 2 and later: RETIRED_SSE_AVX_FLOPS
  kArm,      // Armv8/Armv9 cores; FLOP events only on cores with FP_SCALE_OPS_SPEC
};
const char* CpuFamilyName(CpuFamily f);

// Family from libpfm4's PMU name (PAPI's perf_event component reports it: "skx",
// "amd64_fam19h_zen4", "arm_v1" ...) and PAPI's vendor code (PAPI_VENDOR_*), used for Intel
// whose PMU names carry no vendor prefix.
CpuFamily FamilyFromPmu(const std::string& pmu, int papi_vendor);

struct EventTableOptions {
  // Bytes per cache line: each fill or miss event moves one line. 64 on x86 and most Arm
  // cores; 256 on A64FX.
  int line_bytes = 64;
  // SVE vector length in bits (0 when the core has no SVE). Arm's FP_SCALE_OPS_SPEC counts
  // operations per 128-bit granule, so its weight is sve_bits / 128.
  int sve_bits = 0;
  // Uncore PMU names PAPI's perf_event_uncore component reports ("skx_unc_imc0", ...). Memory
  // controller PMUs among them give socket-wide DRAM traffic.
  std::vector<std::string> uncore_pmus;
};

// The hardware event table of `family`: one entry per quantity in kAllQuantities order.
std::vector<QuantityEvents> HardwareEventTable(CpuFamily family, const EventTableOptions& opt);

// FLOPs per count of an Intel FP_ARITH_INST_RETIRED umask: the lanes of one instruction,
// vector_bits / element_bits, or 1 for scalar instructions (vector_bits == 0). The event
// already counts an FMA twice (Intel: "FM(N)ADD/SUB instructions count twice as they perform 2
// calculations per element"), so lanes are the whole weight.
double IntelFpArithWeight(int vector_bits, int element_bits);

// Intel's FLOP recipe: FP_ARITH_INST_RETIRED umasks of equal weight combined into one event
// (umask bits OR together, so one counter counts both), so AVX-512 cores need 5 counters
// instead of 8. max_vector_bits is 512 or 256 (cores without AVX-512 lack the 512B umasks).
EventRecipe IntelFlopRecipe(int max_vector_bits);

// Weight of Arm's FP_SCALE_OPS_SPEC for an SVE vector length (bits): its count is per 128-bit
// granule of each scalable operation.
double ArmScalableWeight(int sve_bits);

// The first recipe whose every event `exists`; nullptr when none does. `why`, when given,
// receives which events were missing from each rejected recipe.
const EventRecipe* ChooseRecipe(const QuantityEvents& q,
                                const std::function<bool(const std::string&)>& exists,
                                std::string* why = nullptr);

// sum of weight * count over a recipe's terms (counts in terms order).
double CombineTerms(const EventRecipe& recipe, const std::vector<double>& counts);

// "EVENT x weight" for reports ("FP_ARITH_INST_RETIRED:512B_PACKED_SINGLE x16").
std::string DescribeTerm(const EventTerm& term);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_COUNTER_EVENTS_H_
