// Roofline, bandwidth staircase and latency charts as SVG.
#include "src/report/charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "src/report/svg.h"
#include "src/roofline.h"
#include "src/units.h"

namespace roofprof {
namespace report {
namespace {

using svg::Box;
using svg::Document;
using svg::LegendEntry;
using svg::Marker;
using svg::Point;
using svg::Rect;
using svg::Stroke;
using svg::TextStyle;

// Layout in pixels. The roofline's plot is about 890 x 530: at a typical 4-5 decade x range
// that is ~180-220 px per decade, enough for labels along the diagonals.
constexpr double kWidth = 1000;
constexpr double kLeft = 84;
constexpr double kRight = 24;
constexpr double kTop = 64;
constexpr double kRooflinePlotHeight = 530;
constexpr double kAxisBelow = 62;  // tick labels and axis title under a plot
constexpr double kLegendFont = 12;
constexpr double kLegendRow = kLegendFont * 1.6;  // as svg::DrawLegend lays rows out
// Markers: level points 9 px across, the cache-aware ring 17 px so the L1 square (which sits
// at the same AI, bytes the core loads and stores) shows inside it.
constexpr double kMarkerSize = 9;
constexpr double kRingSize = 17;
// Ranges: points and ridges get a factor of 3 of room on either side (about half a decade),
// and the x axis spans at least 3 decades, y at least 2, so the slopes read as slopes.
constexpr double kPad = 3;
constexpr double kMinXDecades = 3;
constexpr double kMinYDecades = 2;

const char* const kCeilingColor = "#333";
const char* const kMinorCeilingColor = "#8a8a8a";
const char* const kDotted = "2,3";
const char* const kDashed = "7,4";

std::string Threads(int t) { return std::to_string(t) + (t == 1 ? " thread" : " threads"); }

std::string Dot() { return " \xC2\xB7 "; }  // " · "

bool HasPrecision(const Machine& m, const std::string& p) {
  for (const auto& c : m.compute) {
    if (c.precision == p) return true;
  }
  return false;
}

// The precision whose ceilings a result is drawn against (as SelectCeilings maps them: narrow
// weight formats compute in fp32).
std::string ChartPrecision(const Machine& m, const std::string& p) {
  if (!p.empty() && HasPrecision(m, p)) return p;
  if (HasPrecision(m, "fp32")) return "fp32";
  return p.empty() ? "fp32" : p;
}

// ISAs with measurements for `p`: the CPU's target order first (best first), then the rest.
std::vector<std::string> IsaOrder(const Machine& m, const std::string& p) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& isa) {
    if (std::find(out.begin(), out.end(), isa) == out.end()) out.push_back(isa);
  };
  for (const auto& t : m.cpu.targets) {
    for (const auto& c : m.compute) {
      if (c.precision == p && c.isa == t) add(t);
    }
  }
  for (const auto& c : m.compute) {
    if (c.precision == p) add(c.isa);
  }
  return out;
}

double Positive(double v) { return std::isfinite(v) && v > 0 ? v : 0; }

// Expands [lo, hi] (log) symmetrically to at least `decades`.
void MinSpan(double* lo, double* hi, double decades) {
  const double span = std::log10(*hi / *lo);
  if (span < decades) {
    const double f = std::pow(10.0, (decades - span) / 2);
    *lo /= f;
    *hi *= f;
  }
}

Marker LevelMarker(int level) {
  switch (level) {
    case 0:
      return Marker::kSquare;
    case 1:
      return Marker::kTriangle;
    case 2:
      return Marker::kDiamond;
    default:
      return Marker::kCircle;
  }
}

Box MarkerBox(Point p, double size) {
  const double h = size / 2 + 1;
  return Box::FromRect({p.x - h, p.y - h, p.x + h, p.y + h});
}

std::string NoDataSvg(const std::string& title, const std::string& message, bool standalone) {
  Document doc(kWidth, 150);
  TextStyle t;
  t.size = 16;
  t.weight = "bold";
  doc.Text({24, 36}, title, t);
  TextStyle s;
  s.size = 13;
  s.color = "#555";
  doc.Text({24, 80}, message, s);
  return doc.Finish(standalone);
}

void ChartTitle(Document* doc, const std::string& title, const std::string& subtitle) {
  TextStyle t;
  t.size = 17;
  t.weight = "bold";
  t.color = "#111";
  doc->Text({kLeft - 60, 28}, title, t);
  if (!subtitle.empty()) {
    TextStyle s;
    s.size = 12;
    s.color = "#555";
    doc->Text({kLeft - 60, 47}, subtitle, s);
  }
}

std::string MachineSubtitle(const Machine& m) {
  std::string s = m.cpu.model.empty() ? "unknown CPU" : m.cpu.model;
  if (!m.cpu.core_name.empty()) s += " (" + m.cpu.core_name + ")";
  if (m.cpu.clock_ghz > 0) s += Dot() + FormatRate(m.cpu.clock_ghz) + " GHz under load";
  if (!m.created.empty()) s += Dot() + "probed " + m.created;
  return s;
}

}  // namespace

std::string KernelColor(size_t index) {
  const auto& p = svg::Palette();
  return p[index % p.size()];
}

std::string KernelLabel(const KernelResult& r) {
  std::string s = r.name;
  for (const auto& kv : r.shape) s += " " + kv.first + "=" + std::to_string(kv.second);
  return s;
}

double CacheCapacity(const CacheLevel& c, double per_instance, int threads) {
  const int sharing = std::max(1, c.cores_sharing);
  const int instances = (std::max(1, threads) + sharing - 1) / sharing;
  return per_instance * instances;
}

std::vector<int> RooflineThreadCounts(const Machine& m, const KernelsFile* k) {
  std::set<int> counts;
  if (k != nullptr) {
    for (const auto& r : k->results) {
      if (Positive(r.gflops) > 0) counts.insert(r.threads);
    }
  }
  if (counts.empty()) {
    int most = 0;
    for (const auto& c : m.compute) most = std::max(most, c.threads);
    for (const auto& b : m.bandwidth) most = std::max(most, b.threads);
    return {std::max(1, most)};
  }
  return std::vector<int>(counts.rbegin(), counts.rend());
}

