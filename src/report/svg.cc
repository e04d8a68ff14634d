// SVG writer: escaping, shapes, clipping, scales, ticks, label placement, legends and axes.
#include "src/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "src/units.h"

namespace roofprof {
namespace svg {
namespace {

// DejaVu Sans advance widths for ASCII 32..126 in font units (2048 per em).
constexpr int kAdvance[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};
constexpr double kUnitsPerEm = 2048;
// Non-ASCII glyphs in our labels (x, middle dot, arrows, Greek) are at most about 0.85 em.
constexpr double kWideGlyphEm = 0.9;
// Bold DejaVu Sans is about 8% wider; 10% keeps the estimate on the safe side.
constexpr double kBoldFactor = 1.1;

// Length of the UTF-8 sequence starting with byte `c` (0 when `c` cannot start one).
int Utf8Length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// True when s[i..i+n) is a valid UTF-8 sequence (no overlongs, surrogates or > U+10FFFF).
bool ValidSequence(const std::string& s, size_t i, int n) {
  if (i + static_cast<size_t>(n) > s.size()) return false;
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  for (int k = 1; k < n; ++k) {
    if ((b(static_cast<size_t>(k)) & 0xC0) != 0x80) return false;
  }
  if (n == 3) {
    if (b(0) == 0xE0 && b(1) < 0xA0) return false;   // overlong
    if (b(0) == 0xED && b(1) >= 0xA0) return false;  // surrogate
  }
  if (n == 4) {
    if (b(0) == 0xF0 && b(1) < 0x90) return false;   // overlong
    if (b(0) == 0xF4 && b(1) >= 0x90) return false;  // above U+10FFFF
  }
  return true;
}

std::string Attr(const std::string& name, const std::string& value) {
  return " " + name + "=\"" + XmlEscape(value) + "\"";
}

std::string StrokeAttrs(const Stroke& s) {
  std::string a = Attr("stroke", s.color) + Attr("stroke-width", Coord(s.width));
  if (!s.dash.empty()) a += Attr("stroke-dasharray", s.dash);
  if (s.opacity < 1) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.2f", s.opacity);
    a += Attr("stroke-opacity", buf);
  }
  return a;
}

std::string ClassAttr(const std::string& cls) { return cls.empty() ? "" : Attr("class", cls); }

std::string PointsAttr(const std::vector<Point>& pts) {
  std::string out;
  for (const Point& p : pts) {
    if (!out.empty()) out += ' ';
    out += Coord(p.x) + "," + Coord(p.y);
  }
  return out;
}

double Dot(Point a, Point b) { return a.x * b.x + a.y * b.y; }

}  // namespace

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int n = Utf8Length(c);
    if (n == 0 || !ValidSequence(s, i, n)) {
      out += "\xEF\xBF\xBD";  // U+FFFD replacement character
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s, i, static_cast<size_t>(n));
      i += static_cast<size_t>(n);
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // XML 1.0 allows only tab, LF and CR among the C0 controls; DEL is allowed but useless.
        if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += static_cast<char>(c);
        break;
    }
    ++i;
  }
  return out;
}

std::string Coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

double TextWidth(const std::string& s, double font_size) {
  double em = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int n = std::max(1, Utf8Length(c));
    if (c >= 32 && c < 127) {
      em += kAdvance[c - 32] / kUnitsPerEm;
    } else {
      em += kWideGlyphEm;
    }
    i += static_cast<size_t>(n);
  }
  return em * font_size;
}

// ---------------------------------------------------------------------------------------------
// Geometry

Box Box::FromRect(const Rect& r) {
  Box b;
  b.cx = (r.x0 + r.x1) / 2;
  b.cy = (r.y0 + r.y1) / 2;
  b.hw = std::fabs(r.x1 - r.x0) / 2;
  b.hh = std::fabs(r.y1 - r.y0) / 2;
  return b;
}

std::vector<Point> Box::Corners() const {
  const double a = angle_deg * M_PI / 180;
  const Point u{std::cos(a), std::sin(a)};
  const Point v{-std::sin(a), std::cos(a)};
  std::vector<Point> out;
  for (const double sx : {-1.0, 1.0}) {
    for (const double sy : {-1.0, 1.0}) {
      out.push_back({cx + sx * hw * u.x + sy * hh * v.x, cy + sx * hw * u.y + sy * hh * v.y});
    }
  }
  return out;
}

