// Terminal roofline and text tables: size limits, ASCII fallback, content, golden output.
#include "src/report/terminal.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/src/report/fixtures.h"
#include "tests/src/report/report_test_util.h"

namespace roofprof {
namespace {

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

TEST(TerminalRoofline, FitsTheGivenBox) {
  const Machine m = testing_report::SmallMachine();
  const KernelsFile k = testing_report::SampleKernels(m);
  for (const bool unicode : {true, false}) {
    for (const auto& wh : std::vector<std::pair<int, int>>{{100, 24}, {60, 14}, {160, 40}}) {
      const std::string out = TerminalRoofline(m, &k, wh.first, wh.second, unicode);
      ASSERT_FALSE(out.empty());
      EXPECT_EQ(out.back(), '\n');
      const auto lines = Lines(out);
      ASSERT_GT(lines.size(), static_cast<size_t>(wh.second));
      // The chart block is exactly `height` lines of at most `width` columns; the key follows.
      for (int i = 1; i < wh.second; ++i) {
        EXPECT_LE(DisplayWidth(lines[static_cast<size_t>(i)]), static_cast<size_t>(wh.first))
            << "line " << i << ": " << lines[static_cast<size_t>(i)];
      }
      EXPECT_NE(lines[static_cast<size_t>(wh.second) - 2].find(unicode ? "\xE2\x94\x94" : "+"),
                std::string::npos);
      if (!unicode) {
        for (const char c : out) ASSERT_LT(static_cast<unsigned char>(c), 128);
      }
      // Every kernel of the main thread count has its letter in the key.
      for (const char* key :
           {"  A  1 gemv_f32", "  B  2 gemv_q8_0", "  C  3 gemm_f32", "  D  4 attn_decode"}) {
        EXPECT_NE(out.find(key), std::string::npos) << key;
      }
      EXPECT_NE(out.find("DRAM-bound"), std::string::npos);
    }
  }
}

TEST(TerminalRoofline, PointsAndCeilingsAreDrawn) {
  const Machine m = testing_report::SmallMachine();
  const KernelsFile k = testing_report::SampleKernels(m);
  const std::string out = TerminalRoofline(m, &k, 100, 24, true);
  const auto lines = Lines(out);
  std::string chart;
  for (size_t i = 1; i < 22; ++i) chart += lines[i] + "\n";
  for (const char* s : {"A", "B", "C", "D", "L1", "DRAM", "fp32 AVX3 400", "\xE2\x94\x81"}) {
    EXPECT_NE(chart.find(s), std::string::npos) << s;
  }
  bool braille = false;
  for (size_t i = 0; i + 2 < chart.size(); ++i) {
    braille |= chart[i] == '\xE2' && (chart[i + 1] == '\xA0' || chart[i + 1] == '\xA1' ||
                                      chart[i + 1] == '\xA2' || chart[i + 1] == '\xA3');
  }
  EXPECT_TRUE(braille);
}

TEST(TerminalRoofline, TinyAndEmptyInputsDoNotBreak) {
  const std::string tiny = TerminalRoofline(testing_report::SmallMachine(), nullptr, 5, 2, true);
  EXPECT_GE(Lines(tiny).size(), 12u);  // raised to the 40 x 12 minimum
  const std::string empty = TerminalRoofline(Machine{}, nullptr, 80, 20, false);
  EXPECT_EQ(Lines(empty).size(), 20u);
}

TEST(TextTable, AlignsColumns) {
  TextTable t;
  t.AddColumn("name");
  t.AddColumn("GB/s", TextTable::kRight);
  t.AddRow({"load", "401"});
  t.AddRow({"store_nt", "29.7"});
  t.AddRow({"x"});  // short rows are padded
  EXPECT_EQ(t.Render(false),
            "name      GB/s\n"
            "--------  ----\n"
            "load       401\n"
            "store_nt  29.7\n"
            "x\n");
  EXPECT_NE(t.Render(true).find("\xE2\x94\x80"), std::string::npos);
  EXPECT_EQ(DisplayWidth("\xC2\xB7\xE2\x94\x80x"), 3u);
}

// Golden files: regenerate as described at the top of report_test_util.h.
TEST(TerminalGolden, SmallFixture) {
  const Machine m = testing_report::SmallMachine();
  const KernelsFile k = testing_report::SampleKernels(m);
  testing_report::ExpectGolden("terminal-unicode.txt", TerminalRoofline(m, &k, 100, 24, true));
  testing_report::ExpectGolden("terminal-ascii.txt", TerminalRoofline(m, &k, 72, 18, false));
}

}  // namespace
}  // namespace roofprof
