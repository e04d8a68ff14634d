// The report directory writer.
#include "src/report/report.h"

#include "src/io.h"
#include "src/report/charts.h"
#include "src/report/csv.h"
#include "src/report/html.h"

namespace roofprof {

std::vector<std::string> WriteReport(const Machine& m, const KernelsFile* k,
                                     const std::string& out_dir) {
  EnsureDirectory(out_dir);
  std::vector<std::string> written;
  const auto write = [&](const std::string& name, const std::string& content) {
    const std::string path = out_dir + "/" + name;
    WriteFileAtomic(path, content);
    written.push_back(path);
  };
  const std::vector<int> counts = report::RooflineThreadCounts(m, k);
  for (size_t i = 0; i < counts.size(); ++i) {
    const std::string name =
        i == 0 ? "roofline.svg" : "roofline-" + std::to_string(counts[i]) + "threads.svg";
    write(name, report::RooflineSvg(report::BuildRoofline(m, k, counts[i]), true));
  }
  write("staircase.svg", report::StaircaseSvg(m, true));
  write("latency.svg", report::LatencySvg(m, true));
  write("report.html", report::ReportHtml(m, k));
  write("ceilings.csv", report::CeilingsCsv(m));
  // Without results the table is its header alone, so the file set never depends on the input.
  write("kernels.csv", report::KernelsCsv(k != nullptr ? *k : KernelsFile{}));
  return written;
}

}  // namespace roofprof
