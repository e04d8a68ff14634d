// report.html: self-contained (no external references), balanced markup, sound inline SVG,
// the expected content, and a real render in headless Chromium that is not blank.
#include "src/report/html.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "src/report/report.h"
#include "tests/src/report/fixtures.h"
#include "tests/src/report/png_decode.h"
#include "tests/src/report/report_test_util.h"

namespace roofprof {
namespace report {
namespace {

using testing_report::SampleKernels;
using testing_report::SmallMachine;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Anything that could make a browser fetch something, or run something.
void ExpectNoExternalReferences(const std::string& html) {
  const std::string l = Lower(html);
  for (const char* bad : {"http:",  "https:",  "ftp:",    "file:", "data:",     "//",    "src=",
                          "href=",  "srcset",  "@import", "url(",  "<script",   "<link", "<iframe",
                          "<img",   "<object", "<embed",  "<base", "<image",    "<use",  "<font",
                          "<audio", "<video",  "<source", "xlink", "@font-face"}) {
    EXPECT_EQ(l.find(bad), std::string::npos)
        << "found '" << bad
        << "' in report.html near: " << html.substr(l.find(bad) > 60 ? l.find(bad) - 60 : 0, 140);
  }
}

// Start and end tags balance (void elements and self-closed SVG elements aside); the content of
// <style> is skipped.
void ExpectBalancedTags(const std::string& html) {
  static const std::set<std::string> kVoid = {"area",   "base",  "br",    "col",  "embed",
                                              "hr",     "img",   "input", "link", "meta",
                                              "source", "track", "wbr"};
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i);
      ASSERT_NE(i, std::string::npos) << "unterminated comment";
      continue;
    }
    if (html.compare(i, 2, "<!") == 0) {  // doctype
      i = html.find('>', i);
      continue;
    }
    const size_t end = html.find('>', i);
    ASSERT_NE(end, std::string::npos) << "unterminated tag at " << i;
    const std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) continue;
    if (tag[0] == '/') {
      const std::string name = Lower(tag.substr(1));
      ASSERT_FALSE(stack.empty()) << "</" << name << "> without a start tag";
      ASSERT_EQ(stack.back(), name) << "</" << name << "> closes <" << stack.back() << ">";
      stack.pop_back();
      continue;
    }
    size_t n = 0;
    while (n < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[n])) || tag[n] == '-')) {
      ++n;
    }
    const std::string name = Lower(tag.substr(0, n));
    ASSERT_FALSE(name.empty()) << "bad tag <" << tag << ">";
    if (tag.back() == '/' || kVoid.count(name)) continue;
    stack.push_back(name);
    if (name == "style") {
      const size_t close = html.find("</style>", i);
      ASSERT_NE(close, std::string::npos);
      i = close;
    }
  }
  EXPECT_TRUE(stack.empty()) << "unclosed <" << (stack.empty() ? "" : stack.back()) << ">";
}

// Each inline <svg> is well-formed XML with sound geometry.
int ExpectSoundInlineSvgs(const std::string& html) {
  int count = 0;
  size_t i = 0;
  while ((i = html.find("<svg", i)) != std::string::npos) {
    const size_t e = html.find("</svg>", i);
    EXPECT_NE(e, std::string::npos) << "unclosed <svg>";
    if (e == std::string::npos) break;
    const std::string svg = html.substr(i, e + 6 - i);
    const testing_report::XmlNode root = testing_report::ParseSvg(svg);
    testing_report::ExpectFiniteNumbers(root);
    testing_report::ExpectDataInsidePlot(root);
    ++count;
    i = e;
  }
  return count;
}

