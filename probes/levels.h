// Finding the cache levels in a bandwidth-vs-working-set curve, and pairing them with the
// levels the OS reports. Pure functions: no measurement here, so they are tested exactly.
#ifndef ROOFPROF_PROBES_LEVELS_H_
#define ROOFPROF_PROBES_LEVELS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/machine.h"

namespace roofprof {

struct CurvePoint {
  double bytes = 0;
  double gbps = 0;
};

struct Edge {
  double bytes = 0;        // working set where the bandwidth crosses midway between plateaus
  double before_gbps = 0;  // plateau before the edge (median)
  double after_gbps = 0;   // plateau after it
};

// An edge is a fall between two plateaus to at most 75% of the bandwidth before it. Real
// cache edges fall 40-60% (L1->L2, L2->L3, L3->DRAM).
inline constexpr double kDefaultMinDrop = 0.25;

// Edges in `curve` (any order). Works in log-log space:
//  1. smooth with a running median of three (rides out single noisy points);
//  2. find plateaus: maximal runs whose values stay within a 30% band and that span at least
//     a factor 2 in working set, longest first, never overlapping;
//  3. between consecutive plateaus that differ by at least `min_drop`, the edge is where the
//     curve crosses the geometric mean of the two plateau levels.
// Gradual roll-offs (a large L3 with non-LRU replacement falls over a factor of ten in size)
// thus give one edge, not several.
std::vector<Edge> DetectEdges(std::vector<CurvePoint> curve, double min_drop = kDefaultMinDrop);

// How one reported cache level relates to the detected edges.
struct LevelMatch {
  int level = 0;                // 1, 2, 3
  uint64_t reported_bytes = 0;  // per-thread capacity the OS reports
  uint64_t edge_bytes = 0;      // paired edge, 0 when none was seen
  bool consistent = false;      // edge within 4x of the reported capacity
};

struct LevelDetection {
  std::vector<LevelMatch> levels;
  std::vector<Edge> unexplained;  // edges paired with no reported level
};

// Pairs edges with reported levels, in order. With as many edges as levels they pair one to
// one; with fewer, each edge goes to the nearest level (in log size) that keeps the order.
// `reported` holds per-thread capacities for levels 1..n ascending.
LevelDetection MatchLevels(const std::vector<Edge>& edges,
                           const std::vector<std::pair<int, uint64_t>>& reported);

// Whether a last-level cache that one thread saw end at `one_thread_edge` bytes is shared by
// the `threads` threads of an all-threads sweep whose edges are `edges` (aggregate working
// set): a cache private to each core moves the aggregate edge `threads`-fold, a shared one
// leaves it where one thread saw it. The first edge at or above half the one-thread edge is
// compared with the geometric midpoint of the two cases. Sets *edge to it (0 when none).
bool EdgeSaysShared(const std::vector<Edge>& edges, double one_thread_edge, int threads,
                    double* edge);

// Human-readable notes on what the detection found (confirmations, discrepancies).
std::vector<std::string> DescribeDetection(const LevelDetection& d);

}  // namespace roofprof

#endif  // ROOFPROF_PROBES_LEVELS_H_