RooflineData BuildRoofline(const Machine& m, const KernelsFile* k, int threads) {
  RooflineData d;
  d.threads = std::max(1, threads);
  const int T = d.threads;

  // Points, and the precisions they are held against.
  std::map<std::string, int> precision_count;
  std::vector<std::string> precision_order;
  int other_threads = 0;
  if (k != nullptr) {
    for (size_t i = 0; i < k->results.size(); ++i) {
      const KernelResult& r = k->results[i];
      if (r.threads != T) {
        ++other_threads;
        continue;
      }
      if (Positive(r.gflops) == 0) {
        d.notes.push_back(KernelLabel(r) + ": no measured GFLOP/s, not drawn");
        continue;
      }
      KernelPoints p;
      p.index = i;
      p.number = static_cast<int>(i) + 1;
      p.label = KernelLabel(r);
      p.color = KernelColor(i);
      p.gflops = r.gflops;
      p.bound = r.bound;
      p.efficiency = r.efficiency;
      int drawn = 0;
      for (int l = 0; l < kNumLevels; ++l) {
        const size_t li = static_cast<size_t>(l);
        double ai = Positive(r.ai[li]);
        if (ai == 0 && Positive(r.bytes[li]) > 0 && Positive(r.flops) > 0) {
          ai = r.flops / r.bytes[li];
        }
        p.ai[li] = ai;
        drawn += ai > 0;
      }
      p.carm_ai = Positive(r.carm_ai);
      if (p.carm_ai == 0 && Positive(r.bytes[0]) > 0 && Positive(r.flops) > 0) {
        p.carm_ai = r.flops / r.bytes[0];
      }
      if (drawn == 0 && p.carm_ai == 0) {
        d.notes.push_back(p.label + ": no bytes counted at any level, so no intensity to draw");
        continue;
      }
      const std::string prec = ChartPrecision(m, r.precision);
      if (precision_count[prec]++ == 0) precision_order.push_back(prec);
      d.kernels.push_back(p);
    }
  }
  if (other_threads > 0) {
    d.notes.push_back(std::to_string(other_threads) +
                      (other_threads == 1 ? " result ran" : " results ran") +
                      " with another thread count and is drawn on its own chart");
  }
  // The roof's precision: the one most points use; without points fp32 (or what was probed).
  if (!precision_order.empty()) {
    d.precision = precision_order[0];
    for (const auto& p : precision_order) {
      if (precision_count[p] > precision_count[d.precision]) d.precision = p;
    }
  } else {
    d.precision = HasPrecision(m, "fp32") || m.compute.empty() ? "fp32" : m.compute[0].precision;
  }
  std::vector<std::string> precisions = {d.precision};
  for (const auto& p : precision_order) {
    if (p != d.precision) precisions.push_back(p);
  }
  if (precision_order.empty() && d.precision != "fp64" && HasPrecision(m, "fp64")) {
    precisions.push_back("fp64");  // the other roof people ask about
  }

  // Compute ceilings: every ISA for the roof's precision, the best ISA for the others; one
  // thread beside all threads; theoretical peaks beside the best measured ones.
  for (size_t pi = 0; pi < precisions.size(); ++pi) {
    const std::string& p = precisions[pi];
    std::set<int> counts;
    for (const auto& c : m.compute) {
      if (c.precision == p) counts.insert(c.threads);
    }
    const int ct = NearestThreads(std::vector<int>(counts.begin(), counts.end()), T);
    if (ct < 0) continue;
    const double scale = static_cast<double>(T) / ct;
    const std::string scaled = ct == T ? "" : " (scaled from " + Threads(ct) + ")";
    std::vector<ComputeLine> lines;
    for (const auto& isa : IsaOrder(m, p)) {
      const ComputeCeiling* c = FindPeak(m, p, ct, isa);
      if (c == nullptr || Positive(c->gflops) == 0) continue;
      ComputeLine line;
      line.precision = p;
      line.isa = isa;
      line.op = c->op;
      line.probed_threads = ct;
      line.gflops = c->gflops * scale;
      line.label = p + " " + isa + Dot() + FormatRate(line.gflops) + " GFLOP/s";
      line.detail = p + " " + c->op + " " + isa + ", " + Threads(T) + scaled;
      lines.push_back(line);
      if (pi > 0) break;  // other precisions: the best ISA only (targets are best first)
    }
    if (lines.empty()) continue;
    std::stable_sort(lines.begin(), lines.end(), [](const ComputeLine& a, const ComputeLine& b) {
      return a.gflops > b.gflops;
    });
    if (pi > 0) lines.resize(1);
    lines[0].roof = pi == 0;
    const ComputeLine best = lines[0];
    for (auto& l : lines) d.compute.push_back(l);
    if (pi == 0 && T > 1 && counts.count(1) > 0 && ct != 1) {
      const ComputeCeiling* c = FindPeak(m, p, 1, best.isa);
      if (c != nullptr && Positive(c->gflops) > 0) {
        ComputeLine one = best;
        one.roof = false;
        one.style = CeilingStyle::kOneThread;
        one.probed_threads = 1;
        one.op = c->op;
        one.gflops = c->gflops;
        one.label = p + " " + best.isa + " 1 thread" + Dot() + FormatRate(c->gflops) + " GFLOP/s";
        one.detail = p + " " + c->op + " " + best.isa + ", 1 thread";
        d.compute.push_back(one);
      }
    }
    const ComputeCeiling* bc = FindPeak(m, p, ct, best.isa);
    const double theo = bc != nullptr ? Positive(bc->theoretical_gflops) * scale : 0;
    if (theo > 0 && pi == 0) {
      ComputeLine t = best;
      t.roof = false;
      t.style = CeilingStyle::kTheoretical;
      t.gflops = theo;
      t.label = p + " " + best.isa + " theoretical" + Dot() + FormatRate(theo) + " GFLOP/s";
      t.detail = p + " " + best.op + " " + best.isa + ", " + Threads(T) + ", spec arithmetic";
      d.compute.push_back(t);
    }
  }
  const double roof = d.compute.empty() ? 0 : d.compute[0].gflops;

  // Bandwidth ceilings: the ones classification uses for this precision and thread count.
  const Ceilings sel = SelectCeilings(m, d.precision, T);
  for (int l = 0; l < kNumLevels; ++l) {
    const double bw = Positive(sel.gbps[static_cast<size_t>(l)]);
    if (bw == 0) continue;
    BandwidthLine b;
    b.level = l;
    b.gbps = bw;
    b.ridge_ai = roof > 0 ? roof / bw : 0;
    b.label = std::string(LevelName(l)) + Dot() + FormatRate(bw) + " GB/s";
    b.detail = sel.labels[static_cast<size_t>(l)];
    d.bandwidth.push_back(b);
  }

  // Ranges from everything drawn.
  double xmin = HUGE_VAL, xmax = 0, ymin = HUGE_VAL, ymax = 0;
  const auto take_x = [&](double v) {
    if (Positive(v) > 0) {
      xmin = std::min(xmin, v);
      xmax = std::max(xmax, v);
    }
  };
  const auto take_y = [&](double v) {
    if (Positive(v) > 0) {
      ymin = std::min(ymin, v);
      ymax = std::max(ymax, v);
    }
  };
  for (const auto& p : d.kernels) {
    for (const double a : p.ai) take_x(a);
    take_x(p.carm_ai);
    take_y(p.gflops);
  }
  for (const auto& b : d.bandwidth) take_x(b.ridge_ai);
  for (const auto& c : d.compute) take_y(c.gflops);
  if (xmax == 0) {
    xmin = 0.1;
    xmax = 10;
  }
  if (ymax == 0) {
    ymin = 1;
    ymax = 100;
  }
  d.x_lo = xmin / kPad;
  d.x_hi = xmax * kPad;
  MinSpan(&d.x_lo, &d.x_hi, kMinXDecades);
  d.y_lo = ymin / kPad;
  d.y_hi = ymax * kPad;
  MinSpan(&d.y_lo, &d.y_hi, kMinYDecades);
  d.x_lo = svg::NiceFloor(d.x_lo);
  d.x_hi = svg::NiceCeil(d.x_hi);
  d.y_lo = svg::NiceFloor(d.y_lo);
  d.y_hi = svg::NiceCeil(d.y_hi);

  d.title = "Roofline" + Dot() + d.precision + Dot() + Threads(T);
  d.notes.insert(d.notes.begin(), MachineSubtitle(m));
  return d;
}

