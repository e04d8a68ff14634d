// CSV writers for ceilings and kernel results.
#include "src/report/csv.h"

#include <cmath>
#include <cstdio>

#include "src/units.h"

namespace roofprof {
namespace report {

std::string CsvField(const std::string& s, bool text) {
  std::string v = s;
  if (text && !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) {
    v = "'" + v;
  }
  const bool quote = v.find_first_of(",\"\r\n") != std::string::npos ||
                     (!v.empty() && (v.front() == ' ' || v.back() == ' '));
  if (!quote) return v;
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvNumber(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += fields[i];
  }
  return out + "\r\n";
}

std::string CeilingsCsv(const Machine& m) {
  std::string out = CsvLine({"kind", "precision", "isa", "op", "level", "kernel", "threads", "best",
                             "median", "unit", "per_cycle_per_core", "per_cycle_unit",
                             "theoretical", "working_set_bytes", "source", "note"});
  for (const auto& c : m.compute) {
    out += CsvLine(
        {"compute", CsvField(c.precision), CsvField(c.isa), CsvField(c.op), "", "",
         std::to_string(c.threads), CsvNumber(c.gflops), CsvNumber(c.median_gflops), "GFLOP/s",
         CsvNumber(c.flops_per_cycle), "flop/cycle", CsvNumber(c.theoretical_gflops), "",
         CsvField(c.flops_source),
         std::isfinite(c.theoretical_gflops) ? "" : "core not recognised: no theoretical peak"});
  }
  for (const auto& b : m.bandwidth) {
    // Stores read the line before writing it (write-allocate) unless non-temporal.
    const bool writes = b.kernel == "store" || b.kernel == "copy" || b.kernel == "triad";
    const std::string note = writes && !m.write_allocate_counted
                                 ? "explicit bytes only: write-allocate reads not counted"
                                 : "";
    out += CsvLine({"bandwidth", "", CsvField(b.isa), "", CsvField(b.level), CsvField(b.kernel),
                    std::to_string(b.threads), CsvNumber(b.gbps), CsvNumber(b.median_gbps), "GB/s",
                    CsvNumber(b.bytes_per_cycle), "byte/cycle", "", std::to_string(b.bytes),
                    "model", note});
  }
  return out;
}

std::string KernelsCsv(const KernelsFile& k) {
  std::vector<std::string> header = {
      "number",  "name",           "shape",  "threads", "isa",   "precision",   "baseline",
      "seconds", "median_seconds", "spread", "gflops",  "flops", "flops_source"};
  for (int l = 0; l < kNumLevels; ++l) header.push_back(std::string("bytes_") + LevelName(l));
  header.push_back("bytes_source");
  header.push_back("compulsory_bytes");
  for (int l = 0; l < kNumLevels; ++l) header.push_back(std::string("ai_") + LevelName(l));
  for (const char* h : {"carm_ai", "bound", "attainable_gflops", "efficiency", "verify_error",
                        "events", "advice"}) {
    header.push_back(h);
  }
  std::string out = CsvLine(header);
  for (size_t i = 0; i < k.results.size(); ++i) {
    const KernelResult& r = k.results[i];
    std::vector<std::string> f = {
        std::to_string(i + 1),     CsvField(r.name),     CsvField(FormatShape(r.shape)),
        std::to_string(r.threads), CsvField(r.isa),      CsvField(r.precision),
        CsvField(r.baseline),      CsvNumber(r.seconds), CsvNumber(r.median_seconds),
        CsvNumber(r.spread),       CsvNumber(r.gflops),  CsvNumber(r.flops),
        CsvField(r.flops_source)};
    for (const double b : r.bytes) f.push_back(CsvNumber(b));
    f.push_back(CsvField(r.bytes_source));
    f.push_back(CsvNumber(r.compulsory_bytes));
    for (const double a : r.ai) f.push_back(CsvNumber(a));
    f.push_back(CsvNumber(r.carm_ai));
    f.push_back(CsvField(r.bound));
    f.push_back(CsvNumber(r.attainable_gflops));
    f.push_back(CsvNumber(r.efficiency));
    f.push_back(r.verify_error >= 0 ? CsvNumber(r.verify_error) : "");
    std::string events, advice;
    for (const auto& e : r.events) events += (events.empty() ? "" : "; ") + e;
    for (const auto& a : r.advice) advice += (advice.empty() ? "" : " | ") + a;
    f.push_back(CsvField(events));
    f.push_back(CsvField(advice));
    out += CsvLine(f);
  }
  return out;
}

}  // namespace report
}  // namespace roofprof
