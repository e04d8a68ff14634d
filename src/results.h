// Kernel results, roofprof.kernels/1: what ran, how fast, how much work by whose count, and
// where it sits on the roofline.
#ifndef ROOFPROF_SRC_RESULTS_H_
#define ROOFPROF_SRC_RESULTS_H_

#include <array>
#include <string>
#include <vector>

#include "src/machine.h"
#include "src/units.h"

namespace roofprof {

inline constexpr const char* kKernelsSchema = "roofprof.kernels/1";

// Where a FLOP or byte count came from.
inline constexpr const char* kSourceModel = "model";
inline constexpr const char* kSourceSde = "sde";
inline constexpr const char* kSourceCounters = "counters";
inline constexpr const char* kSourceUser = "user";
inline constexpr const char* kSourceTheoretical = "theoretical";
bool IsKnownSource(const std::string& s);

struct KernelResult {
  std::string name;
  Shape shape;
  int threads = 1;
  std::string isa;            // Highway target it ran on ("" for library baselines)
  std::string precision;      // compute ceiling it is held against ("fp32", ...)
  std::string description;    // one line
  std::string baseline;       // "" for roofprof's kernels, "openblas" for a library baseline
  double seconds = 0;         // per run, best repetition
  double median_seconds = 0;  // per run, median repetition
  double spread = 0;          // (median - best) / best
  double gflops = 0;          // flops / seconds / 1e9
  double flops = 0;           // per run
  std::string flops_source = kSourceModel;
  std::array<double, kNumLevels> bytes{};  // per run, per level (L1, L2, L3, DRAM)
  std::string bytes_source = kSourceModel;
  double compulsory_bytes = 0;
  // Classification (see roofline.h).
  std::string bound;  // "compute", "L1", "L2", "L3", "DRAM"
  double attainable_gflops = 0;
  double efficiency = 0;
  std::array<double, kNumLevels> ai{};  // flops / bytes per level; +inf where bytes are 0
  double carm_ai = 0;                   // flops / bytes the core loads and stores
  std::array<double, kNumLevels + 1> bound_seconds{};  // compute, L1, L2, L3, DRAM
  std::vector<std::string> advice;
  std::vector<std::string> events;  // counter events behind flops/bytes when not "model"
  double checksum = 0;
  double verify_error = -1;  // Verify(): max |error|/tolerance, <= 1 passes; -1 = not run
  std::vector<std::string> derivation;  // the work model's derivation lines
};

struct KernelsFile {
  std::string created;
  std::string tool_version;
  std::string machine_model;    // cpu.model of the machine.json used
  std::string machine_created;  // its created stamp, to tie results to ceilings
  std::vector<KernelResult> results;
  std::vector<std::string> notes;
};

std::string KernelsToJsonText(const KernelsFile& k);
KernelsFile KernelsFromJsonText(const std::string& text, const std::string& file);
KernelsFile LoadKernels(const std::string& path);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_RESULTS_H_
