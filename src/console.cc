// Terminal tables. Numbers carry their provenance: "meas" (measured), "theo" (spec arithmetic),
// and for kernels the source of FLOP and byte counts (model, sde, counters).
#include "src/console.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "src/units.h"

namespace roofprof {
namespace {

std::string Num(double v, int width) {
  if (!std::isfinite(v)) return fmt::format("{:>{}}", "-", width);
  return fmt::format("{:>{}}", FormatRate(v), width);
}

std::vector<int> ThreadCounts(const Machine& m) {
  std::set<int> t;
  for (const auto& c : m.compute) t.insert(c.threads);
  for (const auto& b : m.bandwidth) t.insert(b.threads);
  return {t.begin(), t.end()};
}

}  // namespace

std::string MachineContextText(const Machine& m) {
  std::string s;
  s += fmt::format("CPU      {}{} ({}), {} cores / {} logical CPUs, {} usable\n", m.cpu.model,
                   m.cpu.core_name.empty() ? "" : " [" + m.cpu.core_name + "]", m.cpu.arch,
                   m.cpu.cores, m.cpu.logical_cpus, m.cpu.available_cpus);
  s += fmt::format("clock    {} GHz under load ({})\n", FormatRate(m.cpu.clock_ghz),
                   m.cpu.clock_source.empty() ? "source unknown" : m.cpu.clock_source);
  std::string targets;
  for (const auto& t : m.cpu.targets) targets += (targets.empty() ? "" : " ") + t;
  s += fmt::format("targets  {} (Highway, best first)\n", targets.empty() ? "unknown" : targets);
  std::string caches;
  for (const auto& c : m.caches) {
    caches += fmt::format("{}L{} {}{}", caches.empty() ? "" : "   ", c.level,
                          FormatBytes(static_cast<double>(c.size_bytes)),
                          c.cores_sharing > 1 ? fmt::format(" shared by {}", c.cores_sharing) : "");
    if (c.source == "sweep") caches += " (measured edge)";
  }
  s += fmt::format("caches   {}\n", caches);
  if (!m.notes.empty()) {
    s += "notes\n";
    for (const auto& n : m.notes) s += "  - " + n + "\n";
  }
  return s;
}

std::string ComputeTableText(const Machine& m) {
  const std::vector<int> threads = ThreadCounts(m);
  std::string s =
      "Compute ceilings (GFLOP/s measured, best of repetitions; f/c = flop/cycle per "
      "core; theo = spec arithmetic at the measured clock; int8 dot: 2 operations per 8-bit "
      "multiply-add)\n";
  s += fmt::format("  {:<6} {:<7} {:<8}", "prec", "isa", "op");
  for (const int t : threads)
    s += fmt::format(" | {:>3} thr: {:>7} {:>5} {:>7}", t, "GFLOP/s", "f/c", "theo");
  s += "\n";
  // Rows in the order measured (which is target order, best first).
  std::vector<std::tuple<std::string, std::string, std::string>> rows;
  for (const auto& c : m.compute) {
    const auto key = std::make_tuple(c.precision, c.isa, c.op);
    if (std::find(rows.begin(), rows.end(), key) == rows.end()) rows.push_back(key);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (const auto& [prec, isa, op] : rows) {
    s += fmt::format("  {:<6} {:<7} {:<8}", prec, isa, op);
    for (const int t : threads) {
      const ComputeCeiling* c = nullptr;
      for (const auto& x : m.compute) {
        if (x.precision == prec && x.isa == isa && x.op == op && x.threads == t) c = &x;
      }
      if (c == nullptr) {
        s += fmt::format(" | {:>8} {:>7} {:>5} {:>7}", "", "-", "-", "-");
      } else {
        s += fmt::format(" | {:>8} {} {} {}", "", Num(c->gflops, 7), Num(c->flops_per_cycle, 5),
                         Num(c->theoretical_gflops, 7));
      }
    }
    s += "\n";
  }
  return s;
}

std::string BandwidthTableText(const Machine& m) {
  const std::vector<int> threads = ThreadCounts(m);
  std::string s = fmt::format(
      "Bandwidth ceilings (GB/s measured, best of repetitions; B/c = byte/cycle per core; "
      "explicit bytes{})\n",
      m.write_allocate_counted ? ", write-allocate counted" : ", write-allocate not counted");
  s += fmt::format("  {:<5} {:<9}", "level", "kernel");
  for (const int t : threads)
    s += fmt::format(" | {:>3} thr: {:>10} {:>7} {:>5}", t, "working set", "GB/s", "B/c");
  s += "\n";
  for (int l = 0; l < kNumLevels; ++l) {
    for (const char* k : {"load", "store", "copy", "triad", "store_nt"}) {
      bool any = false;
      std::string row = fmt::format("  {:<5} {:<9}", LevelName(l), k);
      for (const int t : threads) {
        const BandwidthCeiling* b = FindBandwidth(m, LevelName(l), k, t);
        if (b == nullptr) {
          row += fmt::format(" | {:>8} {:>11} {:>7} {:>5}", "", "", "-", "-");
          continue;
        }
        any = true;
        row += fmt::format(" | {:>8} {:>11} {} {}", "", FormatBytes(static_cast<double>(b->bytes)),
                           Num(b->gbps, 7), Num(b->bytes_per_cycle, 5));
      }
      if (any) s += row + "\n";
    }
  }
  return s;
}

std::string KernelsTableText(const KernelsFile& k) {
  std::string s =
      "Kernels (time per run, best of repetitions; FLOPs and bytes from the source "
      "shown; AI = FLOP per DRAM byte; eff = attainable time / measured time)\n";
  s += fmt::format("  {:<20} {:<30} {:>3} {:>9} {:>8} {:>8} {:>7} {:<8} {:>5} {:<6} {}\n", "kernel",
                   "shape", "thr", "ms", "GFLOP/s", "DRAM GB/s", "AI", "bound", "eff", "source",
                   "check");
  for (const auto& r : k.results) {
    const double dram_gbps = r.seconds > 0 ? r.bytes[3] / r.seconds / 1e9 : 0;
    const std::string source =
        r.flops_source == r.bytes_source ? r.flops_source : r.flops_source + "/" + r.bytes_source;
    std::string check = "-";
    if (r.verify_error >= 0)
      check = r.verify_error <= 1 ? "ok" : fmt::format("FAIL({:.3g})", r.verify_error);
    s += fmt::format("  {:<20} {:<30} {:>3} {} {} {} {} {:<8} {:>5} {:<6} {}\n", r.name,
                     FormatShape(r.shape), r.threads, Num(r.seconds * 1e3, 9), Num(r.gflops, 8),
                     Num(dram_gbps, 9), Num(r.ai[3], 7), r.bound,
                     std::isfinite(r.efficiency) ? fmt::format("{:.0f}%", 100 * r.efficiency) : "-",
                     source, check);
  }
  bool any_advice = false;
  for (const auto& r : k.results) any_advice = any_advice || !r.advice.empty();
  if (any_advice) {
    s += "\nAdvice\n";
    for (const auto& r : k.results) {
      for (const auto& a : r.advice)
        s += fmt::format("  {} {}: {}\n", r.name, FormatShape(r.shape), a);
    }
  }
  if (!k.notes.empty()) {
    s += "\nNotes\n";
    for (const auto& n : k.notes) s += "  - " + n + "\n";
  }
  return s;
}

}  // namespace roofprof
