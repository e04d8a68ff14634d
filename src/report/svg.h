// A small SVG writer of our own: escaped text, shapes with finite coordinates only, geometric
// clipping to the plot area, log and linear scales with ticks, and collision-free label placement.
#ifndef ROOFPROF_SRC_REPORT_SVG_H_
#define ROOFPROF_SRC_REPORT_SVG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace roofprof {
namespace svg {

// Escapes text for XML character data and attribute values (&, <, >, ", '). Drops characters
// XML 1.0 forbids (C0 controls other than tab, newline and carriage return) and replaces bytes
// that are not valid UTF-8 with U+FFFD, so any kernel name or note gives a well-formed file.
std::string XmlEscape(const std::string& s);

// Coordinate text: one decimal, "-0.0" normalised to "0", trailing ".0" dropped.
std::string Coord(double v);

// Estimated advance width of `s` in pixels at `font_size`, from DejaVu Sans metrics (the font
// the charts ask for first; Verdana, the next in the list, has about the same widths). Used
// only to keep labels apart, so it errs wide.
double TextWidth(const std::string& s, double font_size);

struct Point {
  double x = 0;
  double y = 0;
};

// An axis-aligned rectangle in pixels, y downwards.
struct Rect {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
  bool Contains(Point p, double eps = 1e-6) const {
    return p.x >= x0 - eps && p.x <= x1 + eps && p.y >= y0 - eps && p.y <= y1 + eps;
  }
};

// An oriented rectangle: centre, half extents along its own axes, rotation in degrees
// (clockwise on screen, as SVG's rotate()). Labels along diagonal ceilings are these.
struct Box {
  double cx = 0, cy = 0;
  double hw = 0, hh = 0;
  double angle_deg = 0;
  static Box FromRect(const Rect& r);
  // Separating-axis test; boxes that only touch do not overlap.
  bool Overlaps(const Box& o) const;
  // True when all four corners lie inside `r`.
  bool Inside(const Rect& r) const;
  std::vector<Point> Corners() const;
};

// Clips segment a-b to `r` (Liang-Barsky). Returns false when nothing is left.
bool ClipSegment(const Rect& r, Point* a, Point* b);
// Clips a polyline to `r`: the visible runs, each with at least two points.
std::vector<std::vector<Point>> ClipPolyline(const Rect& r, const std::vector<Point>& pts);

// Maps data values to pixels, linearly or in log10. A log scale needs 0 < lo < hi.
class Scale {
 public:
  static Scale Log(double lo, double hi, double p0, double p1);
  static Scale Linear(double lo, double hi, double p0, double p1);
  double Map(double v) const;
  double Unmap(double p) const;
  // The data value is inside [lo, hi] (within a relative 1e-9).
  bool InRange(double v) const;
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  bool log() const { return log_; }

 private:
  bool log_ = false;
  double lo_ = 0, hi_ = 1, p0_ = 0, p1_ = 1;
  double a_ = 0, b_ = 1;  // p = a + b * f(v)
};

struct Tick {
  double value = 0;
  std::string label;  // empty for minor ticks
  bool major = true;
};

// Decade ticks for a log axis: labelled 10^k inside [lo, hi]; minor ticks at 2..9 x 10^k.
// When the range spans fewer than `label_125_below_decades` decades, 2x and 5x ticks are
// labelled as well.
std::vector<Tick> LogTicks(double lo, double hi, double label_125_below_decades = 2);
// Powers of two for a byte axis, labelled "4 KiB", "1 MiB"...; every `step`-th power labelled,
// the step chosen so at most `max_labels` labels appear; unlabelled powers are minor ticks.
std::vector<Tick> ByteTicks(double lo, double hi, int max_labels);
// 1/2/5 x 10^k steps for a linear axis from lo to hi with about `count` ticks.
std::vector<Tick> LinearTicks(double lo, double hi, int count);
// A tick number: 0.001, 0.5, 20, 1000, 1e+06.
std::string TickNumber(double v);
// Rounds down / up to the nearest 1, 2 or 5 x 10^k (positive values).
double NiceFloor(double v);
double NiceCeil(double v);

// A stroke: colour, width, dash pattern ("" solid), opacity.
struct Stroke {
  std::string color = "#000";
  double width = 1;
  std::string dash;
  double opacity = 1;
};

struct TextStyle {
  double size = 12;
  std::string anchor = "start";  // start, middle, end
  std::string color = "#222";
  std::string weight;    // "" or "bold"
  double angle_deg = 0;  // rotation about the anchor point
  bool halo = false;     // white outline so text stays readable over lines
};

enum class Marker { kCircle, kSquare, kTriangle, kDiamond, kRing };

// An SVG document built element by element. Shapes with a non-finite coordinate are not
// written (and counted), so no NaN or Inf can reach a file.
class Document {
 public:
  Document(double width, double height);