std::string RooflineSvg(const RooflineData& d, bool standalone) {
  // Legend sizes first: the document's height depends on them.
  std::vector<LegendEntry> key;
  {
    LegendEntry e;
    e.kind = LegendEntry::kLine;
    e.label = "measured, " + Threads(d.threads);
    e.stroke = {kCeilingColor, 2, "", 1};
    key.push_back(e);
    bool one = false, theo = false;
    for (const auto& c : d.compute) {
      one |= c.style == CeilingStyle::kOneThread;
      theo |= c.style == CeilingStyle::kTheoretical;
    }
    if (one) {
      e.label = "measured, 1 thread";
      e.stroke = {kCeilingColor, 1.5, kDotted, 1};
      key.push_back(e);
    }
    if (theo) {
      e.label = "theoretical peak";
      e.stroke = {kCeilingColor, 1.2, kDashed, 1};
      key.push_back(e);
    }
    std::array<bool, kNumLevels> level_used{};
    bool carm = false;
    for (const auto& p : d.kernels) {
      for (int l = 0; l < kNumLevels; ++l)
        level_used[static_cast<size_t>(l)] |= p.ai[static_cast<size_t>(l)] > 0;
      carm |= p.carm_ai > 0;
    }
    for (int l = 0; l < kNumLevels; ++l) {
      if (!level_used[static_cast<size_t>(l)]) continue;
      LegendEntry mk;
      mk.kind = LegendEntry::kMarker;
      mk.marker = LevelMarker(l);
      mk.fill = "#777";
      mk.marker_stroke = "#333";
      mk.label = std::string("AI at ") + LevelName(l);
      key.push_back(mk);
    }
    if (carm) {
      LegendEntry mk;
      mk.kind = LegendEntry::kMarker;
      mk.marker = Marker::kRing;
      mk.fill = "none";
      mk.marker_stroke = "#333";
      mk.label = "cache-aware (CARM)";
      key.push_back(mk);
    }
  }
  std::vector<LegendEntry> kernel_entries;
  for (const auto& p : d.kernels) {
    LegendEntry e;
    e.kind = LegendEntry::kSwatch;
    e.fill = p.color;
    std::string text =
        std::to_string(p.number) + "  " + p.label + Dot() + FormatRate(p.gflops) + " GFLOP/s";
    if (!p.bound.empty() && p.bound != "unknown") {
      text += Dot() + p.bound + "-bound";
      if (Positive(p.efficiency) > 0) {
        text += ", " + FormatRate(p.efficiency * 100) + "%";
      }
    }
    e.label = text;
    kernel_entries.push_back(e);
  }
  const int key_cols = 4;
  // Two columns of kernels when every entry fits in half the width, else one.
  int kernel_cols = 2;
  for (const auto& e : kernel_entries) {
    if (svg::TextWidth(e.label, kLegendFont) + 40 > (kWidth - kLeft - kRight) / 2) kernel_cols = 1;
  }
  const double key_h = std::ceil(key.size() / static_cast<double>(key_cols)) * kLegendRow;
  const double kernels_h =
      kernel_entries.empty()
          ? 0
          : 22 + std::ceil(kernel_entries.size() / static_cast<double>(kernel_cols)) * kLegendRow;
  const double notes_h = (d.notes.size() > 1 ? (d.notes.size() - 1) * 16.0 + 6 : 0);
  const Rect plot{kLeft, kTop, kWidth - kRight, kTop + kRooflinePlotHeight};
  const double height = plot.y1 + kAxisBelow + 14 + key_h + kernels_h + notes_h + 16;

  Document doc(kWidth, height);
  ChartTitle(&doc, d.title, d.notes.empty() ? "" : d.notes[0]);
  const svg::Scale xs = svg::Scale::Log(d.x_lo, d.x_hi, plot.x0, plot.x1);
  const svg::Scale ys = svg::Scale::Log(d.y_lo, d.y_hi, plot.y1, plot.y0);
  svg::DrawAxes(&doc, plot, {xs, svg::LogTicks(d.x_lo, d.x_hi), "Arithmetic intensity (FLOP/byte)"},
                {ys, svg::LogTicks(d.y_lo, d.y_hi), "Performance (GFLOP/s)"});
  const auto P = [&](double x, double y) { return Point{xs.Map(x), ys.Map(y)}; };

  // Texts go on top of everything; collect them while drawing the data.
  struct PendingText {
    Point p;
    std::string text;
    TextStyle st;
    std::string cls;
  };
  std::vector<PendingText> texts;
  std::vector<std::pair<Point, Point>> leaders;
  const Rect label_bounds{plot.x0 + 2, plot.y0 + 2, plot.x1 - 2, plot.y1 - 2};
  svg::LabelPlacer placer(label_bounds);

  doc.BeginGroup("data");
  // Bandwidth diagonals from the left edge up to the compute roof.
  const double roof = d.compute.empty() ? 0 : d.compute[0].gflops;
  double top_bw = 0;
  for (const auto& b : d.bandwidth) top_bw = std::max(top_bw, b.gbps);
  struct Segment {
    Point a, b;
  };
  std::vector<Segment> diagonals;
  for (const auto& b : d.bandwidth) {
    const double x_end = b.ridge_ai > 0 ? std::min(b.ridge_ai, d.x_hi) : d.x_hi;
    Point a = P(d.x_lo, b.gbps * d.x_lo), e = P(x_end, b.gbps * x_end);
    if (!svg::ClipSegment(plot, &a, &e)) {
      diagonals.push_back({{NAN, NAN}, {NAN, NAN}});
      continue;
    }
    doc.BeginGroup("ceiling bandwidth");
    doc.Title(b.detail + ": " + FormatRate(b.gbps) + " GB/s");
    doc.Line(a, e, {kCeilingColor, 1.6, "", 1});
    doc.EndGroup();
    placer.AddSoftLine(a, e, 2);
    diagonals.push_back({a, e});
  }
  // Compute ceilings from where they meet the highest bandwidth diagonal to the right edge.
  for (const auto& c : d.compute) {
    const double x_start = top_bw > 0 ? std::max(d.x_lo, c.gflops / top_bw) : d.x_lo;
    Point a = P(x_start, c.gflops), e = P(d.x_hi, c.gflops);
    if (!svg::ClipSegment(plot, &a, &e)) continue;
    Stroke s{c.roof ? kCeilingColor : kMinorCeilingColor, c.roof ? 2.2 : 1.4, "", 1};
    if (c.style == CeilingStyle::kOneThread) {
      s = {kCeilingColor, 1.5, kDotted, 1};
    } else if (c.style == CeilingStyle::kTheoretical) {
      s = {kCeilingColor, 1.2, kDashed, 1};
    }
    doc.BeginGroup("ceiling compute");
    doc.Title(c.detail + ": " + FormatRate(c.gflops) + " GFLOP/s");
    doc.Line(a, e, s);
    doc.EndGroup();
    placer.AddSoftLine(a, e, 2);
  }
  // Ridge points: where each diagonal meets the compute roof.
  std::vector<std::pair<Point, const BandwidthLine*>> ridges;
  for (const auto& b : d.bandwidth) {
    if (b.ridge_ai <= 0 || !xs.InRange(b.ridge_ai) || !ys.InRange(roof)) continue;
    const Point r = P(b.ridge_ai, roof);
    const Stroke s{kCeilingColor, 1.3, "", 1};
    doc.BeginGroup("ridge");
    doc.Title(std::string(LevelName(b.level)) + " ridge point: " + FormatRate(b.ridge_ai) +
              " FLOP/byte (below it " + LevelName(b.level) + " bandwidth binds, above it compute)");
    doc.Circle(r, 3.5, "#fff", &s);
    doc.EndGroup();
    ridges.push_back({r, &b});
    placer.AddObstacle(MarkerBox(r, 7));
  }
  // Kernel points: a line through the per-level points, level markers, the CARM ring.
  struct Drawn {
    const KernelPoints* k;
    std::vector<Point> pts;
    Point carm;
    bool has_carm;
  };
  std::vector<Drawn> drawn;
  for (const auto& k : d.kernels) {
    Drawn dk{&k, {}, {}, false};
    const double y = k.gflops;
    if (!ys.InRange(y)) continue;
    std::vector<std::pair<double, int>> order;
    for (int l = 0; l < kNumLevels; ++l) {
      const double ai = k.ai[static_cast<size_t>(l)];
      if (ai > 0 && xs.InRange(ai)) order.push_back({ai, l});
    }
    std::sort(order.begin(), order.end());
    std::vector<Point> line;
    for (const auto& o : order) line.push_back(P(o.first, y));
    doc.BeginGroup("kernel", {{"data-kernel", std::to_string(k.number)}});
    doc.Title(std::to_string(k.number) + "  " + k.label);
    if (line.size() >= 2) {
      doc.Polyline(line, {k.color, 1.6, "", 0.85});
      placer.AddSoftLine(line.front(), line.back(), 2);
    }
    for (const auto& o : order) {
      const Point p = P(o.first, y);
      doc.MarkerShape(LevelMarker(o.second), p, kMarkerSize, k.color, "#fff",
                      std::to_string(k.number) + "  " + k.label + ": AI at " + LevelName(o.second) +
                          " " + FormatRate(o.first) + " FLOP/byte, " + FormatRate(y) + " GFLOP/s");
      dk.pts.push_back(p);
      placer.AddObstacle(MarkerBox(p, kMarkerSize));
    }
    if (k.carm_ai > 0 && xs.InRange(k.carm_ai)) {
      dk.carm = P(k.carm_ai, y);
      dk.has_carm = true;
      doc.MarkerShape(Marker::kRing, dk.carm, kRingSize, "none", k.color,
                      std::to_string(k.number) + "  " + k.label + ": cache-aware AI " +
                          FormatRate(k.carm_ai) + " FLOP/byte, " + FormatRate(y) + " GFLOP/s");
      placer.AddObstacle(MarkerBox(dk.carm, kRingSize));
    }
    doc.EndGroup();
    drawn.push_back(dk);
  }
  doc.EndGroup();  // data

  // Compute labels: right end, above the line, moving left, then below.
  for (const auto& c : d.compute) {
    if (!ys.InRange(c.gflops)) continue;
    const double y = ys.Map(c.gflops);
    TextStyle st;
    st.size = 11.5;
    st.anchor = "end";
    st.color = c.roof ? "#111" : "#555";
    st.weight = c.roof ? "bold" : "";
    st.halo = true;
    std::vector<Box> cand;
    std::vector<Point> at;
    const double x_start = top_bw > 0 ? xs.Map(std::max(d.x_lo, c.gflops / top_bw)) : plot.x0;
    const double w = svg::TextWidth(c.label, st.size) * (c.roof ? 1.1 : 1);
    for (const double dy : {-5.0, 14.0}) {
      for (double x = plot.x1 - 6; x - w >= x_start + 4; x -= 60) {
        const Point p{x, y + dy};
        at.push_back(p);
        cand.push_back(svg::TextBox(p, c.label, st));
      }
    }
    const int i = placer.Place(cand);
    if (i >= 0) texts.push_back({at[static_cast<size_t>(i)], c.label, st, "ceiling-label"});
  }
  // Bandwidth labels: along the diagonal, above it, near its left end first.
  for (size_t bi = 0; bi < d.bandwidth.size(); ++bi) {
    const Segment s = diagonals[bi];
    if (!std::isfinite(s.a.x)) continue;
    const double dx = s.b.x - s.a.x, dy = s.b.y - s.a.y;
    const double len = std::hypot(dx, dy);
    if (len < 1) continue;
    const double ang = std::atan2(dy, dx);
    TextStyle st;
    st.size = 11.5;
    st.color = "#222";
    st.angle_deg = ang * 180 / M_PI;
    st.halo = true;
    const std::string& text = d.bandwidth[bi].label;
    const double w = svg::TextWidth(text, st.size);
    const Point up{std::sin(ang), -std::cos(ang)};
    std::vector<Box> cand;
    std::vector<Point> at;
    for (const double side : {4.0, -13.0}) {
      for (const double f : {0.06, 0.16, 0.26, 0.36, 0.46, 0.56, 0.66}) {
        const double along = f * len;
        if (along + w > len - 4) break;
        const Point p{s.a.x + along * std::cos(ang) + side * up.x,
                      s.a.y + along * std::sin(ang) + side * up.y};
        at.push_back(p);
        cand.push_back(svg::TextBox(p, text, st));
      }
    }
    const int i = placer.Place(cand);
    if (i >= 0) texts.push_back({at[static_cast<size_t>(i)], text, st, "ceiling-label"});
  }
  // Ridge labels, small, where they fit.
  for (const auto& r : ridges) {
    TextStyle st;
    st.size = 10;
    st.color = "#555";
    st.halo = true;
    const std::string text = "ridge " + FormatRate(r.second->ridge_ai);
    std::vector<Point> at = {{r.first.x + 5, r.first.y + 14},
                             {r.first.x - 5, r.first.y + 14},
                             {r.first.x + 5, r.first.y + 26}};
    std::vector<Box> cand;
    for (size_t j = 0; j < at.size(); ++j) {
      TextStyle sj = st;
      sj.anchor = j == 1 ? "end" : "start";
      cand.push_back(svg::TextBox(at[j], text, sj));
    }
    const int i = placer.Place(cand);
    if (i >= 0) {
      TextStyle sj = st;
      sj.anchor = i == 1 ? "end" : "start";
      texts.push_back({at[static_cast<size_t>(i)], text, sj, "ridge-label"});
    }
  }
  // Kernel labels: beside, above or below the group of points; further out with a leader;
  // the number alone as the last resort.
  for (const auto& dk : drawn) {
    std::vector<Point> all = dk.pts;
    if (dk.has_carm) all.push_back(dk.carm);
    if (all.empty()) continue;
    double xl = all[0].x, xr = all[0].x;
    for (const Point& p : all) {
      xl = std::min(xl, p.x);
      xr = std::max(xr, p.x);
    }
    const double cy = all[0].y;
    const double r = (dk.has_carm ? kRingSize : kMarkerSize) / 2;
    const double mid = (xl + xr) / 2;
    TextStyle st;
    st.size = 11.5;
    st.color = dk.k->color;
    st.weight = "bold";
    st.halo = true;
    const std::string text = std::to_string(dk.k->number) + " " + dk.k->label;
    struct Cand {
      Point p;
      const char* anchor;
      bool leader;
    };
    std::vector<Cand> cands = {
        {{xr + r + 5, cy + 4}, "start", false},  {{mid, cy - r - 4}, "middle", false},
        {{mid, cy + r + 13}, "middle", false},   {{xl - r - 5, cy + 4}, "end", false},
        {{xl - r, cy - r - 4}, "start", false},  {{xr + r, cy - r - 4}, "end", false},
        {{xl - r, cy + r + 13}, "start", false}, {{xr + r, cy + r + 13}, "end", false}};
    for (const double dy : {-30.0, 40.0, -46.0, 56.0, -62.0, 72.0}) {
      for (const char* anchor : {"middle", "start", "end"}) {
        const double x = anchor[0] == 'm' ? mid : (anchor[0] == 's' ? xl - r : xr + r);
        cands.push_back({{x, cy + dy}, anchor, true});
      }
    }
    std::vector<Box> boxes;
    for (const auto& c : cands) {
      TextStyle sc = st;
      sc.anchor = c.anchor;
      boxes.push_back(svg::TextBox(c.p, text, sc));
    }
    int i = placer.Place(boxes);
    if (i >= 0) {
      const Cand& c = cands[static_cast<size_t>(i)];
      TextStyle sc = st;
      sc.anchor = c.anchor;
      texts.push_back({c.p, text, sc, "kernel-label"});
      if (c.leader) {
        const Box& b = boxes[static_cast<size_t>(i)];
        const Point from{std::clamp(mid, b.cx - b.hw, b.cx + b.hw),
                         c.p.y < cy ? b.cy + b.hh : b.cy - b.hh};
        const Point to{mid, c.p.y < cy ? cy - r : cy + r};
        leaders.push_back({from, to});
      }
      continue;
    }
    const std::string num = std::to_string(dk.k->number);
    std::vector<Cand> small = {{{xr + r + 4, cy + 4}, "start", false},
                               {{xl - r - 4, cy + 4}, "end", false},
                               {{mid, cy - r - 4}, "middle", false},
                               {{mid, cy + r + 13}, "middle", false}};
    boxes.clear();
    for (const auto& c : small) {
      TextStyle sc = st;
      sc.anchor = c.anchor;
      boxes.push_back(svg::TextBox(c.p, num, sc));
    }
    i = placer.Place(boxes);
    if (i >= 0) {
      TextStyle sc = st;
      sc.anchor = small[static_cast<size_t>(i)].anchor;
      texts.push_back({small[static_cast<size_t>(i)].p, num, sc, "kernel-label"});
    }
  }
  doc.BeginGroup("labels");
  for (const auto& l : leaders) doc.Line(l.first, l.second, {"#888", 0.8, "", 1});
  for (const auto& t : texts) doc.Text(t.p, t.text, t.st, t.cls);
  doc.EndGroup();

  // Legend: key, kernels, notes.
  double y = plot.y1 + kAxisBelow + 14;
  const double col_w = (kWidth - kLeft - kRight) / key_cols;
  y += svg::DrawLegend(&doc, kLeft, y, col_w, key_cols, key, kLegendFont);
  if (!kernel_entries.empty()) {
    TextStyle h;
    h.size = 12;
    h.weight = "bold";
    h.color = "#333";
    doc.Text({kLeft, y + 16}, "Kernels (" + Threads(d.threads) + ")", h);
    y += 22;
    y += svg::DrawLegend(&doc, kLeft, y, (kWidth - kLeft - kRight) / kernel_cols, kernel_cols,
                         kernel_entries, kLegendFont);
  }
  TextStyle ns;
  ns.size = 11;
  ns.color = "#666";
  for (size_t i = 1; i < d.notes.size(); ++i) {
    y += 16;
    doc.Text({kLeft, y}, d.notes[i], ns, "note");
  }
  return doc.Finish(standalone);
}