TEST(ReportHtml, SelfContainedBalancedAndComplete) {
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  const std::string html = ReportHtml(m, &k);
  ExpectNoExternalReferences(html);
  ExpectBalancedTags(html);
  EXPECT_EQ(ExpectSoundInlineSvgs(html), 4);  // roofline for 2 and 1 threads, staircase, latency
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  for (const char* id :
       {"roofline", "roofline-1", "kernels", "machine", "ceilings", "staircase", "latency"}) {
    EXPECT_NE(html.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  // Escaped machine text, every kernel, provenance, notes, theoretical beside measured.
  EXPECT_NE(html.find("Test CPU &lt;fast&gt; &amp; &quot;small&quot;"), std::string::npos);
  for (const auto& r : k.results) EXPECT_NE(html.find(r.name), std::string::npos);
  EXPECT_NE(html.find("class=\"src model\""), std::string::npos);
  EXPECT_NE(html.find("&lt;counters&gt; unavailable"), std::string::npos);
  EXPECT_NE(html.find("theoretical"), std::string::npos);
  EXPECT_NE(html.find("bound by DRAM"), std::string::npos);
}

TEST(ReportHtml, MachineOnly) {
  const std::string html = ReportHtml(SmallMachine(), nullptr);
  ExpectNoExternalReferences(html);
  ExpectBalancedTags(html);
  EXPECT_EQ(ExpectSoundInlineSvgs(html), 3);
  EXPECT_EQ(html.find("id=\"kernels\""), std::string::npos);
  ExpectNoExternalReferences(ReportHtml(Machine{}, nullptr));
  ExpectBalancedTags(ReportHtml(Machine{}, nullptr));
}

TEST(ReportHtml, HostileTextIsEscaped) {
  Machine m = SmallMachine();
  m.notes.push_back("<img src=x onerror=alert(1)> </style><script>x</script>");
  KernelsFile k = SampleKernels(m);
  k.results[0].name = "<b>bold</b>";
  k.results[0].advice = {"</td></tr></table>"};
  const std::string html = ReportHtml(m, &k);
  ExpectBalancedTags(html);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
}

// Where an executable of that name is on PATH, or "".
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string p = path;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find(':', start), p.size());
    const std::string candidate = p.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

TEST(ReportHtml, RendersInHeadlessChromium) {
  std::string chromium;
  for (const char* name : {"chromium", "chromium-browser"}) {
    if (chromium.empty()) chromium = FindOnPath(name);
  }
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (apt-get install -y chromium to run this check)";
  }
  if (std::getenv("ROOFPROF_SKIP_BROWSER") != nullptr) {
    GTEST_SKIP() << "ROOFPROF_SKIP_BROWSER is set (the render takes a few seconds)";
  }
  const testing_report::ScopedTempDir tmp;
  const std::string dir = tmp.path();
  const Machine m = SmallMachine();
  const KernelsFile k = SampleKernels(m);
  WriteReport(m, &k, dir);
  const std::string png = dir + "/shot.png";
  // A fresh profile, no network features, no sandbox (tests may run as root), bounded in time.
  const std::string cmd = "timeout 120 '" + chromium +
                          "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                          "--disable-background-networking --disable-component-update "
                          "--disable-sync --disable-dev-shm-usage --hide-scrollbars "
                          "--user-data-dir='" +
                          dir + "/profile' --screenshot='" + png +
                          "' --window-size=1200,2000 'file://" + dir +
                          "/report.html' "
                          ">'" +
                          dir + "/chromium.log' 2>&1";
  const int rc = std::system(cmd.c_str());
  // `timeout` exits 124 when the limit ran out: a machine too loaded to judge the page on.
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 124) {
    GTEST_SKIP() << "chromium did not finish within 120 s (machine overloaded?)";
  }
  ASSERT_TRUE(testing_report::FileExists(png))
      << "chromium wrote no screenshot (exit " << rc << "); see " << dir << "/chromium.log";
  testing_report::Image img;
  std::string err;
  ASSERT_TRUE(testing_report::DecodePng(testing_report::ReadAll(png), &img, &err)) << err;
  EXPECT_EQ(img.width, 1200);
  EXPECT_EQ(img.height, 2000);
  std::set<uint32_t> colours;
  size_t non_white = 0;
  const size_t pixels = img.rgb.size() / 3;
  for (size_t i = 0; i < pixels; ++i) {
    const uint8_t r = img.rgb[i * 3], g = img.rgb[i * 3 + 1], b = img.rgb[i * 3 + 2];
    colours.insert((static_cast<uint32_t>(r) << 16) | (g << 8) | b);
    non_white += r < 245 || g < 245 || b < 245;
  }
  // A blank page has one colour; text, charts and tables give hundreds (anti-aliasing).
  EXPECT_GT(colours.size(), 100u);
  EXPECT_GT(non_white, pixels / 20);
  // The dark header band is drawn: the style sheet was applied.
  const size_t at = (20 * static_cast<size_t>(img.width) + 20) * 3;
  EXPECT_LT(img.rgb[at] + img.rgb[at + 1] + img.rgb[at + 2], 3 * 90);
  // The roofline (a white card with grey and coloured lines) starts within the first screen:
  // many distinct colours in the band below the tiles.
  std::set<uint32_t> chart;
  for (int y = 400; y < 1100; ++y) {
    for (int x = 100; x < 1100; ++x) {
      const size_t p =
          (static_cast<size_t>(y) * static_cast<size_t>(img.width) + static_cast<size_t>(x)) * 3;
      chart.insert((static_cast<uint32_t>(img.rgb[p]) << 16) | (img.rgb[p + 1] << 8) |
                   img.rgb[p + 2]);
    }
  }
  EXPECT_GT(chart.size(), 50u);
}

}  // namespace
}  // namespace report
}  // namespace roofprof
