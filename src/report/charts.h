// The report's charts: the roofline (hierarchical and cache-aware points against measured
// ceilings), the bandwidth staircase over working-set size, and the latency curve.
#ifndef ROOFPROF_SRC_REPORT_CHARTS_H_
#define ROOFPROF_SRC_REPORT_CHARTS_H_

#include <array>
#include <string>
#include <vector>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {
namespace report {

// How a ceiling line was obtained, and so how it is drawn.
enum class CeilingStyle {
  kMeasured,     // measured on the chart's thread count: solid
  kOneThread,    // measured on one thread, shown beside the all-thread roof: dotted
  kTheoretical,  // spec-sheet arithmetic: dashed, never used as the roof
};

struct ComputeLine {
  std::string precision, isa, op;
  int probed_threads = 1;  // thread count the measurement came from (scaled when it differs)
  double gflops = 0;
  CeilingStyle style = CeilingStyle::kMeasured;
  bool roof = false;   // the compute roof the bandwidth diagonals end at
  std::string label;   // on the chart: "fp32 AVX3 414 GFLOP/s"
  std::string detail;  // for tooltips and legends: "fp32 fma AVX3, 2 threads"
};

struct BandwidthLine {
  int level = 0;  // 0..3 (L1, L2, L3, DRAM)
  double gbps = 0;
  double ridge_ai = 0;  // FLOP/byte where it meets the compute roof; 0 without a roof
  std::string label;    // "L1 832 GB/s"
  std::string detail;   // "L1 triad, 2 threads"
};

// One kernel result as drawn: its points per level (joined by a line, all at the measured
// GFLOP/s) and its cache-aware point.
struct KernelPoints {
  size_t index = 0;   // into KernelsFile::results
  int number = 0;     // 1-based, the same in every chart and table
  std::string label;  // "gemv_f32 m=1 n=4096 k=4096"
  std::string color;
  double gflops = 0;
  std::array<double, kNumLevels> ai{};  // 0 where not drawn (no traffic at that level)
  double carm_ai = 0;                   // 0 when not drawn
  std::string bound;
  double efficiency = 0;
};

struct RooflineData {
  int threads = 1;
  std::string precision;  // of the compute roof
  std::string title;
  std::vector<ComputeLine> compute;  // roof first
  std::vector<BandwidthLine> bandwidth;
  std::vector<KernelPoints> kernels;
  double x_lo = 0.01, x_hi = 100;  // FLOP/byte
  double y_lo = 1, y_hi = 1000;    // GFLOP/s
  std::vector<std::string> notes;  // what was left out and why
};

// Thread counts that get a roofline chart, the main one first: the counts kernel results ran
// with (largest first), or the largest probed count when there are no results.
std::vector<int> RooflineThreadCounts(const Machine& m, const KernelsFile* k);

// Ceilings and points for the chart of `threads` threads. Kernel results with other thread
// counts are left to their own charts.
RooflineData BuildRoofline(const Machine& m, const KernelsFile* k, int threads);

// Name of the colour a kernel result gets everywhere (by its index in the file).
std::string KernelColor(size_t index);
// "gemv_f32 m=1 n=4096 k=4096" (shape spaced so it wraps and reads as words).
std::string KernelLabel(const KernelResult& r);

// SVG texts. `standalone` makes a .svg file (XML declaration, namespace); without it the SVG
// is meant to be inlined in HTML5.
std::string RooflineSvg(const RooflineData& d, bool standalone);
// Bandwidth against working-set size, one panel per thread count, with cache sizes marked.
std::string StaircaseSvg(const Machine& m, bool standalone);
// Load-to-use latency (ns, and cycles on the right axis) against working-set size.
std::string LatencySvg(const Machine& m, bool standalone);

// Capacity of cache `c` as a working set of `threads` threads (one thread per core): the
// instances they use times the size of one. `per_instance` is the size of one instance
// (size_bytes, or detected_bytes for the measured edge).
double CacheCapacity(const CacheLevel& c, double per_instance, int threads);

}  // namespace report
}  // namespace roofprof

#endif  // ROOFPROF_SRC_REPORT_CHARTS_H_
