// CSV export of ceilings (compute and bandwidth) and kernel results, with provenance columns.
#ifndef ROOFPROF_SRC_REPORT_CSV_H_
#define ROOFPROF_SRC_REPORT_CSV_H_

#include <string>
#include <vector>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {
namespace report {

// One RFC 4180 field: quoted when it holds a comma, quote, CR or LF, or edge spaces. Text
// fields (`text` true) that begin with =, +, - or @ get a leading apostrophe so spreadsheets
// do not run them as formulas.
std::string CsvField(const std::string& s, bool text = true);
// A number with 9 significant digits; empty for NaN and infinities (not applicable).
std::string CsvNumber(double v);
// Joins fields with commas and ends the line with CRLF, as RFC 4180 asks.
std::string CsvLine(const std::vector<std::string>& fields);

// ceilings.csv: one row per compute ceiling and per bandwidth ceiling.
std::string CeilingsCsv(const Machine& m);
// kernels.csv: one row per result, numbered as in the report, with flop and byte provenance.
std::string KernelsCsv(const KernelsFile& k);

}  // namespace report
}  // namespace roofprof

#endif  // ROOFPROF_SRC_REPORT_CSV_H_
