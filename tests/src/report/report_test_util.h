// Shared checks for report tests: golden files, SVG geometry and label checks, temp dirs.
//
// Golden files live in tests/data/report/. After an intended change to an output, regenerate
// them and review the diff:
//   ROOFPROF_UPDATE_GOLDEN=1 build/release/tests/roofprof_tests --gtest_filter='*Golden*'
//   git diff tests/data/report/
#ifndef ROOFPROF_TESTS_SRC_REPORT_REPORT_TEST_UTIL_H_
#define ROOFPROF_TESTS_SRC_REPORT_REPORT_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "src/report/svg.h"
#include "tests/src/report/xml_check.h"

namespace roofprof {
namespace testing_report {

// tests/data, found from this header's own path (the build passes absolute include paths).
inline std::string TestDataDir() {
  std::string f = __FILE__;
  for (int i = 0; i < 3; ++i) f = f.substr(0, f.find_last_of('/'));  // .../tests
  return f + "/data";
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool FileExists(const std::string& path) {
  std::ifstream in(path);
  return static_cast<bool>(in);
}

// Compares `actual` with tests/data/report/NAME, or rewrites the file when
// ROOFPROF_UPDATE_GOLDEN is set (see the top of this file).
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = TestDataDir() + "/report/" + name;
  if (std::getenv("ROOFPROF_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    std::printf("golden file rewritten: %s\n", path.c_str());
    return;
  }
  ASSERT_TRUE(FileExists(path)) << path << " is missing; run with ROOFPROF_UPDATE_GOLDEN=1";
  const std::string expected = ReadAll(path);
  if (expected == actual) return;
  // Name the first differing line, and leave the actual output beside the test's temp dir.
  std::istringstream e(expected), a(actual);
  std::string le, la;
  int line = 0;
  for (;;) {
    ++line;
    const bool ge = static_cast<bool>(std::getline(e, le));
    const bool ga = static_cast<bool>(std::getline(a, la));
    if (!ge && !ga) break;
    if (le != la || ge != ga) break;
  }
  const std::string out = ::testing::TempDir() + "/" + name + ".actual";
  std::ofstream(out, std::ios::binary) << actual;
  ADD_FAILURE() << name << " differs from the golden file at line " << line
                << ":\n  expected: " << le << "\n  actual:   " << la
                << "\nactual output written to " << out
                << "; regenerate with ROOFPROF_UPDATE_GOLDEN=1 if the change is intended";
}

inline XmlNode ParseSvg(const std::string& text) {
  XmlNode root;
  std::string err;
  XmlReader r(text);
  EXPECT_TRUE(r.Parse(&root, &err)) << err;
  return root;
}

inline double Attr(const XmlNode& n, const std::string& k, double fallback = 0) {
  const std::string* v = n.Attr(k);
  return v == nullptr ? fallback : std::strtod(v->c_str(), nullptr);
}

// Every number in every geometric attribute parses and is finite.
inline void ExpectFiniteNumbers(const XmlNode& root) {
  static const char* const kNumeric[] = {"x",      "y",  "x1",     "y1",        "x2",
                                         "y2",     "cx", "cy",     "r",         "width",
                                         "height", "rx", "points", "font-size", "stroke-width"};
  root.Walk([](const XmlNode& n) {
    for (const char* k : kNumeric) {
      const std::string* v = n.Attr(k);
      if (v == nullptr) continue;
      std::string s = *v;
      for (char& c : s) {
        if (c == ',') c = ' ';
      }
      std::istringstream in(s);
      std::string tok;
      int count = 0;
      while (in >> tok) {
        char* end = nullptr;
        const double d = std::strtod(tok.c_str(), &end);
        EXPECT_TRUE(end != tok.c_str() && *end == '\0' && std::isfinite(d))
            << "<" << n.name << " " << k << "=\"" << *v << "\">";
        ++count;
      }
      EXPECT_GT(count, 0) << "<" << n.name << "> has an empty " << k;
    }
  });
}

// Checks that the geometry inside each "data" group lies inside the plot frame drawn before it:
// every vertex of lines and polylines, the centre of markers. Returns how many were checked.
inline int ExpectDataInsidePlot(const XmlNode& root) {
  svg::Rect frame;
  bool have_frame = false;
  int checked = 0;
  std::function<void(const XmlNode&, bool)> visit = [&](const XmlNode& n, bool in_data) {
    if (n.name == "rect" && n.HasClass("plot-frame")) {
      frame = {Attr(n, "x"), Attr(n, "y"), Attr(n, "x") + Attr(n, "width"),
               Attr(n, "y") + Attr(n, "height")};
      have_frame = true;
    }
    const bool data = in_data || (n.name == "g" && n.HasClass("data"));
    if (data && n.name != "g" && n.name != "title") {
      EXPECT_TRUE(have_frame) << "data drawn before any plot frame";
      std::vector<svg::Point> pts;
      if (n.name == "line") {
        pts = {{Attr(n, "x1"), Attr(n, "y1")}, {Attr(n, "x2"), Attr(n, "y2")}};
      } else if (n.name == "polyline" || n.name == "polygon") {
        std::string s = *n.Attr("points");
        for (char& c : s) {
          if (c == ',') c = ' ';
        }
        std::istringstream in(s);
        double x, y;
        std::vector<svg::Point> v;
        while (in >> x >> y) v.push_back({x, y});
        if (n.name == "polyline") {
          pts = v;
        } else {  // a marker: its centre
          svg::Point c{0, 0};
          for (const auto& p : v) {
            c.x += p.x / v.size();
            c.y += p.y / v.size();
          }
          pts = {c};
        }
      } else if (n.name == "circle") {
        pts = {{Attr(n, "cx"), Attr(n, "cy")}};
      } else if (n.name == "rect") {
        pts = {{Attr(n, "x") + Attr(n, "width") / 2, Attr(n, "y") + Attr(n, "height") / 2}};
      }
      for (const auto& p : pts) {
        // Coordinates are written with one decimal: allow that rounding.
        EXPECT_TRUE(frame.Contains(p, 0.051))
            << "<" << n.name << "> point (" << p.x << ", " << p.y << ") outside the plot ["
            << frame.x0 << ", " << frame.y0 << ", " << frame.x1 << ", " << frame.y1 << "]";
        ++checked;
      }
    }
    for (const auto& c : n.children) visit(c, data);
  };
  visit(root, false);
  return checked;
}

// Boxes of the <text> elements under groups of class `cls` (all texts when empty), rebuilt
// from their attributes with the writer's own width estimate.
inline std::vector<std::pair<svg::Box, std::string>> TextBoxes(const XmlNode& root,
                                                               const std::string& cls) {
  std::vector<std::pair<svg::Box, std::string>> out;
  std::function<void(const XmlNode&, bool)> visit = [&](const XmlNode& n, bool in) {
    const bool inside = in || cls.empty() || (n.name == "g" && n.HasClass(cls));
    if (inside && n.name == "text") {
      svg::TextStyle st;
      st.size = Attr(n, "font-size", 12);
      if (n.Attr("text-anchor") != nullptr) st.anchor = *n.Attr("text-anchor");
      if (n.Attr("font-weight") != nullptr) st.weight = *n.Attr("font-weight");
      if (n.Attr("transform") != nullptr) {
        std::sscanf(n.Attr("transform")->c_str(), "rotate(%lf", &st.angle_deg);
      }
      out.push_back({svg::TextBox({Attr(n, "x"), Attr(n, "y")}, n.text, st), n.text});
    }
    for (const auto& c : n.children) visit(c, inside);
  };
  visit(root, false);
  return out;
}

// Labels do not overlap each other and stay inside the picture.
inline void ExpectLabelsApartAndInside(const XmlNode& root, const std::string& cls) {
  const double w = Attr(root, "width", 0), h = Attr(root, "height", 0);
  const auto boxes = TextBoxes(root, cls);
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (w > 0 && h > 0) {
      EXPECT_TRUE(boxes[i].first.Inside({0, 0, w, h})) << "'" << boxes[i].second << "' outside";
    }
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      EXPECT_FALSE(boxes[i].first.Overlaps(boxes[j].first))
          << "'" << boxes[i].second << "' overlaps '" << boxes[j].second << "'";
    }
  }
}

// A fresh directory under the test temp dir, removed with everything in it when the test
// passed (kept for a look when it failed).
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string tmpl = ::testing::TempDir() + "/roofprof_report_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* d = mkdtemp(buf.data());
    EXPECT_NE(d, nullptr) << "mkdtemp failed";
    if (d != nullptr) path_ = d;
  }
  ~ScopedTempDir() {
    if (path_.empty()) return;
    if (::testing::Test::HasFailure()) {
      std::printf("kept %s for inspection\n", path_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace testing_report
}  // namespace roofprof

#endif  // ROOFPROF_TESTS_SRC_REPORT_REPORT_TEST_UTIL_H_
