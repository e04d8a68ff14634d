// Ceiling selection and hierarchical time-based classification.
#include "src/roofline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "src/units.h"

namespace roofprof {
namespace {

std::string MapPrecision(const Machine& m, const std::string& precision) {
  const auto has = [&](const std::string& p) {
    for (const auto& c : m.compute) {
      if (c.precision == p) return true;
    }
    return false;
  };
  if (has(precision)) return precision;
  // Weights stored narrow are widened and computed in fp32; int8 dot products are held to fp32
  // where no int8 peak was measured (a target without a dot-product instruction, or a
  // machine.json written before the probe measured one).
  if (precision == "bf16" || precision == "f16" || precision == "fp16" || precision == "q8_0" ||
      precision == "q4_0" || precision == "int8") {
    return "fp32";
  }
  return precision;
}

}  // namespace

const char* ResourceName(int i) { return i == 0 ? "compute" : LevelName(i - 1); }

int NearestThreads(const std::vector<int>& have, int want) {
  int best = -1;
  for (const int t : have) {
    if (best < 0 || std::abs(t - want) < std::abs(best - want) ||
        (std::abs(t - want) == std::abs(best - want) && t > best)) {
      best = t;
    }
  }
  return best;
}

double DramShare(const Machine& m, int threads, double working_set_bytes, std::string* why) {
  std::vector<int> counts;
  for (const auto& b : m.bandwidth) {
    if (b.level == "DRAM") counts.push_back(b.threads);
  }
  const int t = NearestThreads(counts, threads);
  if (t < 0 || !(working_set_bytes > 0)) return 1.0;
  const Ceilings c = SelectCeilings(m, "fp32", t);
  const double dram = c.gbps[static_cast<size_t>(Level::kDram)];
  const BandwidthCeiling* anchor = FindBandwidth(m, "DRAM", "load", t);
  if (!(dram > 0) || anchor == nullptr || anchor->bytes == 0) return 1.0;
  // The load sweep at t threads, then the DRAM ceiling's own point where it lies beyond it.
  std::vector<std::pair<double, double>> curve;
  for (const auto& p : m.sweep) {
    if (p.kernel == "load" && p.threads == t && p.gbps > 0) {
      curve.emplace_back(static_cast<double>(p.bytes), p.gbps);
    }
  }
  std::sort(curve.begin(), curve.end());
  if (curve.empty()) return 1.0;
  if (static_cast<double>(anchor->bytes) > curve.back().first) {
    curve.emplace_back(static_cast<double>(anchor->bytes), anchor->gbps);
  }
  const double s = working_set_bytes;
  if (s >= curve.back().first) return 1.0;
  // The first point past s (one exists: s is below the last); below the sweep, its first rate.
  const auto hi = std::upper_bound(curve.begin(), curve.end(), s,
                                   [](double v, const auto& p) { return v < p.first; });
  double swept = hi->second;
  if (hi != curve.begin()) {
    const auto lo = hi - 1;
    const double f = std::log(s / lo->first) / std::log(hi->first / lo->first);
    swept = lo->second + f * (hi->second - lo->second);
  }
  const double share = std::clamp(dram / swept, 0.0, 1.0);
  if (why != nullptr && share < 1.0) {
    *why = fmt::format(
        "DRAM: {:.0f}% of the beyond-cache bytes (the load sweep reads {} at {} GB/s on {} "
        "thread(s) against a DRAM ceiling of {} GB/s: the rest still hits a cache)",
        100.0 * share, FormatBytes(s), FormatRate(swept), t, FormatRate(dram));
  }
  return share;
}

Ceilings SelectCeilings(const Machine& m, const std::string& precision, int threads,
                        const std::string& isa) {
  Ceilings c;
  const std::string p = MapPrecision(m, precision);
  std::vector<int> counts;
  for (const auto& x : m.compute) {
    if (x.precision == p) counts.push_back(x.threads);
  }
  const int ct = NearestThreads(counts, threads);
  if (ct > 0) {
    const ComputeCeiling* best = FindPeak(m, p, ct, isa);
    if (best == nullptr && !isa.empty()) best = FindPeak(m, p, ct);
    if (best != nullptr) {
      const double scale = static_cast<double>(threads) / ct;
      c.compute_gflops = best->gflops * scale;
      c.theoretical_gflops = best->theoretical_gflops * scale;
      c.compute_label = p + " " + best->op + " " + best->isa + ", " + std::to_string(ct) +
                        (ct == 1 ? " thread" : " threads") +
                        (ct == threads ? "" : " (scaled to " + std::to_string(threads) + ")");
    }
  }
  std::vector<int> bw_counts;
  for (const auto& b : m.bandwidth) bw_counts.push_back(b.threads);
  const int bt = NearestThreads(bw_counts, threads);
  for (int l = 0; l < kNumLevels && bt > 0; ++l) {
    const BandwidthCeiling* best = nullptr;
    for (const char* k : {"load", "copy", "triad"}) {
      const BandwidthCeiling* x = FindBandwidth(m, LevelName(l), k, bt);
      if (x != nullptr && (best == nullptr || x->gbps > best->gbps)) best = x;
    }
    if (best == nullptr) continue;
    // Private levels scale with threads; DRAM (and shared L3) do not scale beyond what was
    // measured, so only scale down, never up, for those.
    double scale = static_cast<double>(threads) / bt;
    if ((l >= 2) && scale > 1) scale = 1;
    c.gbps[static_cast<size_t>(l)] = best->gbps * scale;
    c.labels[static_cast<size_t>(l)] = std::string(LevelName(l)) + " " + best->kernel + ", " +
                                       std::to_string(bt) + (bt == 1 ? " thread" : " threads") +
                                       (bt == threads ? "" : " (scaled)");
  }
  return c;
}

Classification Classify(double flops, double seconds, const std::array<double, kNumLevels>& bytes,
                        const Ceilings& c) {
  Classification r;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  r.bound_seconds[0] =
      flops <= 0 ? 0 : (c.compute_gflops > 0 ? flops / (c.compute_gflops * 1e9) : nan);
  for (int l = 0; l < kNumLevels; ++l) {
    const double q = bytes[static_cast<size_t>(l)];
    const double bw = c.gbps[static_cast<size_t>(l)];
    r.bound_seconds[static_cast<size_t>(l) + 1] = q <= 0 ? 0 : (bw > 0 ? q / (bw * 1e9) : nan);
    r.ai[static_cast<size_t>(l)] = q > 0 ? flops / q : inf;
  }
  r.carm_ai = bytes[0] > 0 ? flops / bytes[0] : inf;
  double worst = 0;
  for (int i = 0; i <= kNumLevels; ++i) {
    const double b = r.bound_seconds[static_cast<size_t>(i)];
    // Strictly larger (beyond a relative 1e-9) to move: ties stay with the earlier resource.
    if (std::isfinite(b) && b > worst * (1 + 1e-9)) {
      worst = b;
      r.binding = i;
    }
  }
  if (r.binding < 0 || worst <= 0) {
    r.binding = -1;
    r.bound = "unknown";
    r.attainable_gflops = nan;
    r.efficiency = nan;
    return r;
  }
  r.bound = ResourceName(r.binding);
  r.attainable_gflops = flops / worst / 1e9;
  r.efficiency = seconds > 0 ? worst / seconds : nan;
  return r;
}

}  // namespace roofprof