bool Box::Overlaps(const Box& o) const {
  const std::vector<Point> ca = Corners();
  const std::vector<Point> cb = o.Corners();
  std::vector<Point> axes;
  for (const Box* b : {this, &o}) {
    const double a = b->angle_deg * M_PI / 180;
    axes.push_back({std::cos(a), std::sin(a)});
    axes.push_back({-std::sin(a), std::cos(a)});
  }
  for (const Point& ax : axes) {
    double amin = 1e300, amax = -1e300, bmin = 1e300, bmax = -1e300;
    for (const Point& p : ca) {
      amin = std::min(amin, Dot(p, ax));
      amax = std::max(amax, Dot(p, ax));
    }
    for (const Point& p : cb) {
      bmin = std::min(bmin, Dot(p, ax));
      bmax = std::max(bmax, Dot(p, ax));
    }
    // A gap (or mere contact, within 0.01 px) on any axis separates them.
    if (amax <= bmin + 0.01 || bmax <= amin + 0.01) return false;
  }
  return true;
}

bool Box::Inside(const Rect& r) const {
  for (const Point& p : Corners()) {
    if (!r.Contains(p, 0.01)) return false;
  }
  return true;
}

bool ClipSegment(const Rect& r, Point* a, Point* b) {
  double t0 = 0, t1 = 1;
  const double dx = b->x - a->x, dy = b->y - a->y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a->x - r.x0, r.x1 - a->x, a->y - r.y0, r.y1 - a->y};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;  // parallel and outside
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    if (t0 > t1) return false;
  }
  const Point a0 = *a;
  *a = {a0.x + t0 * dx, a0.y + t0 * dy};
  *b = {a0.x + t1 * dx, a0.y + t1 * dy};
  return true;
}