namespace {

const std::vector<std::string>& SweepKernelOrder() {
  static const std::vector<std::string> k = {"load", "store", "copy", "triad", "store_nt"};
  return k;
}

std::string SweepColor(const std::string& kernel, size_t fallback) {
  const auto& order = SweepKernelOrder();
  const auto it = std::find(order.begin(), order.end(), kernel);
  const size_t i =
      it == order.end() ? order.size() + fallback : static_cast<size_t>(it - order.begin());
  return svg::Palette()[i % svg::Palette().size()];
}

// Vertical markers for the cache sizes (reported, and the sweep's edge where it differs), and
// their labels along the top of the plot.
void DrawCacheMarkers(Document* doc, const Machine& m, int threads, const svg::Scale& xs,
                      const Rect& plot, svg::LabelPlacer* placer,
                      std::vector<std::pair<Point, std::pair<std::string, TextStyle>>>* texts) {
  struct Mark {
    double x;
    std::string text;
    bool edge;
  };
  std::vector<Mark> marks;
  for (const auto& c : m.caches) {
    const int inst = static_cast<int>(CacheCapacity(c, 1, threads));
    const std::string name = "L" + std::to_string(c.level);
    const std::string per = FormatBytes(static_cast<double>(c.size_bytes));
    const double size = CacheCapacity(c, static_cast<double>(c.size_bytes), threads);
    if (xs.InRange(size)) {
      const double x = xs.Map(size);
      doc->BeginGroup("cache-size");
      doc->Title(
          name + ": " + per + " per instance (" + c.source + ")" +
          (inst > 1 ? ", " + std::to_string(inst) + " instances for " + Threads(threads) : ""));
      doc->Line({x, plot.y0}, {x, plot.y1}, {"#555", 1.2, kDashed, 1});
      doc->EndGroup();
      marks.push_back(
          {x, name + " " + (inst > 1 ? std::to_string(inst) + "\xC3\x97" : "") + per, false});
    }
    // The sweep's edge, where it is more than ~7% (0.1 octave) away from the reported size.
    if (c.detected_bytes > 0 && c.size_bytes > 0 &&
        std::fabs(std::log2(static_cast<double>(c.detected_bytes) / c.size_bytes)) > 0.1) {
      const double edge = CacheCapacity(c, static_cast<double>(c.detected_bytes), threads);
      if (xs.InRange(edge)) {
        const double x = xs.Map(edge);
        doc->BeginGroup("cache-edge");
        doc->Title(name + ": bandwidth edge found by the sweep at " + FormatBytes(edge));
        doc->Line({x, plot.y0}, {x, plot.y1}, {"#999", 1.2, kDotted, 1});
        doc->EndGroup();
        marks.push_back({x, name + " edge " + FormatBytes(edge), true});
      }
    }
  }
  for (const auto& mk : marks) placer->AddSoftLine({mk.x, plot.y0}, {mk.x, plot.y1}, 2);
  for (const auto& mk : marks) {
    TextStyle st;
    st.size = 11;
    st.color = mk.edge ? "#777" : "#333";
    st.weight = mk.edge ? "" : "bold";
    st.halo = true;
    std::vector<Point> at;
    std::vector<Box> cand;
    for (int row = 0; row < 4; ++row) {
      for (const char* anchor : {"start", "end"}) {
        TextStyle sa = st;
        sa.anchor = anchor;
        const Point p{anchor[0] == 's' ? mk.x + 4 : mk.x - 4, plot.y0 + 15 + row * 14.0};
        at.push_back(p);
        cand.push_back(svg::TextBox(p, mk.text, sa));
      }
    }
    const int i = placer->Place(cand);
    if (i >= 0) {
      TextStyle sa = st;
      sa.anchor = i % 2 == 0 ? "start" : "end";
      texts->push_back({at[static_cast<size_t>(i)], {mk.text, sa}});
    }
  }
}

}  // namespace

