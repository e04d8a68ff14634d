// Comparing two machines (machine.json) or two sets of kernel results (kernels.json): ratios
// per matching ceiling and per matching kernel, as a text table and as JSON.
#ifndef ROOFPROF_SRC_REPORT_COMPARE_H_
#define ROOFPROF_SRC_REPORT_COMPARE_H_

#include <string>
#include <vector>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {
namespace report {

inline constexpr const char* kCompareSchema = "roofprof.compare/1";

// One quantity present in both inputs.
struct CompareRow {
  std::string section;  // "clock", "cache", "compute", "bandwidth", "kernel"
  std::string
      key;  // what matched: "fp32 fma AVX3, 2 threads", "gemv_f32 m=1,n=4096,k=4096, 2 threads"
  std::string unit;  // unit of a and b: "GHz", "bytes", "GFLOP/s", "GB/s"
  double a = 0;
  double b = 0;
  // B relative to A, > 1 when B is better: b / a for rates and sizes; for kernels the speedup
  // a.seconds / b.seconds (the same as the GFLOP/s ratio when both count the same flops, and
  // still right when they do not). NaN when it cannot be formed (a zero).
  double ratio = 0;
  std::string note;  // what else changed: "bound DRAM -> L3", "isa AVX3 -> AVX2", ...
};

struct SectionSummary {
  std::string section;
  double geomean_ratio = 0;  // geometric mean of the section's finite, positive ratios
  int count = 0;             // how many ratios went into it
};

struct Comparison {
  std::string kind;  // "machine" or "kernels"
  std::string a_file, b_file;
  std::string a_desc, b_desc;  // "AMD EPYC (Zen 5), probed 2026-11-25T17:23:13Z"
  std::vector<CompareRow> rows;
  std::vector<SectionSummary> summary;      // for compute, bandwidth and kernel sections
  std::vector<std::string> only_a, only_b;  // keys (with section) present on one side only
  std::vector<std::string> notes;           // e.g. inputs from different machines
};

// Compute ceilings match on precision, ISA, op and threads; bandwidth ceilings on level, kernel
// and threads; caches on level; plus the measured clock.
Comparison CompareMachines(const Machine& a, const Machine& b, const std::string& a_file,
                           const std::string& b_file);
// Results match on name, shape and threads (a repeated key matches the same occurrence on the
// other side: the second with the second).
Comparison CompareKernels(const KernelsFile& a, const KernelsFile& b, const std::string& a_file,
                          const std::string& b_file);

// Aligned table with a header naming A and B, the geometric means and the unmatched keys.
std::string ComparisonText(const Comparison& c, bool unicode = true);
// {"schema": "roofprof.compare/1", "kind", "a": {file, description}, "b", "rows": [...],
//  "summary": [...], "only_a", "only_b", "notes"}; non-finite numbers are null.
std::string ComparisonJson(const Comparison& c);
// Several comparisons (two run directories): the texts one after another, blank line between.
std::string ComparisonsText(const std::vector<Comparison>& cs, bool unicode = true);
// Several comparisons as one JSON document: {"schema", "comparisons": [...]}; a single one is
// written as ComparisonJson writes it.
std::string ComparisonsJson(const std::vector<Comparison>& cs);

// What `roofprof compare A B` compares: two machine.json files, two kernels.json files (the
// kind is read from each file's "schema"), or two run directories (their machine.json and
// kernels.json, whichever both hold). Throws UsageError for a mix of kinds, unknown schemas,
// or directories with nothing in common.
std::vector<Comparison> CompareFiles(const std::string& a, const std::string& b);

}  // namespace report
}  // namespace roofprof

#endif  // ROOFPROF_SRC_REPORT_COMPARE_H_