  void Line(Point a, Point b, const Stroke& s, const std::string& cls = "");
  void Polyline(const std::vector<Point>& pts, const Stroke& s, const std::string& cls = "");
  void Polygon(const std::vector<Point>& pts, const std::string& fill, const Stroke* s,
               const std::string& cls = "");
  void RectShape(const Rect& r, const std::string& fill, const Stroke* s, double radius = 0,
                 const std::string& cls = "");
  void Circle(Point c, double r, const std::string& fill, const Stroke* s,
              const std::string& cls = "");
  // A marker of `size` (about its diameter) centred on `c`; `tooltip` becomes a <title>.
  void MarkerShape(Marker m, Point c, double size, const std::string& fill,
                   const std::string& stroke, const std::string& tooltip = "",
                   const std::string& cls = "");
  void Text(Point p, const std::string& text, const TextStyle& st, const std::string& cls = "");
  // Groups carry a class (tests and styles find data by it) and optional extra attributes,
  // given as (name, value) pairs and escaped here.
  void BeginGroup(const std::string& cls,
                  const std::vector<std::pair<std::string, std::string>>& attrs = {});
  void EndGroup();
  // <title> for the innermost open group (browsers show it on hover).
  void Title(const std::string& text);

  // The finished document. `standalone` adds the XML declaration and the SVG namespace (for a
  // .svg file); inline in HTML5 neither is needed, and leaving them out keeps the page free of
  // anything that looks like an address.
  std::string Finish(bool standalone) const;

  int dropped() const { return dropped_; }
  double width() const { return width_; }
  double height() const { return height_; }

 private:
  bool Finite(const std::vector<Point>& pts);
  void Indent();

  double width_, height_;
  std::string body_;
  int depth_ = 1;
  int dropped_ = 0;
};

// Greedy label placement: each label tries its candidate boxes in order and takes the first that
// stays inside the bounds and overlaps nothing placed before (labels and declared obstacles such
// as markers). Soft obstacles (lines a label may cross, its halo keeping it readable) are
// avoided when some candidate allows it and ignored otherwise. Placed labels keep `gap` pixels
// from each other.
class LabelPlacer {
 public:
  explicit LabelPlacer(const Rect& bounds, double gap = 1.5) : bounds_(bounds), gap_(gap) {}
  void AddObstacle(const Box& b) { hard_.push_back(b); }
  void AddObstacle(const Rect& r) { hard_.push_back(Box::FromRect(r)); }
  // A line segment `width` pixels wide as a soft obstacle.
  void AddSoftLine(Point a, Point b, double width);
  // Index of the candidate taken, or -1 when every one collides with a hard obstacle or a label
  // (nothing is recorded then).
  int Place(const std::vector<Box>& candidates);
  bool Free(const Box& b, bool soft) const;

 private:
  Rect bounds_;
  double gap_;
  std::vector<Box> hard_;
  std::vector<Box> soft_;
};

// The box a text occupies when drawn at `p` with `st` (anchor and rotation applied). Text
// baseline is at p.y; the box spans from 0.8 em above it to 0.25 em below.
Box TextBox(Point p, const std::string& text, const TextStyle& st);

// Legend entries, laid out in columns by DrawLegend.
struct LegendEntry {
  enum Kind { kLine, kMarker, kSwatch } kind = kLine;
  std::string label;
  Stroke stroke;                    // kLine
  Marker marker = Marker::kCircle;  // kMarker
  std::string fill;                 // kMarker fill / kSwatch colour
  std::string marker_stroke;        // kMarker outline
};

// Draws `entries` starting at (x, y) (top left) in `columns` columns of width `col_width`;
// returns the height used. Labels longer than the column are cut with an ellipsis.
double DrawLegend(Document* doc, double x, double y, double col_width, int columns,
                  const std::vector<LegendEntry>& entries, double font_size = 12);

// Axes: frame, grid lines, ticks, tick labels and axis titles around `plot`.
struct AxisSpec {
  Scale scale;
  std::vector<Tick> ticks;
  std::string title;
};
void DrawAxes(Document* doc, const Rect& plot, const AxisSpec& x, const AxisSpec& y);
// A second y axis on the right (ticks already mapped through `y.scale`).
void DrawRightAxis(Document* doc, const Rect& plot, const AxisSpec& y);

// Shared look.
inline constexpr const char* kFontFamily = "DejaVu Sans, Verdana, Arial, sans-serif";
// Categorical palette (Tableau 10 with its pale yellow and grey swapped for darker tones that
// read on white); colour i % size.
const std::vector<std::string>& Palette();

}  // namespace svg
}  // namespace roofprof

#endif  // ROOFPROF_SRC_REPORT_SVG_H_
