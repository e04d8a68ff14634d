// The machine model the probes produce and everything else reads: roofprof.machine/1.
#ifndef ROOFPROF_SRC_MACHINE_H_
#define ROOFPROF_SRC_MACHINE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace roofprof {

inline constexpr const char* kMachineSchema = "roofprof.machine/1";

// Memory levels in order from the core outwards. Index into arrays of per-level values.
enum class Level : int { kL1 = 0, kL2 = 1, kL3 = 2, kDram = 3 };
inline constexpr int kNumLevels = 4;
const char* LevelName(int level);            // "L1", "L2", "L3", "DRAM"
int LevelFromName(const std::string& name);  // -1 when unknown

struct CpuInfo {
  std::string model;
  std::string vendor;
  std::string arch;          // "x86_64", "aarch64", "riscv64"
  int logical_cpus = 0;      // in the machine
  int cores = 0;             // in the machine
  int available_cpus = 0;    // usable by this process (affinity and cgroup quota)
  double clock_ghz = 0;      // measured under load (dependent integer-add chain), 1 thread
  double clock_all_ghz = 0;  // the same with every probed thread busy (per thread)
  int all_threads = 0;       // the "all threads" count the probe used
  std::string clock_source;  // how clock_ghz was obtained
  double nominal_ghz = 0;    // OS-reported nominal/base clock, 0 when unknown
  bool hypervisor = false;
  std::vector<std::string> targets;  // Highway targets supported and compiled, best first
  std::string core_name;             // recognised core ("Zen 5", "Neoverse V2"), "" if not
};

struct CacheLevel {
  int level = 0;                // 1, 2, 3 (data/unified caches only)
  uint64_t size_bytes = 0;      // one instance
  int cores_sharing = 1;        // cores sharing one instance
  std::string source;           // "hwloc", "sysconf", "sweep", "default"
  uint64_t detected_bytes = 0;  // where the bandwidth sweep put this level's edge, 0 if unseen
};

struct ComputeCeiling {
  std::string precision;  // fp64, fp32, bf16, int8
  std::string isa;        // Highway target name
  std::string op;         // fma, add, mul, fma+add
  int threads = 1;
  double gflops = 0;              // best of the repetitions
  double median_gflops = 0;       // median of the repetitions
  double flops_per_cycle = 0;     // per core: gflops / threads / clock_ghz
  double theoretical_gflops = 0;  // spec arithmetic; NaN when the core is not recognised
  std::string flops_source = "model";
};

struct BandwidthCeiling {
  std::string level;   // L1, L2, L3, DRAM
  std::string kernel;  // load, store, copy, triad, store_nt
  int threads = 1;
  double gbps = 0;  // best of the repetitions
  double median_gbps = 0;
  uint64_t bytes = 0;          // total working set (all threads) where it was measured
  double bytes_per_cycle = 0;  // per core
  std::string isa;
};

struct SweepPoint {
  std::string kernel;
  int threads = 1;
  uint64_t bytes = 0;  // total working set over all threads
  double gbps = 0;
  double median_gbps = 0;
};

struct LatencyPoint {
  uint64_t bytes = 0;
  double ns = 0;
  double cycles = 0;
};

struct Machine {
  std::string created;  // ISO 8601 UTC
  std::string tool_version;
  bool quick = false;
  CpuInfo cpu;
  std::vector<CacheLevel> caches;
  std::vector<ComputeCeiling> compute;
  std::vector<BandwidthCeiling> bandwidth;
  std::vector<SweepPoint> sweep;
  std::vector<LatencyPoint> latency;
  bool write_allocate_counted = false;  // store/copy/triad count only explicit bytes
  std::vector<std::string> notes;       // context and warnings, in order of discovery
};

// Clock (GHz) measured with `threads` busy threads: clock_all_ghz for the all-thread count,
// else clock_ghz.
double ClockFor(const Machine& m, int threads);

// Serialises to the roofprof.machine/1 layout.
std::string MachineToJsonText(const Machine& m);
// Parses and validates; throws UsageError naming file, key and problem.
Machine MachineFromJsonText(const std::string& text, const std::string& file);
// Reads a machine.json file (size-limited, validated).
Machine LoadMachine(const std::string& path);

// Best compute ceiling for (precision, op, threads) over ISAs; nullptr when none. An empty
// `isa` matches any target.
const ComputeCeiling* FindCompute(const Machine& m, const std::string& precision,
                                  const std::string& op, int threads, const std::string& isa = "");
// The single-kind peaks a compute roof is drawn from: fma (mul+add where the ISA has no FMA)
// for floating point, dot for int8 (8-bit multiplies summed in fours into int32).
inline constexpr const char* kPeakOps[] = {"fma", "mul+add", "dot"};
// Best of the kPeakOps ceilings for (precision, threads); an empty `isa` matches any target.
// nullptr when none.
const ComputeCeiling* FindPeak(const Machine& m, const std::string& precision, int threads,
                               const std::string& isa = "");
// Bandwidth ceiling for (level, kernel, threads); nullptr when none.
const BandwidthCeiling* FindBandwidth(const Machine& m, const std::string& level,
                                      const std::string& kernel, int threads);

// Raises `into`'s ceilings to those of `again`, a later measurement of the same machine, where
// they are higher: compute ceilings by (precision, isa, op, threads), bandwidth ceilings by
// (level, kernel, threads), sweep points by (kernel, threads, bytes), adding sweep points it
// lacks. Ceilings are the best rate seen, so the best over two measurements minutes apart is
// still one; a measurement taken while other work shared the memory system is replaced.
// Returns one "DRAM load, 2 threads: 28.7 -> 57.9 GB/s" line per ceiling raised by more than
// 1%, largest relative change first.
std::vector<std::string> MergeBestCeilings(Machine* into, const Machine& again);

// Size of cache `level` (1..3) in bytes, 0 if absent.
uint64_t CacheSize(const Machine& m, int level);
const CacheLevel* FindCache(const std::vector<CacheLevel>& caches, int level);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_MACHINE_H_