std::vector<std::vector<Point>> ClipPolyline(const Rect& r, const std::vector<Point>& pts) {
  std::vector<std::vector<Point>> runs;
  std::vector<Point> cur;
  for (size_t i = 0; i + 1 < pts.size(); ++i) {
    Point a = pts[i], b = pts[i + 1];
    if (!ClipSegment(r, &a, &b)) {
      if (cur.size() >= 2) runs.push_back(cur);
      cur.clear();
      continue;
    }
    const bool continues = !cur.empty() && std::fabs(cur.back().x - a.x) < 1e-9 &&
                           std::fabs(cur.back().y - a.y) < 1e-9;
    if (!continues) {
      if (cur.size() >= 2) runs.push_back(cur);
      cur = {a};
    }
    cur.push_back(b);
    // The segment left the rectangle: the run ends here.
    if (std::fabs(b.x - pts[i + 1].x) > 1e-9 || std::fabs(b.y - pts[i + 1].y) > 1e-9) {
      runs.push_back(cur);
      cur.clear();
    }
  }
  if (cur.size() >= 2) runs.push_back(cur);
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Scales and ticks

Scale Scale::Log(double lo, double hi, double p0, double p1) {
  Scale s;
  s.log_ = true;
  s.lo_ = lo;
  s.hi_ = hi;
  s.p0_ = p0;
  s.p1_ = p1;
  const double f0 = std::log10(lo), f1 = std::log10(hi);
  s.b_ = (p1 - p0) / (f1 - f0);
  s.a_ = p0 - s.b_ * f0;
  return s;
}

Scale Scale::Linear(double lo, double hi, double p0, double p1) {
  Scale s;
  s.log_ = false;
  s.lo_ = lo;
  s.hi_ = hi;
  s.p0_ = p0;
  s.p1_ = p1;
  s.b_ = (p1 - p0) / (hi - lo);
  s.a_ = p0 - s.b_ * lo;
  return s;
}

double Scale::Map(double v) const {
  if (log_) return v > 0 ? a_ + b_ * std::log10(v) : std::nan("");
  return a_ + b_ * v;
}

double Scale::Unmap(double p) const {
  const double f = (p - a_) / b_;
  return log_ ? std::pow(10.0, f) : f;
}

bool Scale::InRange(double v) const {
  if (!std::isfinite(v)) return false;
  const double tol = 1e-9 * std::max(std::fabs(lo_), std::fabs(hi_));
  return v >= lo_ - tol && v <= hi_ + tol;
}

std::string TickNumber(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (v == 0) return "0";
  if (a >= 1e6 || a < 1e-4) {
    std::snprintf(buf, sizeof(buf), "%.0e", v);
  } else if (a >= 1) {
    std::snprintf(buf, sizeof(buf), "%.6g", v);
  } else {
    // Enough decimals for 1, 2 or 5 x 10^-k and no more.
    const int decimals = static_cast<int>(std::ceil(-std::log10(a) - 1e-9)) + 1;
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  return buf;
}

double NiceFloor(double v) {
  const double e = std::pow(10.0, std::floor(std::log10(v)));
  const double m = v / e;
  const double f = m >= 5 ? 5 : (m >= 2 ? 2 : 1);
  return f * e;
}

double NiceCeil(double v) {
  const double e = std::pow(10.0, std::floor(std::log10(v)));
  const double m = v / e;
  // Tolerance so a value that is already nice (100.00000001) stays put.
  const double f = m <= 1 + 1e-9 ? 1 : (m <= 2 + 1e-9 ? 2 : (m <= 5 + 1e-9 ? 5 : 10));
  return f * e;
}

std::vector<Tick> LogTicks(double lo, double hi, double label_125_below_decades) {
  std::vector<Tick> ticks;
  if (!(lo > 0) || !(hi > lo)) return ticks;
  const bool narrow = std::log10(hi / lo) < label_125_below_decades;
  const int k0 = static_cast<int>(std::floor(std::log10(lo) - 1e-9));
  const int k1 = static_cast<int>(std::ceil(std::log10(hi) + 1e-9));
  for (int k = k0; k <= k1; ++k) {
    const double e = std::pow(10.0, k);
    for (int m = 1; m <= 9; ++m) {
      const double v = m * e;
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      Tick t;
      t.value = v;
      t.major = m == 1;
      if (m == 1 || (narrow && (m == 2 || m == 5))) t.label = TickNumber(v);
      ticks.push_back(t);
    }
  }
  return ticks;
}

std::vector<Tick> ByteTicks(double lo, double hi, int max_labels) {
  std::vector<Tick> ticks;
  if (!(lo > 0) || !(hi > lo)) return ticks;
  const int e0 = static_cast<int>(std::ceil(std::log2(lo) - 1e-9));
  const int e1 = static_cast<int>(std::floor(std::log2(hi) + 1e-9));
  const int n = e1 - e0 + 1;
  int step = 1;
  while (n / step > std::max(1, max_labels)) step *= 2;
  for (int e = e0; e <= e1; ++e) {
    Tick t;
    t.value = std::ldexp(1.0, e);
    // Label powers on a fixed grid (multiples of `step`), so 1 KiB, 1 MiB... stay labelled.
    t.major = e % step == 0;
    if (t.major) t.label = FormatBytes(t.value);
    ticks.push_back(t);
  }
  return ticks;
}

std::vector<Tick> LinearTicks(double lo, double hi, int count) {
  std::vector<Tick> ticks;
  if (!(hi > lo) || count < 1) return ticks;
  const double step = NiceCeil((hi - lo) / count);
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (double v = first; v <= hi + step * 1e-9; v += step) {
    Tick t;
    t.value = std::fabs(v) < step * 1e-9 ? 0 : v;
    t.label = TickNumber(t.value);
    ticks.push_back(t);
  }
  return ticks;
}

// ---------------------------------------------------------------------------------------------
// Document

Document::Document(double width, double height) : width_(width), height_(height) {}

void Document::Indent() { body_.append(static_cast<size_t>(depth_) * 2, ' '); }

bool Document::Finite(const std::vector<Point>& pts) {
  for (const Point& p : pts) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      ++dropped_;
      return false;
    }
  }
  return true;
}

void Document::Line(Point a, Point b, const Stroke& s, const std::string& cls) {
  if (!Finite({a, b})) return;
  Indent();
  body_ += "<line" + ClassAttr(cls) + Attr("x1", Coord(a.x)) + Attr("y1", Coord(a.y)) +
           Attr("x2", Coord(b.x)) + Attr("y2", Coord(b.y)) + StrokeAttrs(s) + "/>\n";
}

void Document::Polyline(const std::vector<Point>& pts, const Stroke& s, const std::string& cls) {
  if (pts.size() < 2 || !Finite(pts)) return;
  Indent();
  body_ += "<polyline" + ClassAttr(cls) + Attr("points", PointsAttr(pts)) + Attr("fill", "none") +
           StrokeAttrs(s) + Attr("stroke-linejoin", "round") + "/>\n";
}