std::string StaircaseSvg(const Machine& m, bool standalone) {
  const std::string title = "Bandwidth against working-set size";
  if (m.sweep.empty()) {
    return NoDataSvg(title, "machine.json holds no bandwidth sweep (run roofprof probe).",
                     standalone);
  }
  std::set<int> thread_set;
  std::vector<std::string> kernels;
  double bmin = HUGE_VAL, bmax = 0;
  for (const auto& p : m.sweep) {
    if (Positive(static_cast<double>(p.bytes)) == 0) continue;
    thread_set.insert(p.threads);
    if (std::find(kernels.begin(), kernels.end(), p.kernel) == kernels.end()) {
      kernels.push_back(p.kernel);
    }
    bmin = std::min(bmin, static_cast<double>(p.bytes));
    bmax = std::max(bmax, static_cast<double>(p.bytes));
  }
  if (bmax == 0) return NoDataSvg(title, "the bandwidth sweep has no points.", standalone);
  // Probe kernels in their usual order, others after.
  std::vector<std::string> ordered;
  for (const auto& k : SweepKernelOrder()) {
    if (std::find(kernels.begin(), kernels.end(), k) != kernels.end()) ordered.push_back(k);
  }
  for (const auto& k : kernels) {
    if (std::find(ordered.begin(), ordered.end(), k) == ordered.end()) ordered.push_back(k);
  }
  const double x_lo = bmin / 1.25, x_hi = bmax * 1.25;
  const double panel_plot_h = 290;
  const double panel_h = 30 + panel_plot_h + kAxisBelow;
  const std::vector<int> counts(thread_set.begin(), thread_set.end());
  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < ordered.size(); ++i) {
    LegendEntry e;
    e.kind = LegendEntry::kLine;
    e.label = ordered[i];
    e.stroke = {SweepColor(ordered[i], i), 2.2, "", 1};
    legend.push_back(e);
  }
  {
    LegendEntry e;
    e.kind = LegendEntry::kLine;
    e.label = "cache size (as reported)";
    e.stroke = {"#555", 1.2, kDashed, 1};
    legend.push_back(e);
    e.label = "edge the sweep found";
    e.stroke = {"#999", 1.2, kDotted, 1};
    legend.push_back(e);
  }
  const int cols = 4;
  const double legend_h = std::ceil(legend.size() / static_cast<double>(cols)) * kLegendRow;
  const double height = kTop + panel_h * counts.size() + 8 + legend_h + 36;
  Document doc(kWidth, height);
  ChartTitle(&doc, title, MachineSubtitle(m));

  for (size_t pi = 0; pi < counts.size(); ++pi) {
    const int T = counts[pi];
    const double top = kTop + pi * panel_h + 30;
    const Rect plot{kLeft, top, kWidth - kRight, top + panel_plot_h};
    double ymax = 0;
    for (const auto& p : m.sweep) {
      if (p.threads == T) ymax = std::max(ymax, Positive(p.gbps));
    }
    if (ymax == 0) ymax = 1;
    const double step = svg::NiceCeil(ymax / 6);
    const double y_hi = std::ceil(ymax * 1.04 / step) * step;
    const svg::Scale xs = svg::Scale::Log(x_lo, x_hi, plot.x0, plot.x1);
    const svg::Scale ys = svg::Scale::Linear(0, y_hi, plot.y1, plot.y0);
    TextStyle pt;
    pt.size = 13;
    pt.weight = "bold";
    pt.color = "#333";
    doc.Text({plot.x0, top - 9}, Threads(T), pt);
    svg::DrawAxes(&doc, plot,
                  {xs, svg::ByteTicks(x_lo, x_hi, 12), "Working set, all threads together"},
                  {ys, svg::LinearTicks(0, y_hi, 6), "Bandwidth (GB/s)"});
    svg::LabelPlacer placer({plot.x0 + 2, plot.y0 + 2, plot.x1 - 2, plot.y1 - 2});
    std::vector<std::pair<Point, std::pair<std::string, TextStyle>>> texts;
    doc.BeginGroup("data");
    DrawCacheMarkers(&doc, m, T, xs, plot, &placer, &texts);
    for (size_t ki = 0; ki < ordered.size(); ++ki) {
      std::vector<const SweepPoint*> pts;
      for (const auto& p : m.sweep) {
        if (p.threads == T && p.kernel == ordered[ki] && xs.InRange(static_cast<double>(p.bytes)) &&
            std::isfinite(p.gbps) && p.gbps >= 0) {
          pts.push_back(&p);
        }
      }
      if (pts.empty()) continue;
      std::sort(pts.begin(), pts.end(),
                [](const SweepPoint* a, const SweepPoint* b) { return a->bytes < b->bytes; });
      const std::string color = SweepColor(ordered[ki], ki);
      std::vector<Point> line;
      for (const auto* p : pts)
        line.push_back({xs.Map(static_cast<double>(p->bytes)), ys.Map(p->gbps)});
      doc.BeginGroup("series", {{"data-kernel", ordered[ki]}});
      doc.Title(ordered[ki] + ", " + Threads(T));
      doc.Polyline(line, {color, 2, "", 0.95});
      for (const auto& q : line) doc.Circle(q, 2.2, color, nullptr);
      doc.EndGroup();
    }
    doc.EndGroup();
    doc.BeginGroup("labels");
    for (const auto& t : texts) doc.Text(t.first, t.second.first, t.second.second);
    doc.EndGroup();
  }
  double y = kTop + panel_h * counts.size() + 8;
  y += svg::DrawLegend(&doc, kLeft, y, (kWidth - kLeft - kRight) / cols, cols, legend);
  TextStyle ns;
  ns.size = 11;
  ns.color = "#666";
  doc.Text({kLeft, y + 18},
           m.write_allocate_counted
               ? "Bytes include the write-allocate read of stores; store_nt avoids it."
               : "Bytes are explicit loads and stores only: a store's write-allocate read is not "
                 "counted (store_nt avoids it).",
           ns, "note");
  return doc.Finish(standalone);
}

