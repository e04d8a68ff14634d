// WriteReport: the directory holds every file, complete, and nothing half-written.
#include "src/report/report.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/src/report/fixtures.h"
#include "tests/src/report/report_test_util.h"

namespace roofprof {
namespace {

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  ::closedir(d);
  return out;
}

TEST(WriteReport, WritesEveryFile) {
  const testing_report::ScopedTempDir tmp;
  const std::string dir = tmp.path() + "/nested/out";
  const Machine m = testing_report::SmallMachine();
  const KernelsFile k = testing_report::SampleKernels(m);
  const auto written = WriteReport(m, &k, dir);
  const std::set<std::string> expected = {"roofline.svg", "roofline-1threads.svg", "staircase.svg",
                                          "latency.svg",  "report.html",           "ceilings.csv",
                                          "kernels.csv"};
  EXPECT_EQ(List(dir), expected);  // and no temporary files left behind
  EXPECT_EQ(written.size(), expected.size());
  for (const auto& p : written) {
    const std::string text = testing_report::ReadAll(p);
    EXPECT_FALSE(text.empty()) << p;
    if (p.size() > 4 && p.compare(p.size() - 4, 4, ".svg") == 0) {
      EXPECT_EQ(text.rfind("<?xml", 0), 0u) << p;
      testing_report::ParseSvg(text);
    }
  }
  EXPECT_NE(testing_report::ReadAll(dir + "/report.html").find("</html>"), std::string::npos);
}

TEST(WriteReport, MachineOnlyAndRewrite) {
  const testing_report::ScopedTempDir tmp;
  const std::string dir = tmp.path();
  const Machine m = testing_report::SmallMachine();
  WriteReport(m, nullptr, dir);
  WriteReport(m, nullptr, dir);  // a second run replaces the files in place
  const std::set<std::string> expected = {"roofline.svg", "staircase.svg", "latency.svg",
                                          "report.html",  "ceilings.csv",  "kernels.csv"};
  EXPECT_EQ(List(dir), expected);
  EXPECT_EQ(testing_report::ReadAll(dir + "/kernels.csv").find('\n'),
            testing_report::ReadAll(dir + "/kernels.csv").size() - 1);  // header only
}

}  // namespace
}  // namespace roofprof