void Document::Polygon(const std::vector<Point>& pts, const std::string& fill, const Stroke* s,
                       const std::string& cls) {
  if (pts.size() < 3 || !Finite(pts)) return;
  Indent();
  body_ += "<polygon" + ClassAttr(cls) + Attr("points", PointsAttr(pts)) + Attr("fill", fill) +
           (s != nullptr ? StrokeAttrs(*s) : "") + "/>\n";
}

void Document::RectShape(const Rect& r, const std::string& fill, const Stroke* s, double radius,
                         const std::string& cls) {
  if (!Finite({{r.x0, r.y0}, {r.x1, r.y1}})) return;
  Indent();
  body_ += "<rect" + ClassAttr(cls) + Attr("x", Coord(std::min(r.x0, r.x1))) +
           Attr("y", Coord(std::min(r.y0, r.y1))) + Attr("width", Coord(std::fabs(r.width()))) +
           Attr("height", Coord(std::fabs(r.height())));
  if (radius > 0) body_ += Attr("rx", Coord(radius));
  body_ += Attr("fill", fill) + (s != nullptr ? StrokeAttrs(*s) : "") + "/>\n";
}

void Document::Circle(Point c, double r, const std::string& fill, const Stroke* s,
                      const std::string& cls) {
  if (!Finite({c}) || !std::isfinite(r)) return;
  Indent();
  body_ += "<circle" + ClassAttr(cls) + Attr("cx", Coord(c.x)) + Attr("cy", Coord(c.y)) +
           Attr("r", Coord(r)) + Attr("fill", fill) + (s != nullptr ? StrokeAttrs(*s) : "") +
           "/>\n";
}

void Document::MarkerShape(Marker m, Point c, double size, const std::string& fill,
                           const std::string& stroke, const std::string& tooltip,
                           const std::string& cls) {
  if (!Finite({c})) return;
  const double h = size / 2;
  Stroke s;
  s.color = stroke;
  s.width = m == Marker::kRing ? 2 : 1;
  if (!tooltip.empty()) {
    BeginGroup(cls);
    Title(tooltip);
  }
  const std::string inner_cls = tooltip.empty() ? cls : "";
  switch (m) {
    case Marker::kCircle:
      Circle(c, h, fill, &s, inner_cls);
      break;
    case Marker::kRing:
      Circle(c, h, "none", &s, inner_cls);
      break;
    case Marker::kSquare: {
      // Same visual weight as the circle: a square of side 0.9 d.
      const double q = h * 0.9;
      RectShape({c.x - q, c.y - q, c.x + q, c.y + q}, fill, &s, 0, inner_cls);
      break;
    }
    case Marker::kTriangle: {
      const double r = h * 1.15;
      Polygon({{c.x, c.y - r}, {c.x + r * 0.866, c.y + r * 0.5}, {c.x - r * 0.866, c.y + r * 0.5}},
              fill, &s, inner_cls);
      break;
    }
    case Marker::kDiamond: {
      const double r = h * 1.15;
      Polygon({{c.x, c.y - r}, {c.x + r, c.y}, {c.x, c.y + r}, {c.x - r, c.y}}, fill, &s,
              inner_cls);
      break;
    }
  }
  if (!tooltip.empty()) EndGroup();
}

void Document::Text(Point p, const std::string& text, const TextStyle& st, const std::string& cls) {
  if (!Finite({p})) return;
  Indent();
  body_ += "<text" + ClassAttr(cls) + Attr("x", Coord(p.x)) + Attr("y", Coord(p.y)) +
           Attr("font-size", Coord(st.size)) + Attr("fill", st.color);
  if (st.anchor != "start") body_ += Attr("text-anchor", st.anchor);
  if (!st.weight.empty()) body_ += Attr("font-weight", st.weight);
  if (st.angle_deg != 0) {
    body_ += Attr("transform",
                  "rotate(" + Coord(st.angle_deg) + " " + Coord(p.x) + " " + Coord(p.y) + ")");
  }
  if (st.halo) {
    body_ += Attr("stroke", "#fff") + Attr("stroke-width", "3") + Attr("paint-order", "stroke") +
             Attr("stroke-linejoin", "round");
  }
  body_ += ">" + XmlEscape(text) + "</text>\n";
}

