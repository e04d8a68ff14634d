// CSV export: quoting, formula guard, one row per ceiling and result, provenance columns.
#include "src/report/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/src/report/fixtures.h"
#include "tests/src/report/report_test_util.h"

namespace roofprof {
namespace report {
namespace {

// RFC 4180 reader: rows of fields, quotes honoured, CRLF line ends required.
std::vector<std::vector<std::string>> ParseCsv(const std::string& s) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      EXPECT_TRUE(field.empty()) << "quote inside an unquoted field";
      quoted = was_quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\r') {
      EXPECT_TRUE(i + 1 < s.size() && s[i + 1] == '\n') << "CR without LF";
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
      rows.emplace_back();
      ++i;
    } else {
      EXPECT_NE(c, '\n') << "bare LF outside quotes";
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  EXPECT_TRUE(field.empty() && !was_quoted) << "last line not terminated";
  rows.pop_back();
  return rows;
}

size_t Column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

TEST(Csv, FieldQuotingAndFormulaGuard) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(" padded"), "\" padded\"");
  EXPECT_EQ(CsvField("=1+2"), "'=1+2");
  EXPECT_EQ(CsvField("@cmd"), "'@cmd");
  EXPECT_EQ(CsvField("-5", false), "-5");
  EXPECT_EQ(CsvNumber(1.5), "1.5");
  EXPECT_EQ(CsvNumber(NAN), "");
  EXPECT_EQ(CsvNumber(INFINITY), "");
  EXPECT_EQ(CsvNumber(123456789012.0), "1.23456789e+11");
  EXPECT_EQ(CsvLine({"a", "b"}), "a,b\r\n");
}

TEST(Csv, CeilingsOneRowEachWithProvenance) {
  const Machine m = testing_report::SmallMachine();
  const auto rows = ParseCsv(CeilingsCsv(m));
  ASSERT_EQ(rows.size(), 1 + m.compute.size() + m.bandwidth.size());
  const auto& h = rows[0];
  for (const auto& r : rows) EXPECT_EQ(r.size(), h.size());
  const size_t kind = Column(h, "kind"), best = Column(h, "best"), theo = Column(h, "theoretical"),
               src = Column(h, "source"), unit = Column(h, "unit"), note = Column(h, "note");
  EXPECT_EQ(rows[1][kind], "compute");
  EXPECT_EQ(rows[1][unit], "GFLOP/s");
  EXPECT_DOUBLE_EQ(std::stod(rows[1][best]), m.compute[0].gflops);
  EXPECT_DOUBLE_EQ(std::stod(rows[1][theo]), m.compute[0].theoretical_gflops);
  EXPECT_EQ(rows[1][src], "model");
  EXPECT_EQ(rows[2][theo], "");                     // NaN: not known
  const auto& bw = rows[1 + m.compute.size() + 1];  // L1 store, 1 thread
  EXPECT_EQ(bw[kind], "bandwidth");
  EXPECT_EQ(bw[unit], "GB/s");
  EXPECT_EQ(bw[Column(h, "kernel")], "store");
  EXPECT_NE(bw[note].find("write-allocate"), std::string::npos);
}

TEST(Csv, KernelsOneRowEachWithProvenance) {
  const Machine m = testing_report::SmallMachine();
  KernelsFile k = testing_report::SampleKernels(m);
  k.results[1].bytes_source = "counters";
  k.results[1].events = {"PAPI_L1_DCM", "PAPI_L2_TCM"};
  const auto rows = ParseCsv(KernelsCsv(k));
  ASSERT_EQ(rows.size(), 1 + k.results.size());
  const auto& h = rows[0];
  for (const auto& r : rows) EXPECT_EQ(r.size(), h.size());
  EXPECT_EQ(rows[1][Column(h, "shape")], "m=1,n=4096,k=4096");
  EXPECT_EQ(rows[1][Column(h, "flops_source")], "model");
  EXPECT_EQ(rows[2][Column(h, "bytes_source")], "counters");
  EXPECT_EQ(rows[2][Column(h, "events")], "PAPI_L1_DCM; PAPI_L2_TCM");
  EXPECT_EQ(rows[4][Column(h, "ai_DRAM")], "");  // attn_decode: no DRAM bytes, infinite AI
  EXPECT_EQ(rows[4][Column(h, "bound")], "L3");
  EXPECT_DOUBLE_EQ(std::stod(rows[3][Column(h, "gflops")]), 310);
  EXPECT_EQ(rows[5][Column(h, "number")], "5");
  EXPECT_EQ(ParseCsv(KernelsCsv(KernelsFile{})).size(), 1u);  // header alone
}

// Golden files: regenerate as described at the top of report_test_util.h.
TEST(CsvGolden, SmallFixture) {
  const Machine m = testing_report::SmallMachine();
  testing_report::ExpectGolden("ceilings.csv", CeilingsCsv(m));
  testing_report::ExpectGolden("kernels.csv", KernelsCsv(testing_report::SampleKernels(m)));
}

}  // namespace
}  // namespace report
}  // namespace roofprof
