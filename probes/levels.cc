// Edge detection by windowed median drops with non-maximum suppression; order-preserving
// pairing of edges with reported cache levels.
#include "probes/levels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "src/units.h"

namespace roofprof {
namespace {

double Median3(double a, double b, double c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

}  // namespace

std::vector<Edge> DetectEdges(std::vector<CurvePoint> curve, double min_drop) {
  std::sort(curve.begin(), curve.end(),
            [](const CurvePoint& a, const CurvePoint& b) { return a.bytes < b.bytes; });
  curve.erase(std::remove_if(curve.begin(), curve.end(),
                             [](const CurvePoint& p) {
                               return !(p.gbps > 0) || !std::isfinite(p.gbps) || !(p.bytes > 0);
                             }),
              curve.end());
  const int n = static_cast<int>(curve.size());
  std::vector<Edge> edges;
  if (n < 4) return edges;
  std::vector<double> raw(n), y(n), x(n);
  for (int i = 0; i < n; ++i) {
    raw[i] = std::log(curve[i].gbps);
    x[i] = std::log(curve[i].bytes);
  }
  y = raw;
  for (int i = 1; i + 1 < n; ++i) y[i] = Median3(raw[i - 1], raw[i], raw[i + 1]);

  // Plateau candidates: for each start, the longest run within the band.
  const double band = std::log(1.30);
  const double min_span = std::log(2.0);
  struct Run {
    int lo, hi;
  };
  std::vector<Run> runs;
  for (int i = 0; i < n; ++i) {
    double lo = y[i], hi = y[i];
    int j = i;
    while (j + 1 < n) {
      const double nlo = std::min(lo, y[j + 1]), nhi = std::max(hi, y[j + 1]);
      if (nhi - nlo > band) break;
      lo = nlo;
      hi = nhi;
      ++j;
    }
    if (x[j] - x[i] >= min_span - 1e-9) runs.push_back({i, j});
  }
  // Longest (in log size) first; keep those that do not overlap a kept one.
  std::sort(runs.begin(), runs.end(),
            [&](const Run& a, const Run& b) { return x[a.hi] - x[a.lo] > x[b.hi] - x[b.lo]; });
  std::vector<Run> plateaus;
  for (const Run& r : runs) {
    bool overlaps = false;
    for (const Run& p : plateaus) {
      if (!(r.hi < p.lo || r.lo > p.hi)) overlaps = true;
    }
    if (!overlaps) plateaus.push_back(r);
  }
  std::sort(plateaus.begin(), plateaus.end(),
            [](const Run& a, const Run& b) { return a.lo < b.lo; });

  const auto level = [&](const Run& r) {
    std::vector<double> v(y.begin() + r.lo, y.begin() + r.hi + 1);
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double threshold = -std::log(1.0 - min_drop);
  // Merge neighbours that do not differ enough: they are one level seen with noise.
  std::vector<std::pair<Run, double>> levels;
  for (const Run& r : plateaus) {
    const double v = level(r);
    if (!levels.empty() && levels.back().second - v < threshold &&
        v - levels.back().second < threshold) {
      levels.back().first.hi = r.hi;
      levels.back().second = level(levels.back().first);
      continue;
    }
    levels.emplace_back(r, v);
  }
  for (size_t k = 0; k + 1 < levels.size(); ++k) {
    const double before = levels[k].second, after = levels[k + 1].second;
    if (before - after < threshold) continue;  // a rise, or too small a fall: no edge
    const double mid = 0.5 * (before + after);
    // First point after plateau k whose smoothed value is below the midpoint; interpolate
    // linearly in log-log between it and its predecessor.
    int i = levels[k].first.hi + 1;
    while (i < levels[k + 1].first.lo && y[i] >= mid) ++i;
    const double y0 = y[i - 1], y1 = y[i];
    const double t = (y0 == y1) ? 0.5 : std::min(1.0, std::max(0.0, (y0 - mid) / (y0 - y1)));
    Edge e;
    e.bytes = std::exp(x[i - 1] + t * (x[i] - x[i - 1]));
    e.before_gbps = std::exp(before);
    e.after_gbps = std::exp(after);
    edges.push_back(e);
  }
  return edges;
}

LevelDetection MatchLevels(const std::vector<Edge>& edges,
                           const std::vector<std::pair<int, uint64_t>>& reported) {
  LevelDetection out;
  const size_t ne = edges.size(), nl = reported.size();
  for (const auto& r : reported) out.levels.push_back({r.first, r.second, 0, false});
  if (ne == 0) return out;
  // Order-preserving assignment minimising the total |log2 ratio|: dynamic programming over
  // (edges consumed i, levels consumed j, whether level j-1 was paired p). Each edge either
  // pairs with a level or stays unexplained; a level may stay unpaired at no cost. An edge left
  // unexplained below a reported level would be a cache the OS does not report, which is rare
  // (cost 6, a 64x mismatch); one beyond the last level, once that level has its own edge, is
  // common (TLB reach, NUMA, a VM's memory mapping: cost 1).
  constexpr double kUnexplainedInside = 6.0;
  constexpr double kUnexplainedBeyond = 1.0;
  const double inf = std::numeric_limits<double>::infinity();
  struct Cell {
    double cost = std::numeric_limits<double>::infinity();
    int how = -1;  // 0 level unpaired, 1 edge unexplained, 2 pair
    int from_p = 0;
  };
  std::vector<std::vector<std::array<Cell, 2>>> dp(ne + 1,
                                                   std::vector<std::array<Cell, 2>>(nl + 1));
  dp[0][0][0].cost = 0;
  const auto relax = [](Cell* to, double cost, int how, int from_p) {
    if (cost < to->cost) *to = {cost, how, from_p};
  };
  for (size_t i = 0; i <= ne; ++i) {
    for (size_t j = 0; j <= nl; ++j) {
      for (int p = 0; p < 2; ++p) {
        const double c = dp[i][j][static_cast<size_t>(p)].cost;
        if (c == inf) continue;
        if (j < nl) relax(&dp[i][j + 1][0], c, 0, p);
        if (i < ne) {
          const double u = (j == nl && p == 1) ? kUnexplainedBeyond : kUnexplainedInside;
          relax(&dp[i + 1][j][static_cast<size_t>(p)], c + u, 1, p);
        }
        if (i < ne && j < nl) {
          const double m =
              std::fabs(std::log2(edges[i].bytes / static_cast<double>(reported[j].second)));
          relax(&dp[i + 1][j + 1][1], c + m, 2, p);
        }
      }
    }
  }
  // With as many edges as levels, pairing all in order is what the hardware means even when
  // one reported size is far off (a VM reporting a socket-wide L3, say): force it.
  if (ne == nl) {
    for (size_t k = 0; k < ne; ++k) {
      auto& m = out.levels[k];
      m.edge_bytes = static_cast<uint64_t>(edges[k].bytes);
      m.consistent =
          std::fabs(std::log2(edges[k].bytes / static_cast<double>(m.reported_bytes))) <= 2.0;
    }
    return out;
  }
  size_t i = ne, j = nl;
  int p = dp[ne][nl][1].cost <= dp[ne][nl][0].cost ? 1 : 0;
  while (i > 0 || j > 0) {
    const Cell& cell = dp[i][j][static_cast<size_t>(p)];
    if (cell.how == 0) {
      --j;
    } else if (cell.how == 1) {
      out.unexplained.push_back(edges[--i]);
    } else {
      --i;
      --j;
      auto& m = out.levels[j];
      m.edge_bytes = static_cast<uint64_t>(edges[i].bytes);
      m.consistent =
          std::fabs(std::log2(edges[i].bytes / static_cast<double>(m.reported_bytes))) <= 2.0;
    }
    p = cell.from_p;
  }
  std::reverse(out.unexplained.begin(), out.unexplained.end());
  return out;
}

bool EdgeSaysShared(const std::vector<Edge>& edges, double one_thread_edge, int threads,
                    double* edge) {
  *edge = 0;
  for (const Edge& e : edges) {
    if (e.bytes >= 0.5 * one_thread_edge && (*edge == 0 || e.bytes < *edge)) *edge = e.bytes;
  }
  return *edge > 0 && threads > 1 && *edge < one_thread_edge * std::sqrt(threads);
}

std::vector<std::string> DescribeDetection(const LevelDetection& d) {
  std::vector<std::string> notes;
  for (const auto& m : d.levels) {
    const std::string name = "L" + std::to_string(m.level);
    if (m.edge_bytes == 0) {
      notes.push_back(name + " (" + FormatBytes(static_cast<double>(m.reported_bytes)) +
                      " per thread reported): no bandwidth edge seen near it");
    } else if (!m.consistent) {
      notes.push_back(name + " reported as " + FormatBytes(static_cast<double>(m.reported_bytes)) +
                      " per thread, but the bandwidth edge is at about " +
                      FormatBytes(static_cast<double>(m.edge_bytes)) +
                      "; using the measured size (virtual machines often report a socket-wide or "
                      "fictitious cache)");
    }
  }
  for (const auto& e : d.unexplained) {
    notes.push_back("bandwidth edge at about " + FormatBytes(e.bytes) +
                    " matches no reported cache level (TLB reach, NUMA, the memory mapping of "
                    "a VM, or an unreported cache)");
  }
  return notes;
}

}  // namespace roofprof