void Document::BeginGroup(const std::string& cls,
                          const std::vector<std::pair<std::string, std::string>>& attrs) {
  Indent();
  body_ += "<g" + ClassAttr(cls);
  for (const auto& a : attrs) body_ += Attr(a.first, a.second);
  body_ += ">\n";
  ++depth_;
}

void Document::EndGroup() {
  --depth_;
  Indent();
  body_ += "</g>\n";
}

void Document::Title(const std::string& text) {
  Indent();
  body_ += "<title>" + XmlEscape(text) + "</title>\n";
}

std::string Document::Finish(bool standalone) const {
  std::string out;
  if (standalone) out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg";
  if (standalone) out += " xmlns=\"http://www.w3.org/2000/svg\"";
  out += Attr("viewBox", "0 0 " + Coord(width_) + " " + Coord(height_));
  if (standalone) {
    out += Attr("width", Coord(width_)) + Attr("height", Coord(height_));
  }
  out += Attr("font-family", kFontFamily) + Attr("role", "img") + ">\n";
  out += "  <rect x=\"0\" y=\"0\" width=\"" + Coord(width_) + "\" height=\"" + Coord(height_) +
         "\" fill=\"#fff\"/>\n";
  out += body_;
  out += "</svg>\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Labels, legend, axes

void LabelPlacer::AddSoftLine(Point a, Point b, double width) {
  Box box;
  box.cx = (a.x + b.x) / 2;
  box.cy = (a.y + b.y) / 2;
  box.hw = std::hypot(b.x - a.x, b.y - a.y) / 2;
  box.hh = width / 2;
  box.angle_deg = std::atan2(b.y - a.y, b.x - a.x) * 180 / M_PI;
  soft_.push_back(box);
}

bool LabelPlacer::Free(const Box& b, bool soft) const {
  if (!b.Inside(bounds_)) return false;
  Box padded = b;
  padded.hw += gap_;
  padded.hh += gap_;
  for (const Box& t : hard_) {
    if (t.Overlaps(padded)) return false;
  }
  if (soft) {
    for (const Box& t : soft_) {
      if (t.Overlaps(b)) return false;
    }
  }
  return true;
}

int LabelPlacer::Place(const std::vector<Box>& candidates) {
  for (const bool soft : {true, false}) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (Free(candidates[i], soft)) {
        hard_.push_back(candidates[i]);
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

Box TextBox(Point p, const std::string& text, const TextStyle& st) {
  const double w = TextWidth(text, st.size) * (st.weight == "bold" ? kBoldFactor : 1);
  // Extent along the baseline from the anchor point, and across it (y down: above is negative).
  double u0 = 0;
  if (st.anchor == "middle") u0 = -w / 2;
  if (st.anchor == "end") u0 = -w;
  const double u1 = u0 + w;
  const double v0 = -0.8 * st.size, v1 = 0.25 * st.size;
  const double uc = (u0 + u1) / 2, vc = (v0 + v1) / 2;
  const double a = st.angle_deg * M_PI / 180;
  Box b;
  b.cx = p.x + uc * std::cos(a) - vc * std::sin(a);
  b.cy = p.y + uc * std::sin(a) + vc * std::cos(a);
  b.hw = w / 2;
  b.hh = (v1 - v0) / 2;
  b.angle_deg = st.angle_deg;
  return b;
}

double DrawLegend(Document* doc, double x, double y, double col_width, int columns,
                  const std::vector<LegendEntry>& entries, double font_size) {
  if (entries.empty()) return 0;
  const double row_h = font_size * 1.6;
  const double swatch_w = 26;
  const int cols = std::max(1, columns);
  const int rows = static_cast<int>((entries.size() + static_cast<size_t>(cols) - 1) /
                                    static_cast<size_t>(cols));
  doc->BeginGroup("legend");
  for (size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const int col = static_cast<int>(i) / rows;
    const int row = static_cast<int>(i) % rows;
    const double ex = x + col * col_width;
    const double cy = y + row * row_h + row_h / 2;
    switch (e.kind) {
      case LegendEntry::kLine:
        doc->Line({ex, cy}, {ex + swatch_w, cy}, e.stroke);
        break;
      case LegendEntry::kMarker:
        doc->MarkerShape(e.marker, {ex + swatch_w / 2, cy}, 9, e.fill, e.marker_stroke);
        break;
      case LegendEntry::kSwatch:
        doc->RectShape({ex + 3, cy - 5, ex + swatch_w - 3, cy + 5}, e.fill, nullptr, 2);
        break;
    }
    // Cut labels that would run into the next column.
    std::string label = e.label;
    const double room = col_width - swatch_w - 14;
    if (TextWidth(label, font_size) > room) {
      while (!label.empty() && TextWidth(label + "\xE2\x80\xA6", font_size) > room) {
        // Drop whole UTF-8 sequences from the end.
        size_t cut = label.size() - 1;
        while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;
        label.resize(cut);
      }
      label += "\xE2\x80\xA6";
    }
    TextStyle ts;
    ts.size = font_size;
    doc->Text({ex + swatch_w + 6, cy + font_size * 0.35}, label, ts);
  }
  doc->EndGroup();
  return rows * row_h;
}

void DrawAxes(Document* doc, const Rect& plot, const AxisSpec& x, const AxisSpec& y) {
  const Stroke grid_major{"#d9d9d9", 1, "", 1};
  const Stroke grid_minor{"#efefef", 1, "", 1};
  const Stroke axis{"#444", 1, "", 1};
  doc->BeginGroup("grid");
  for (const Tick& t : x.ticks) {
    const double px = x.scale.Map(t.value);
    if (!x.scale.InRange(t.value)) continue;
    doc->Line({px, plot.y0}, {px, plot.y1}, t.major ? grid_major : grid_minor);
  }
  for (const Tick& t : y.ticks) {
    const double py = y.scale.Map(t.value);
    if (!y.scale.InRange(t.value)) continue;
    doc->Line({plot.x0, py}, {plot.x1, py}, t.major ? grid_major : grid_minor);
  }
  doc->EndGroup();
  doc->BeginGroup("axes");
  const Stroke frame{"#444", 1, "", 1};
  doc->RectShape(plot, "none", &frame, 0, "plot-frame");
  TextStyle tl;
  tl.size = 12;
  tl.color = "#333";
  tl.anchor = "middle";
  for (const Tick& t : x.ticks) {
    if (!x.scale.InRange(t.value)) continue;
    const double px = x.scale.Map(t.value);
    doc->Line({px, plot.y1}, {px, plot.y1 + (t.major ? 6 : 3)}, axis);
    if (!t.label.empty()) doc->Text({px, plot.y1 + 20}, t.label, tl);
  }
  tl.anchor = "end";
  for (const Tick& t : y.ticks) {
    if (!y.scale.InRange(t.value)) continue;
    const double py = y.scale.Map(t.value);
    doc->Line({plot.x0 - (t.major ? 6 : 3), py}, {plot.x0, py}, axis);
    if (!t.label.empty()) doc->Text({plot.x0 - 9, py + 4}, t.label, tl);
  }
  TextStyle title;
  title.size = 13;
  title.color = "#222";
  title.anchor = "middle";
  title.weight = "bold";
  doc->Text({(plot.x0 + plot.x1) / 2, plot.y1 + 42}, x.title, title);
  title.angle_deg = -90;
  const Point yt{plot.x0 - 58, (plot.y0 + plot.y1) / 2};
  doc->Text(yt, y.title, title);
  doc->EndGroup();
}

void DrawRightAxis(Document* doc, const Rect& plot, const AxisSpec& y) {
  const Stroke axis{"#444", 1, "", 1};
  doc->BeginGroup("axes-right");
  TextStyle tl;
  tl.size = 12;
  tl.color = "#333";
  for (const Tick& t : y.ticks) {
    if (!y.scale.InRange(t.value)) continue;
    const double py = y.scale.Map(t.value);
    doc->Line({plot.x1, py}, {plot.x1 + (t.major ? 6 : 3), py}, axis);
    if (!t.label.empty()) doc->Text({plot.x1 + 9, py + 4}, t.label, tl);
  }
  TextStyle title;
  title.size = 13;
  title.color = "#222";
  title.anchor = "middle";
  title.weight = "bold";
  title.angle_deg = 90;
  doc->Text({plot.x1 + 58, (plot.y0 + plot.y1) / 2}, y.title, title);
  doc->EndGroup();
}

const std::vector<std::string>& Palette() {
  static const std::vector<std::string> kPalette = {"#4e79a7", "#e15759", "#59a14f", "#f28e2b",
                                                    "#b07aa1", "#499894", "#9c755f", "#d37295",
                                                    "#b6992d", "#79706e"};
  return kPalette;
}

}  // namespace svg
}  // namespace roofprof
