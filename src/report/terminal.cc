// Text roofline on a braille (or ASCII) canvas, and plain-text tables.
#include "src/report/terminal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "src/report/charts.h"
#include "src/report/svg.h"
#include "src/units.h"

namespace roofprof {
namespace {

constexpr int kMinWidth = 40;
constexpr int kMinHeight = 12;
// Columns left of the plot: a tick label of up to 6 characters, a space, the axis.
constexpr int kYLabelWidth = 6;
// Braille cells hold 2 x 4 dots.
constexpr int kDotsX = 2;
constexpr int kDotsY = 4;

// UTF-8 encoding of a code point below U+10000.
std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Bit of dot (dx, dy) within a braille cell (Unicode's dot numbering 1-8).
uint8_t BrailleBit(int dx, int dy) {
  static const uint8_t kBits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
  return kBits[dy][dx];
}

// A character grid with a braille layer below it: dots for lines, cells for text and markers.
class Canvas {
 public:
  Canvas(int cols, int rows, bool unicode)
      : cols_(cols),
        rows_(rows),
        unicode_(unicode),
        dots_(static_cast<size_t>(cols * rows), 0),
        cells_(static_cast<size_t>(cols * rows)),
        text_(static_cast<size_t>(cols * rows), false) {}

  int dot_cols() const { return cols_ * kDotsX; }
  int dot_rows() const { return rows_ * kDotsY; }

  // A dot; in ASCII mode the line character `ascii` marks the cell instead.
  void Dot(int x, int y, char ascii) {
    if (x < 0 || y < 0 || x >= dot_cols() || y >= dot_rows()) return;
    const size_t i = static_cast<size_t>((y / kDotsY) * cols_ + x / kDotsX);
    if (unicode_) {
      dots_[i] |= BrailleBit(x % kDotsX, y % kDotsY);
    } else if (cells_[i].empty()) {
      cells_[i] = std::string(1, ascii);
    }
  }
  // Straight run of dots between two dot positions (Bresenham).
  void DotLine(int x0, int y0, int x1, int y1, char ascii) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      Dot(x0, y0, ascii);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
  void Cell(int col, int row, const std::string& glyph) {
    if (col < 0 || row < 0 || col >= cols_ || row >= rows_) return;
    cells_[static_cast<size_t>(row * cols_ + col)] = glyph;
  }
  // True when no text or marker occupies [col, col + n) on `row` (lines may be overwritten).
  bool TextFree(int col, int row, int n) const {
    if (col < 0 || row < 0 || row >= rows_ || col + n > cols_) return false;
    for (int c = col; c < col + n; ++c) {
      if (text_[static_cast<size_t>(row * cols_ + c)]) return false;
    }
    return true;
  }
  // Writes ASCII `s` (labels are ASCII) and marks the cells as text.
  void Write(int col, int row, const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
      const int c = col + static_cast<int>(i);
      Cell(c, row, std::string(1, s[i]));
      if (c >= 0 && c < cols_ && row >= 0 && row < rows_) {
        text_[static_cast<size_t>(row * cols_ + c)] = true;
      }
    }
  }
  std::string Row(int row) const {
    std::string out;
    for (int c = 0; c < cols_; ++c) {
      const size_t i = static_cast<size_t>(row * cols_ + c);
      if (!cells_[i].empty()) {
        out += cells_[i];
      } else if (unicode_ && dots_[i] != 0) {
        out += Utf8(0x2800u + dots_[i]);
      } else {
        out += ' ';
      }
    }
    // Trailing spaces carry nothing.
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

 private:
  int cols_, rows_;
  bool unicode_;
  std::vector<uint8_t> dots_;
  std::vector<std::string> cells_;
  std::vector<bool> text_;
};

std::string Threads(int t) { return std::to_string(t) + (t == 1 ? " thread" : " threads"); }

std::string Pad(const std::string& s, size_t width, bool right) {
  const size_t w = DisplayWidth(s);
  if (w >= width) return s;
  return right ? std::string(width - w, ' ') + s : s + std::string(width - w, ' ');
}

}  // namespace

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string TerminalRoofline(const Machine& m, const KernelsFile* k, int width, int height,
                             bool unicode) {
  width = std::max(width, kMinWidth);
  height = std::max(height, kMinHeight);
  const report::RooflineData d =
      report::BuildRoofline(m, k, report::RooflineThreadCounts(m, k).front());
  const int cols = width - kYLabelWidth - 1;
  const int rows = height - 3;  // title, x axis, x labels
  Canvas cv(cols, rows, unicode);
  const double lx0 = std::log10(d.x_lo), lx1 = std::log10(d.x_hi);
  const double ly0 = std::log10(d.y_lo), ly1 = std::log10(d.y_hi);
  // Data to dot coordinates (y down) and back.
  const auto dot_x = [&](double x) {
    return static_cast<int>(std::lround((std::log10(x) - lx0) / (lx1 - lx0) * (cv.dot_cols() - 1)));
  };
  const auto dot_y = [&](double y) {
    return static_cast<int>(std::lround((ly1 - std::log10(y)) / (ly1 - ly0) * (cv.dot_rows() - 1)));
  };
  const auto data_x = [&](int px) {
    return std::pow(10.0, lx0 + (lx1 - lx0) * px / (cv.dot_cols() - 1));
  };
  const auto in_y = [&](double y) { return y >= d.y_lo && y <= d.y_hi; };

  const double roof = d.compute.empty() ? 0 : d.compute[0].gflops;
  double top_bw = 0;
  for (const auto& b : d.bandwidth) top_bw = std::max(top_bw, b.gbps);
  // Diagonals: y = bw * x up to the roof, sampled per dot column and joined.
  for (const auto& b : d.bandwidth) {
    int px_prev = -1, py_prev = 0;
    for (int px = 0; px < cv.dot_cols(); ++px) {
      const double x = data_x(px);
      if (roof > 0 && x > b.ridge_ai * 1.0001) break;
      const double y = b.gbps * x;
      if (!in_y(y)) {
        px_prev = -1;
        continue;
      }
      const int py = dot_y(y);
      if (px_prev >= 0) {
        cv.DotLine(px_prev, py_prev, px, py, '/');
      } else {
        cv.Dot(px, py, '/');
      }
      px_prev = px;
      py_prev = py;
    }
  }
  // Compute ceilings measured on the chart's thread count: rows of box drawing (heavy for the
  // roof) from the top diagonal to the right edge. The roof goes last so it wins a shared row;
  // one-thread and theoretical lines would crowd a plot this coarse and are left to the SVG.
  for (auto it = d.compute.rbegin(); it != d.compute.rend(); ++it) {
    const auto& c = *it;
    if (c.style != report::CeilingStyle::kMeasured || !in_y(c.gflops)) continue;
    const int row = dot_y(c.gflops) / kDotsY;
    const double x_start = top_bw > 0 ? std::max(d.x_lo, c.gflops / top_bw) : d.x_lo;
    const int col0 = std::max(0, dot_x(x_start) / kDotsX);
    const std::string glyph =
        unicode ? (c.roof ? "\xE2\x94\x81" : "\xE2\x94\x80") : (c.roof ? "=" : "-");
    for (int col = col0; col < cols; ++col) {
      if (cv.TextFree(col, row, 1)) cv.Cell(col, row, glyph);
    }
  }
  // Kernels: a letter at the binding level's intensity (cache-aware intensity when compute or
  // nothing binds).
  struct KeyLine {
    char letter;
    const report::KernelPoints* k;
    double ai;
    std::string where;
  };
  std::vector<KeyLine> keys;
  for (size_t i = 0; i < d.kernels.size(); ++i) {
    const auto& kp = d.kernels[i];
    const char letter = i < 26 ? static_cast<char>('A' + i) : '*';
    const int lvl = LevelFromName(kp.bound);
    double ai = kp.carm_ai;
    std::string where = "cache-aware";
    if (lvl >= 0 && kp.ai[static_cast<size_t>(lvl)] > 0) {
      ai = kp.ai[static_cast<size_t>(lvl)];
      where = LevelName(lvl);
    }
    keys.push_back({letter, &kp, ai, where});
    if (!(ai > 0) || ai < d.x_lo || ai > d.x_hi || !in_y(kp.gflops)) continue;
    const int col = std::min(cols - 1, dot_x(ai) / kDotsX);
    const int row = dot_y(kp.gflops) / kDotsY;
    cv.Write(col, row, std::string(1, letter));
  }
  // Ceiling labels where they fit: compute at the right end above (or on) the line, levels
  // just left of where their diagonal reaches the roof row, or at the left edge.
  for (const auto& c : d.compute) {
    if (c.style != report::CeilingStyle::kMeasured || !in_y(c.gflops)) continue;
    const int row = dot_y(c.gflops) / kDotsY;
    const std::string text = " " + c.precision + " " + c.isa + " " + FormatRate(c.gflops) + " ";
    const int col = cols - static_cast<int>(text.size());
    for (const int r : {row - 1, row + 1}) {
      if (cv.TextFree(col, r, static_cast<int>(text.size()))) {
        cv.Write(col, r, text);
        break;
      }
    }
  }
  for (const auto& b : d.bandwidth) {
    const std::string text = std::string(LevelName(b.level)) + " ";
    const int n = static_cast<int>(text.size());
    // The first row (from the bottom) where the diagonal is inside the plot.
    bool placed = false;
    for (int px = 0; px < cv.dot_cols() && !placed; px += kDotsX) {
      const double x = data_x(px);
      if (roof > 0 && x > b.ridge_ai) break;
      const double y = b.gbps * x;
      if (!in_y(y)) continue;
      const int row = dot_y(y) / kDotsY;
      const int col = px / kDotsX - n;
      if (col >= 0 && cv.TextFree(col, row, n)) {
        cv.Write(col, row, text);
        placed = true;
      }
    }
  }

  std::string out = "Roofline, " + d.precision + ", " + Threads(d.threads) +
                    " (GFLOP/s against FLOP/byte, log-log)\n";
  // Y axis: labels at decades; axis column; plot.
  const std::string vbar = unicode ? "\xE2\x94\x82" : "|";
  const std::string vtick = unicode ? "\xE2\x94\xA4" : "+";
  std::vector<std::string> ylabels(static_cast<size_t>(rows));
  for (int e = static_cast<int>(std::ceil(ly0 - 1e-9));
       e <= static_cast<int>(std::floor(ly1 + 1e-9)); ++e) {
    const int row = dot_y(std::pow(10.0, e)) / kDotsY;
    if (row >= 0 && row < rows)
      ylabels[static_cast<size_t>(row)] = svg::TickNumber(std::pow(10.0, e));
  }
  for (int r = 0; r < rows; ++r) {
    const std::string& lab = ylabels[static_cast<size_t>(r)];
    out += Pad(lab, kYLabelWidth, true) + (lab.empty() ? vbar : vtick) + cv.Row(r) + "\n";
  }
  // X axis with ticks at decades, labels centred under them where they do not collide.
  std::string axis = std::string(kYLabelWidth, ' ') + (unicode ? "\xE2\x94\x94" : "+");
  std::vector<std::string> xcells(static_cast<size_t>(cols), unicode ? "\xE2\x94\x80" : "-");
  std::string labels(static_cast<size_t>(width), ' ');
  int last_end = -1;
  for (int e = static_cast<int>(std::ceil(lx0 - 1e-9));
       e <= static_cast<int>(std::floor(lx1 + 1e-9)); ++e) {
    const double v = std::pow(10.0, e);
    const int col = std::min(cols - 1, dot_x(v) / kDotsX);
    xcells[static_cast<size_t>(col)] = unicode ? "\xE2\x94\xAC" : "+";
    const std::string lab = svg::TickNumber(v);
    int start = kYLabelWidth + 1 + col - static_cast<int>(lab.size()) / 2;
    // Keep the label on the line: shift it inwards at either edge.
    start = std::clamp(start, 0, width - static_cast<int>(lab.size()));
    if (start <= last_end + 1) continue;
    labels.replace(static_cast<size_t>(start), lab.size(), lab);
    last_end = start + static_cast<int>(lab.size()) - 1;
  }
  for (const auto& c : xcells) axis += c;
  out += axis + "\n";
  while (!labels.empty() && labels.back() == ' ') labels.pop_back();
  out += labels + "\n";

  // Key.
  std::string ceilings;
  for (const auto& c : d.compute) {
    if (c.style != report::CeilingStyle::kMeasured) continue;
    ceilings +=
        (ceilings.empty() ? "" : ", ") + c.precision + " " + c.isa + " " + FormatRate(c.gflops);
  }
  if (!ceilings.empty())
    out += "  compute (GFLOP/s, " + Threads(d.threads) + "): " + ceilings + "\n";
  std::string bw;
  for (const auto& b : d.bandwidth) {
    bw += (bw.empty() ? "" : ", ") + std::string(LevelName(b.level)) + " " + FormatRate(b.gbps);
  }
  if (!bw.empty()) out += "  bandwidth (GB/s, " + Threads(d.threads) + "): " + bw + "\n";
  for (const auto& kl : keys) {
    std::string line = std::string("  ") + kl.letter + "  " + std::to_string(kl.k->number) + " " +
                       kl.k->label + ": " + FormatRate(kl.k->gflops) + " GFLOP/s";
    if (kl.ai > 0) line += " at AI " + FormatRate(kl.ai) + " (" + kl.where + ")";
    if (!kl.k->bound.empty() && kl.k->bound != "unknown") {
      line += ", " + kl.k->bound + "-bound";
      if (std::isfinite(kl.k->efficiency) && kl.k->efficiency > 0) {
        line += ", " + FormatRate(kl.k->efficiency * 100) + "% of attainable";
      }
    }
    out += line + "\n";
  }
  return out;
}

void TextTable::AddColumn(const std::string& header, Align align) {
  headers_.push_back(header);
  align_.push_back(align);
}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render(bool unicode) const {
  std::vector<size_t> w(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    w[c] = DisplayWidth(headers_[c]);
    for (const auto& r : rows_) w[c] = std::max(w[c], DisplayWidth(r[c]));
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += "  ";
      out += Pad(cells[c], w[c], align_[c] == kRight);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers_);
  std::string rule;
  for (size_t c = 0; c < w.size(); ++c) {
    if (c > 0) rule += "  ";
    for (size_t i = 0; i < w[c]; ++i) rule += unicode ? "\xE2\x94\x80" : "-";
  }
  out += rule + "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

}  // namespace roofprof