std::string LatencySvg(const Machine& m, bool standalone) {
  const std::string title = "Load-to-use latency against working-set size";
  std::vector<const LatencyPoint*> pts;
  for (const auto& p : m.latency) {
    if (p.bytes > 0 && Positive(p.ns) > 0) pts.push_back(&p);
  }
  if (pts.empty()) {
    return NoDataSvg(title, "machine.json holds no latency measurements (run roofprof probe).",
                     standalone);
  }
  std::sort(pts.begin(), pts.end(),
            [](const LatencyPoint* a, const LatencyPoint* b) { return a->bytes < b->bytes; });
  double nmin = HUGE_VAL, nmax = 0;
  std::vector<double> ratios;
  for (const auto* p : pts) {
    nmin = std::min(nmin, p->ns);
    nmax = std::max(nmax, p->ns);
    if (Positive(p->cycles) > 0) ratios.push_back(p->cycles / p->ns);
  }
  // cycles per ns (the clock the chase ran at): the median of the points' ratios.
  double cyc_per_ns = 0;
  if (!ratios.empty()) {
    std::sort(ratios.begin(), ratios.end());
    cyc_per_ns = ratios[ratios.size() / 2];
  }
  const double x_lo = static_cast<double>(pts.front()->bytes) / 1.25;
  const double x_hi = static_cast<double>(pts.back()->bytes) * 1.25;
  double y_lo = nmin / 1.6, y_hi = nmax * 1.6;
  MinSpan(&y_lo, &y_hi, 1);
  y_lo = svg::NiceFloor(y_lo);
  y_hi = svg::NiceCeil(y_hi);
  const double plot_h = 380;
  const double legend_h = kLegendRow;
  const double height = kTop + plot_h + kAxisBelow + 10 + legend_h + 34;
  Document doc(kWidth, height);
  ChartTitle(&doc, title, MachineSubtitle(m) + Dot() + "random cyclic pointer chase, 1 thread");
  const double right = cyc_per_ns > 0 ? 84 : kRight;
  const Rect plot{kLeft, kTop, kWidth - right, kTop + plot_h};
  const svg::Scale xs = svg::Scale::Log(x_lo, x_hi, plot.x0, plot.x1);
  const svg::Scale ys = svg::Scale::Log(y_lo, y_hi, plot.y1, plot.y0);
  svg::DrawAxes(&doc, plot, {xs, svg::ByteTicks(x_lo, x_hi, 12), "Working set"},
                {ys, svg::LogTicks(y_lo, y_hi, 3.5), "Latency (ns)"});
  if (cyc_per_ns > 0) {
    const svg::Scale cs = svg::Scale::Log(y_lo * cyc_per_ns, y_hi * cyc_per_ns, plot.y1, plot.y0);
    svg::DrawRightAxis(&doc, plot,
                       {cs, svg::LogTicks(y_lo * cyc_per_ns, y_hi * cyc_per_ns, 3.5),
                        "Latency (cycles at " + FormatRate(cyc_per_ns) + " GHz)"});
  }
  svg::LabelPlacer placer({plot.x0 + 2, plot.y0 + 2, plot.x1 - 2, plot.y1 - 2});
  std::vector<std::pair<Point, std::pair<std::string, TextStyle>>> texts;
  doc.BeginGroup("data");
  DrawCacheMarkers(&doc, m, 1, xs, plot, &placer, &texts);
  std::vector<Point> line;
  for (const auto* p : pts) line.push_back({xs.Map(static_cast<double>(p->bytes)), ys.Map(p->ns)});
  const std::string color = svg::Palette()[0];
  doc.BeginGroup("series");
  doc.Title("latency, 1 thread");
  doc.Polyline(line, {color, 2, "", 1});
  for (size_t i = 0; i < line.size(); ++i) {
    const LatencyPoint* p = pts[i];
    std::string tip = FormatBytes(static_cast<double>(p->bytes)) + ": " + FormatRate(p->ns) + " ns";
    if (Positive(p->cycles) > 0) tip += ", " + FormatRate(p->cycles) + " cycles";
    doc.MarkerShape(Marker::kCircle, line[i], 5, color, color, tip);
  }
  doc.EndGroup();
  doc.EndGroup();
  doc.BeginGroup("labels");
  for (const auto& t : texts) doc.Text(t.first, t.second.first, t.second.second);
  doc.EndGroup();
  std::vector<LegendEntry> legend(3);
  legend[0].label = "latency";
  legend[0].stroke = {color, 2, "", 1};
  legend[1].label = "cache size (as reported)";
  legend[1].stroke = {"#555", 1.2, kDashed, 1};
  legend[2].label = "edge the bandwidth sweep found";
  legend[2].stroke = {"#999", 1.2, kDotted, 1};
  svg::DrawLegend(&doc, kLeft, plot.y1 + kAxisBelow + 10, (kWidth - kLeft - kRight) / 3, 3, legend);
  return doc.Finish(standalone);
}

}  // namespace report
}  // namespace roofprof
