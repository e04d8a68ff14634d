// SVG writer: escaping, coordinates, clipping, scales and ticks, label placement, documents.
#include "src/report/svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/src/report/report_test_util.h"

namespace roofprof {
namespace svg {
namespace {

using testing_report::ParseSvg;
using testing_report::XmlNode;
using testing_report::XmlReader;

TEST(SvgEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(XmlEscape("plain text 1.5 GB/s"), "plain text 1.5 GB/s");
}

TEST(SvgEscape, KeepsValidUtf8AndRepairsInvalid) {
  EXPECT_EQ(XmlEscape("\xC2\xB7 \xC3\x97 \xE2\x80\xA6"), "\xC2\xB7 \xC3\x97 \xE2\x80\xA6");
  // A lone continuation byte, an overlong encoding, a surrogate and a truncated sequence each
  // become U+FFFD.
  const std::string bad =
      XmlEscape(std::string("a\x80") + "b\xC0\xAF" + "c\xED\xA0\x80" + "d\xE2\x82");
  XmlNode root;
  std::string err;
  const std::string doc = "<t>" + bad + "</t>";
  XmlReader r(doc);
  EXPECT_TRUE(r.Parse(&root, &err)) << err;
  // Each byte that cannot start or continue a valid sequence is replaced on its own.
  const std::string R = "\xEF\xBF\xBD";
  EXPECT_EQ(bad, "a" + R + "b" + R + R + "c" + R + R + R + "d" + R + R);
}

TEST(SvgEscape, DropsForbiddenControlCharacters) {
  EXPECT_EQ(XmlEscape(std::string("a\x01\x1b[31mb\tc\nd", 12)), "a[31mb\tc\nd");
  EXPECT_EQ(XmlEscape(std::string("x\0y", 3)), "xy");
}

TEST(SvgCoord, OneDecimalNoNegativeZero) {
  EXPECT_EQ(Coord(1.0), "1");
  EXPECT_EQ(Coord(1.25), "1.2");  // round-half-even on the binary value 1.25
  EXPECT_EQ(Coord(-0.04), "0");
  EXPECT_EQ(Coord(123.456), "123.5");
  EXPECT_EQ(Coord(-7.5), "-7.5");
}

TEST(SvgText, WidthGrowsWithTextAndSize) {
  EXPECT_EQ(TextWidth("", 12), 0);
  EXPECT_GT(TextWidth("WWW", 12), TextWidth("iii", 12));
  EXPECT_NEAR(TextWidth("abc", 24), 2 * TextWidth("abc", 12), 1e-9);
  // DejaVu Sans digits are 1303/2048 em.
  EXPECT_NEAR(TextWidth("0", 2048), 1303, 1e-9);
  // A multi-byte character counts once.
  EXPECT_NEAR(TextWidth("\xC3\x97", 10), 9, 1e-9);
}

TEST(SvgBox, OverlapAxisAlignedAndRotated) {
  const Box a = Box::FromRect({0, 0, 10, 10});
  EXPECT_TRUE(a.Overlaps(Box::FromRect({5, 5, 15, 15})));
  EXPECT_FALSE(a.Overlaps(Box::FromRect({10, 0, 20, 10})));  // touching only
  EXPECT_FALSE(a.Overlaps(Box::FromRect({11, 11, 20, 20})));
  // A long thin box at 45 degrees passing beside the square's corner does not touch it, though
  // its axis-aligned bounding box would.
  Box d;
  d.cx = 20;
  d.cy = 20;
  d.hw = 16;
  d.hh = 1;
  d.angle_deg = -45;  // runs from lower left to upper right, away from (10, 10)
  EXPECT_FALSE(a.Overlaps(d));
  d.angle_deg = 45;  // now it points at the square's corner
  EXPECT_TRUE(a.Overlaps(d));
  EXPECT_TRUE(a.Inside({0, 0, 10, 10}));
  EXPECT_FALSE(a.Inside({0, 0, 9, 10}));
}

TEST(SvgClip, SegmentCases) {
  const Rect r{0, 0, 100, 50};
  Point a{-50, 25}, b{150, 25};
  ASSERT_TRUE(ClipSegment(r, &a, &b));
  EXPECT_DOUBLE_EQ(a.x, 0);
  EXPECT_DOUBLE_EQ(b.x, 100);
  Point c{-10, -10}, d{-1, 60};
  EXPECT_FALSE(ClipSegment(r, &c, &d));
  Point e{10, 10}, f{20, 20};  // inside: unchanged
  ASSERT_TRUE(ClipSegment(r, &e, &f));
  EXPECT_DOUBLE_EQ(e.x, 10);
  EXPECT_DOUBLE_EQ(f.y, 20);
  Point g{0, 100}, h{100, 0};  // diagonal through: clipped to y in [0, 50]
  ASSERT_TRUE(ClipSegment(r, &g, &h));
  EXPECT_TRUE(r.Contains(g) && r.Contains(h));
  EXPECT_NEAR(g.x, 50, 1e-9);
}

TEST(SvgClip, PolylineSplitsIntoVisibleRuns) {
  const Rect r{0, 0, 10, 10};
  const auto runs = ClipPolyline(r, {{1, 1}, {5, 5}, {20, 5}, {20, 8}, {5, 8}, {2, 2}});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].size(), 3u);
  EXPECT_DOUBLE_EQ(runs[0].back().x, 10);
  for (const auto& run : runs) {
    for (const auto& p : run) EXPECT_TRUE(r.Contains(p));
  }
  EXPECT_TRUE(ClipPolyline(r, {{20, 20}, {30, 30}}).empty());
}

TEST(SvgScale, LogAndLinearMapBothWays) {
  const Scale lg = Scale::Log(0.1, 1000, 0, 400);
  EXPECT_NEAR(lg.Map(0.1), 0, 1e-9);
  EXPECT_NEAR(lg.Map(1000), 400, 1e-9);
  EXPECT_NEAR(lg.Map(10), 200, 1e-9);
  EXPECT_NEAR(lg.Unmap(100), 1, 1e-9);
  EXPECT_TRUE(std::isnan(lg.Map(0)));
  EXPECT_TRUE(std::isnan(lg.Map(-1)));
  EXPECT_FALSE(lg.InRange(std::numeric_limits<double>::infinity()));
  const Scale ln = Scale::Linear(0, 500, 300, 0);  // y grows upwards
  EXPECT_NEAR(ln.Map(250), 150, 1e-9);
  EXPECT_NEAR(ln.Unmap(0), 500, 1e-9);
}

TEST(SvgTicks, DecadesLabelledMinorBetween) {
  const auto t = LogTicks(0.05, 2000);
  int labelled = 0, minor = 0;
  for (const auto& k : t) {
    EXPECT_GE(k.value, 0.05 * (1 - 1e-9));
    EXPECT_LE(k.value, 2000 * (1 + 1e-9));
    if (!k.label.empty()) ++labelled;
    if (!k.major) ++minor;
  }
  EXPECT_EQ(labelled, 5);  // 0.1, 1, 10, 100, 1000
  EXPECT_GT(minor, 20);
  EXPECT_EQ(t.front().value, 0.05);
  // A narrow range labels 2x and 5x as well, so the axis is never bare.
  int narrow = 0;
  for (const auto& k : LogTicks(15, 300)) narrow += !k.label.empty();
  EXPECT_GE(narrow, 4);  // 20, 50, 100, 200
  EXPECT_TRUE(LogTicks(0, 10).empty());
  EXPECT_TRUE(LogTicks(10, 1).empty());
}

TEST(SvgTicks, BytesAndLinear) {
  const auto b = ByteTicks(3000, 5e9, 12);
  int labelled = 0;
  bool has_mib = false;
  for (const auto& k : b) {
    labelled += !k.label.empty();
    has_mib |= k.label == "1 MiB";
  }
  EXPECT_LE(labelled, 12);
  EXPECT_GE(labelled, 5);
  EXPECT_TRUE(has_mib);
  const auto l = LinearTicks(0, 830, 6);
  ASSERT_FALSE(l.empty());
  EXPECT_EQ(l.front().value, 0);
  EXPECT_EQ(l[1].value, 200);
  EXPECT_EQ(l.back().label, "800");
}

TEST(SvgTicks, NiceNumbersAndLabels) {
  EXPECT_DOUBLE_EQ(NiceFloor(0.37), 0.2);
  EXPECT_DOUBLE_EQ(NiceFloor(7), 5);
  EXPECT_DOUBLE_EQ(NiceCeil(7), 10);
  EXPECT_DOUBLE_EQ(NiceCeil(100), 100);
  EXPECT_DOUBLE_EQ(NiceCeil(101), 200);
  EXPECT_EQ(TickNumber(0.001), "0.001");
  EXPECT_EQ(TickNumber(0.5), "0.5");
  EXPECT_EQ(TickNumber(1000), "1000");
  EXPECT_EQ(TickNumber(1e7), "1e+07");
}

TEST(SvgLabels, GreedyPlacementAvoidsTakenSpace) {
  LabelPlacer p({0, 0, 100, 100});
  p.AddObstacle(Rect{0, 0, 50, 50});
  // First candidate collides with the obstacle, second is free, third would be outside.
  EXPECT_EQ(p.Place({Box::FromRect({10, 10, 20, 20}), Box::FromRect({60, 10, 90, 20}),
                     Box::FromRect({90, 90, 110, 95})}),
            1);
  // The same spot is now taken by that label.
  EXPECT_EQ(p.Place({Box::FromRect({60, 10, 90, 20})}), -1);
  // Soft obstacles are avoided when possible, crossed when not.
  p.AddSoftLine({0, 80}, {100, 80}, 2);
  EXPECT_EQ(p.Place({Box::FromRect({60, 75, 90, 85}), Box::FromRect({60, 60, 90, 70})}), 1);
  EXPECT_EQ(p.Place({Box::FromRect({60, 75, 90, 85})}), 0);
}

TEST(SvgLabels, TextBoxFollowsAnchorAndRotation) {
  TextStyle st;
  st.size = 10;
  const Box start = TextBox({100, 50}, "abcd", st);
  st.anchor = "end";
  const Box end = TextBox({100, 50}, "abcd", st);
  EXPECT_GT(start.cx, 100);
  EXPECT_LT(end.cx, 100);
  EXPECT_NEAR(start.cx - 100, 100 - end.cx, 1e-9);
  EXPECT_LT(start.cy, 50);  // text sits above its baseline
  st.anchor = "start";
  st.angle_deg = -90;
  const Box up = TextBox({100, 50}, "abcd", st);
  EXPECT_LT(up.cy, 50);  // rotated -90: the text runs upwards
  EXPECT_NEAR(up.angle_deg, -90, 1e-12);
}

TEST(SvgDocument, WellFormedAndDropsNonFinite) {
  Document d(200, 100);
  d.BeginGroup("g1", {{"data-x", "a\"b<c"}});
  d.Title("tip & <tool>");
  d.Line({0, 0}, {10, 10}, {"#000", 1, "2,2", 0.5});
  d.Line({0, NAN}, {10, 10}, {});
  d.Polyline({{0, 0}, {5, std::numeric_limits<double>::infinity()}}, {});
  d.Circle({5, 5}, 2, "#f00", nullptr);
  for (const Marker m :
       {Marker::kCircle, Marker::kSquare, Marker::kTriangle, Marker::kDiamond, Marker::kRing}) {
    d.MarkerShape(m, {50, 50}, 9, "#00f", "#fff", "marker <tip>");
  }
  TextStyle st;
  st.halo = true;
  st.angle_deg = 30;
  d.Text({20, 20}, "label <&> \"q\"", st);
  d.EndGroup();
  EXPECT_EQ(d.dropped(), 2);
  const std::string standalone = d.Finish(true);
  const XmlNode root = ParseSvg(standalone);
  EXPECT_EQ(root.name, "svg");
  ASSERT_NE(root.Attr("xmlns"), nullptr);
  EXPECT_EQ(*root.Attr("viewBox"), "0 0 200 100");
  testing_report::ExpectFiniteNumbers(root);
  EXPECT_EQ(standalone.find("nan"), std::string::npos);
  EXPECT_EQ(standalone.find("inf"), std::string::npos);
  // Inline form: no declaration, no namespace address.
  const std::string inl = d.Finish(false);
  EXPECT_EQ(inl.find("<?xml"), std::string::npos);
  EXPECT_EQ(inl.find("http"), std::string::npos);
  ParseSvg(inl);
}

TEST(SvgLegend, CutsLongLabelsToTheColumn) {
  Document d(400, 200);
  LegendEntry e;
  e.label = std::string(200, 'x');
  const double h = DrawLegend(&d, 0, 0, 150, 2, {e, e, e});
  EXPECT_GT(h, 0);
  const XmlNode root = ParseSvg(d.Finish(true));
  int texts = 0;
  root.Walk([&](const XmlNode& n) {
    if (n.name != "text") return;
    ++texts;
    EXPECT_LE(TextWidth(n.text, 12), 150 - 26);
    EXPECT_NE(n.text.find("\xE2\x80\xA6"), std::string::npos);
  });
  EXPECT_EQ(texts, 3);
}

}  // namespace
}  // namespace svg
}  // namespace roofprof
