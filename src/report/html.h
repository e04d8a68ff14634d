// report.html: one self-contained page (inline CSS and SVG, no scripts, no external references)
// with the machine context, ceilings, kernel results and the charts.
#ifndef ROOFPROF_SRC_REPORT_HTML_H_
#define ROOFPROF_SRC_REPORT_HTML_H_

#include <string>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {
namespace report {

// Escapes text for HTML element content and quoted attribute values.
std::string HtmlEscape(const std::string& s);

// The whole page. `k` may be null (machine only).
std::string ReportHtml(const Machine& m, const KernelsFile* k);

}  // namespace report
}  // namespace roofprof

#endif  // ROOFPROF_SRC_REPORT_HTML_H_
