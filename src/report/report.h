// Writes the report directory: charts, the HTML page and CSV tables.
#ifndef ROOFPROF_SRC_REPORT_REPORT_H_
#define ROOFPROF_SRC_REPORT_REPORT_H_

#include <string>
#include <vector>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {

// Writes into `out_dir` (created if needed), each file atomically: roofline.svg (the main
// thread count; roofline-<T>threads.svg for each further thread count among the results),
// staircase.svg, latency.svg, report.html, ceilings.csv and kernels.csv (its header alone
// without results).
// `k` may be null. Returns the paths written, in that order. Throws EnvironmentError when a
// file cannot be written.
std::vector<std::string> WriteReport(const Machine& m, const KernelsFile* k,
                                     const std::string& out_dir);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_REPORT_REPORT_H_
