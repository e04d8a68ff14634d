// The HTML report page: machine context, ceilings, kernel results and inline charts.
#include "src/report/html.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "src/report/charts.h"
#include "src/report/svg.h"
#include "src/roofline.h"
#include "src/units.h"

namespace roofprof {
namespace report {
namespace {

// The page's style. Fonts are the system's (no downloads); colours match the charts.
const char* const kCss = R"css(
:root{--fg:#1d2330;--muted:#5d6678;--line:#e4e7ec;--bg:#f4f5f7;--card:#fff;--head:#1f2a3c}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
  font:14px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",Roboto,Helvetica,Arial,sans-serif}
header{background:var(--head);color:#fff;padding:26px 0 22px}
.wrap{max-width:1140px;margin:0 auto;padding:0 28px}
header h1{margin:0;font-size:24px;font-weight:700;letter-spacing:-.01em}
header .sub{color:#c8d0de;margin-top:4px}
header .gen{color:#8e9ab0;font-size:12px;margin-top:2px}
main{padding:22px 0 40px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;
  padding:20px 24px;margin:0 0 20px;box-shadow:0 1px 2px rgba(20,30,50,.05)}
h2{font-size:18px;margin:0 0 4px}
h3{font-size:14px;margin:18px 0 8px;color:#333}
p.lead{margin:0 0 14px;color:var(--muted)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(165px,1fr));gap:12px;margin:0 0 20px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.tile .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.tile .v{font-size:26px;font-weight:700;line-height:1.2;margin-top:4px;font-variant-numeric:tabular-nums}
.tile .u{font-size:13px;font-weight:500;color:var(--muted);margin-left:3px}
.tile .d{font-size:12px;color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:5px 22px;margin:8px 0 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
.notes{list-style:none;padding:0;margin:10px 0 0}
.notes li{padding:7px 12px;border-radius:6px;margin:0 0 6px;background:#f3f5f8;border-left:4px solid #9aa6ba}
.notes li.warn{background:#fff6e0;border-left-color:#e0a100}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
  background:#f8f9fb;font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}
tbody tr:hover{background:#fafbfd}
.scroll{overflow-x:auto}
.nw{white-space:nowrap}
tr.main td{border-bottom:none;padding-bottom:2px}
tr.adv-row td{padding-top:0;font-size:13px;color:#394255}
.sm{font-size:12px;color:var(--muted)}
.dot{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.b-compute{background:#e6effa;color:#24588f}
.b-L1{background:#e7f5e9;color:#2b6b34}
.b-L2{background:#eef6dc;color:#55701d}
.b-L3{background:#fdf0dc;color:#8b5a12}
.b-DRAM{background:#fbe4e4;color:#9b2c2c}
.b-unknown{background:#eceef2;color:#555}
.src{display:inline-block;font-size:11px;padding:0 6px;border-radius:4px;background:#eef0f4;color:#3d4556;margin-left:4px}
.src.model{background:#eef0f4}
.src.counters{background:#e3f4e6;color:#23602f}
.src.sde{background:#e6effa;color:#24588f}
.src.user{background:#fdf0dc;color:#8b5a12}
.bar{position:relative;height:8px;background:#edf0f4;border-radius:4px;min-width:70px;margin-top:6px}
.bar>span{position:absolute;left:0;top:0;bottom:0;border-radius:4px;background:#4e79a7}
.adv{margin:0;padding-left:18px}
.adv li{margin:0 0 2px}
figure{margin:0}
figure svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:13px;margin-top:10px}
.theo{color:var(--muted);font-size:12px;font-weight:400}
footer{color:var(--muted);font-size:12px;padding:0 0 30px}
)css";

std::string E(const std::string& s) { return HtmlEscape(s); }

std::string Threads(int t) { return std::to_string(t) + (t == 1 ? " thread" : " threads"); }

std::string Num(double v) { return std::isfinite(v) ? FormatRate(v) : "&ndash;"; }

std::string BoundBadge(const std::string& bound) {
  const std::string b = bound.empty() ? "unknown" : bound;
  const bool known = b == "compute" || LevelFromName(b) >= 0;
  return "<span class=\"badge b-" + (known ? b : std::string("unknown")) + "\">" + E(b) + "</span>";
}

std::string SourceTag(const std::string& src) {
  const bool known = IsKnownSource(src);
  return "<span class=\"src" + (known ? " " + src : std::string()) + "\" title=\"provenance\">" +
         E(src) + "</span>";
}

std::string Tile(const std::string& key, const std::string& value, const std::string& unit,
                 const std::string& detail) {
  return "<div class=\"tile\"><div class=\"k\">" + E(key) + "</div><div class=\"v\">" + E(value) +
         "<span class=\"u\">" + E(unit) + "</span></div><div class=\"d\">" + E(detail) +
         "</div></div>\n";
}

// Notes that ask the reader to distrust or qualify a number get the warning style.
bool IsWarning(const std::string& note) {
  for (const char* w : {"hypervisor", "varied", "unavailable", "not available", "disabled",
                        "limited", "noisy", "failed", "matches no", "scaled", "quick"}) {
    if (note.find(w) != std::string::npos) return true;
  }
  return false;
}

int MaxThreads(const Machine& m) {
  int t = 1;
  for (const auto& c : m.compute) t = std::max(t, c.threads);
  for (const auto& b : m.bandwidth) t = std::max(t, b.threads);
  return t;
}

std::string Tiles(const Machine& m) {
  std::string out = "<div class=\"tiles\">\n";
  const int T = MaxThreads(m);
  const Ceilings c32 = SelectCeilings(m, "fp32", T);
  if (c32.compute_gflops > 0) {
    out += Tile("Peak fp32", FormatRate(c32.compute_gflops), "GFLOP/s", c32.compute_label);
  }
  bool has64 = false;
  for (const auto& c : m.compute) has64 |= c.precision == "fp64";
  if (has64) {
    const Ceilings c64 = SelectCeilings(m, "fp64", T);
    if (c64.compute_gflops > 0) {
      out += Tile("Peak fp64", FormatRate(c64.compute_gflops), "GFLOP/s", c64.compute_label);
    }
  }
  for (const int l : {0, 3}) {
    const double bw = c32.gbps[static_cast<size_t>(l)];
    if (bw > 0) {
      out += Tile(std::string(LevelName(l)) + " bandwidth", FormatRate(bw), "GB/s",
                  c32.labels[static_cast<size_t>(l)]);
    }
  }
  if (c32.compute_gflops > 0 && c32.gbps[3] > 0) {
    out += Tile("Ridge point", FormatRate(c32.compute_gflops / c32.gbps[3]), "FLOP/B",
                "fp32 roof over DRAM bandwidth");
  }
  if (m.cpu.clock_ghz > 0) {
    out += Tile("Clock under load", FormatRate(m.cpu.clock_ghz), "GHz",
                m.cpu.nominal_ghz > 0 ? "nominal " + FormatRate(m.cpu.nominal_ghz) + " GHz"
                                      : "measured with a dependent add chain");
  }
  return out + "</div>\n";
}

std::string MachineSection(const Machine& m, const KernelsFile* k) {
  std::string out = "<section class=\"card\" id=\"machine\"><h2>Machine</h2>\n";
  out +=
      "<p class=\"lead\">What the numbers below were measured on, and what to keep in mind "
      "when reading them.</p>\n<dl class=\"facts\">\n";
  const auto fact = [&](const std::string& k2, const std::string& v) {
    if (!v.empty()) out += "<dt>" + E(k2) + "</dt><dd>" + E(v) + "</dd>\n";
  };
  std::string cpu = m.cpu.model.empty() ? "unknown" : m.cpu.model;
  if (!m.cpu.core_name.empty()) cpu += " (" + m.cpu.core_name + " core)";
  fact("CPU", cpu);
  fact("Vendor / architecture", m.cpu.vendor + (m.cpu.arch.empty() ? "" : " / " + m.cpu.arch));
  fact("Cores", std::to_string(m.cpu.cores) + " cores, " + std::to_string(m.cpu.logical_cpus) +
                    " logical CPUs, " + std::to_string(m.cpu.available_cpus) +
                    " available to roofprof");
  if (m.cpu.clock_ghz > 0) {
    fact("Clock under load",
         FormatRate(m.cpu.clock_ghz) + " GHz" +
             (m.cpu.clock_source.empty() ? "" : " (" + m.cpu.clock_source + ")"));
  }
  if (m.cpu.nominal_ghz > 0) fact("Nominal clock", FormatRate(m.cpu.nominal_ghz) + " GHz");
  fact("Virtual machine", m.cpu.hypervisor ? "yes: a hypervisor is present" : "no");
  std::string targets;
  for (const auto& t : m.cpu.targets) targets += (targets.empty() ? "" : ", ") + t;
  fact("SIMD targets", targets.empty() ? "unknown" : targets + " (best first)");
  fact("Stores counted", m.write_allocate_counted
                             ? "explicit bytes plus the write-allocate read"
                             : "explicit bytes only (the write-allocate read of a store is not "
                               "counted; store_nt avoids it)");
  fact("Probed", m.created + (m.quick ? " with --quick (fewer repetitions)" : "") +
                     (m.tool_version.empty() ? "" : ", roofprof " + m.tool_version));
  out += "</dl>\n";
  if (!m.caches.empty()) {
    out +=
        "<h3>Caches</h3><div class=\"scroll\"><table><thead><tr><th>Level</th>"
        "<th class=\"n\">Size (one instance)</th><th class=\"n\">Shared by</th>"
        "<th>Size from</th><th class=\"n\">Edge the sweep found</th></tr></thead><tbody>\n";
    for (const auto& c : m.caches) {
      out += "<tr><td>L" + std::to_string(c.level) + "</td><td class=\"n\">" +
             E(FormatBytes(static_cast<double>(c.size_bytes))) + "</td><td class=\"n\">" +
             std::to_string(c.cores_sharing) + (c.cores_sharing == 1 ? " core" : " cores") +
             "</td><td>" + E(c.source) + "</td><td class=\"n\">" +
             (c.detected_bytes > 0 ? E(FormatBytes(static_cast<double>(c.detected_bytes)))
                                   : std::string("not seen")) +
             "</td></tr>\n";
    }
    out += "</tbody></table></div>\n";
  }
  std::vector<std::string> notes = m.notes;
  if (k != nullptr) {
    for (const auto& n : k->notes) notes.push_back(n);
    if (!k->machine_created.empty() && !m.created.empty() && k->machine_created != m.created) {
      notes.push_back("the kernel results were classified against a machine.json probed " +
                      k->machine_created + ", not this one (" + m.created + ")");
    }
  }
  if (!notes.empty()) {
    out += "<h3>Notes and warnings</h3><ul class=\"notes\">\n";
    for (const auto& n : notes) {
      out += std::string("<li") + (IsWarning(n) ? " class=\"warn\"" : "") + ">" + E(n) + "</li>\n";
    }
    out += "</ul>\n";
  }
  return out + "</section>\n";
}

std::string KernelsSection(const KernelsFile& k) {
  std::string out = "<section class=\"card\" id=\"kernels\"><h2>Kernels</h2>\n";
  out +=
      "<p class=\"lead\">Each result against the measured ceilings for its precision and "
      "thread count: the resource whose lower bound on time is largest binds it; efficiency "
      "is that bound over the measured time.</p>\n";
  if (k.results.empty()) return out + "<p>No kernel results.</p></section>\n";
  out +=
      "<div class=\"scroll\"><table><thead><tr><th>#</th><th>Kernel</th><th class=\"n\">"
      "Threads</th><th>ISA</th><th class=\"n\">GFLOP/s</th><th class=\"n\">Attainable GFLOP/s</th>"
      "<th>Efficiency</th><th>Bound</th><th class=\"n\">Time</th></tr></thead>"
      "<tbody>\n";
  for (size_t i = 0; i < k.results.size(); ++i) {
    const KernelResult& r = k.results[i];
    const double eff = std::isfinite(r.efficiency) ? r.efficiency : 0;
    const double bar = std::clamp(eff, 0.0, 1.0) * 100;
    char width[32];
    std::snprintf(width, sizeof(width), "%.1f", bar);
    std::string time = Num(r.seconds * 1e3) + " ms";
    if (std::isfinite(r.median_seconds) && r.median_seconds > 0) {
      time += "<div class=\"sm\">median " + Num(r.median_seconds * 1e3) + " ms</div>";
    }
    std::string advice;
    for (const auto& a : r.advice) advice += "<li>" + E(a) + "</li>";
    out += std::string("<tr") + (advice.empty() ? "" : " class=\"main\"") +
           "><td class=\"nw\"><span class=\"dot\" style=\"background:" + KernelColor(i) +
           "\"></span>" + std::to_string(i + 1) + "</td><td><strong>" + E(r.name) +
           "</strong><div class=\"sm\">" + E(FormatShape(r.shape)) +
           (r.description.empty() ? "" : " &middot; " + E(r.description)) +
           (r.baseline.empty() ? "" : " &middot; baseline " + E(r.baseline)) +
           "</div></td><td class=\"n\">" + std::to_string(r.threads) + "</td><td>" +
           E(r.isa.empty() ? "-" : r.isa) + "<div class=\"sm\">" + E(r.precision) +
           "</div></td><td class=\"n\"><strong>" + Num(r.gflops) +
           "</strong></td><td class=\"n\">" + Num(r.attainable_gflops) + "</td><td>" +
           (std::isfinite(r.efficiency) ? FormatRate(r.efficiency * 100) + "%"
                                        : std::string("&ndash;")) +
           "<div class=\"bar\"><span style=\"width:" + width + "%\"></span></div></td><td>" +
           BoundBadge(r.bound) + "</td><td class=\"n\">" + time + "</td></tr>\n";
    if (!advice.empty()) {
      out += "<tr class=\"adv-row\"><td></td><td colspan=\"8\"><ul class=\"adv\">" + advice +
             "</ul></td></tr>\n";
    }
  }
  out += "</tbody></table></div>\n";

  // Work and intensity with provenance.
  out +=
      "<h3>Work, traffic and intensity</h3><div class=\"scroll\"><table><thead><tr><th>#</th>"
      "<th>Kernel</th><th class=\"n\">FLOPs</th>";
  for (int l = 0; l < kNumLevels; ++l) {
    out += std::string("<th class=\"n\">Bytes ") + LevelName(l) + "</th>";
  }
  for (int l = 0; l < kNumLevels; ++l)
    out += std::string("<th class=\"n\">AI ") + LevelName(l) + "</th>";
  out += "<th class=\"n\">CARM AI</th></tr></thead><tbody>\n";
  for (size_t i = 0; i < k.results.size(); ++i) {
    const KernelResult& r = k.results[i];
    out += "<tr><td>" + std::to_string(i + 1) + "</td><td>" + E(r.name) + "</td><td class=\"n\">" +
           Num(r.flops / 1e6) + " M" + SourceTag(r.flops_source) + "</td>";
    for (int l = 0; l < kNumLevels; ++l) {
      out += "<td class=\"n\">" + E(FormatBytes(r.bytes[static_cast<size_t>(l)])) +
             (l == 0 ? SourceTag(r.bytes_source) : "") + "</td>";
    }
    for (int l = 0; l < kNumLevels; ++l) {
      const double ai = r.ai[static_cast<size_t>(l)];
      out += "<td class=\"n\">" + (std::isinf(ai) ? std::string("&infin;") : Num(ai)) + "</td>";
    }
    out += "<td class=\"n\">" + Num(r.carm_ai) + "</td></tr>\n";
  }
  out +=
      "</tbody></table></div>\n<p class=\"sm\">AI = FLOPs / bytes moved at that level "
      "(FLOP/byte); &infin; where no bytes move there (the data stays closer to the core). "
      "CARM AI counts the bytes the core loads and stores. Provenance: <em>model</em> = the "
      "kernel's analytic count, <em>counters</em> = hardware events, <em>sde</em> = "
      "software-defined events, <em>user</em> = given on the command line.</p>\n";
  return out + "</section>\n";
}

std::string CeilingsSection(const Machine& m) {
  std::string out = "<section class=\"card\" id=\"ceilings\"><h2>Ceilings</h2>\n";
  out +=
      "<p class=\"lead\">Best of the repetitions. Theoretical peaks (spec-sheet arithmetic for "
      "the recognised core) are shown beside the measured ones, never instead of them. int8 "
      "rows count each 8-bit multiply-add of a dot product as 2 operations, as FMA rows do.</p>\n";
  std::set<int> threads;
  for (const auto& c : m.compute) threads.insert(c.threads);
  // Rows: precision (fp32 first, then fp64, then the rest) and ISA (best target first).
  // Columns: the single-kind peak (kPeakOps: fma, mul+add without FMA, dot for int8), then the
  // other ops.
  const auto rank = [](const std::vector<std::string>& order, const std::string& x) {
    return std::find(order.begin(), order.end(), x) - order.begin();
  };
  const std::vector<std::string> precision_order = {"fp32", "fp64", "bf16", "fp16", "int8"};
  for (const int t : threads) {
    std::vector<std::pair<std::string, std::string>> rows;
    std::vector<std::string> ops;
    for (const auto& c : m.compute) {
      if (c.threads != t) continue;
      const auto key = std::make_pair(c.precision, c.isa);
      if (std::find(rows.begin(), rows.end(), key) == rows.end()) rows.push_back(key);
      const bool peak = std::find_if(std::begin(kPeakOps), std::end(kPeakOps), [&](const char* op) {
                          return c.op == op;
                        }) != std::end(kPeakOps);
      if (!peak && std::find(ops.begin(), ops.end(), c.op) == ops.end()) {
        ops.push_back(c.op);
      }
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      const auto pa = rank(precision_order, a.first), pb = rank(precision_order, b.first);
      if (pa != pb) return pa < pb;
      return rank(m.cpu.targets, a.second) < rank(m.cpu.targets, b.second);
    });
    const std::vector<std::string> op_order = {"fma+add", "add", "mul"};
    std::stable_sort(ops.begin(), ops.end(), [&](const std::string& a, const std::string& b) {
      return rank(op_order, a) < rank(op_order, b);
    });
    out += "<h3>Compute, " + Threads(t) +
           " (GFLOP/s)</h3><div class=\"scroll\"><table><thead>"
           "<tr><th>Precision</th><th>ISA</th><th class=\"n\">peak: fma, mul+add or dot</th>";
    for (const auto& op : ops) out += "<th class=\"n\">" + E(op) + "</th>";
    out += "</tr></thead><tbody>\n";
    const auto cell = [&](const ComputeCeiling* c) {
      if (c == nullptr) return std::string("<td class=\"n\">&ndash;</td>");
      std::string v = "<td class=\"n\"><strong>" + Num(c->gflops) + "</strong>";
      if (c->op != "fma") v += " <span class=\"theo\">(" + E(c->op) + ")</span>";
      v += "<div class=\"theo\">" + Num(c->flops_per_cycle) + " flop/cycle per core</div>";
      if (std::isfinite(c->theoretical_gflops) && c->theoretical_gflops > 0) {
        v += "<div class=\"theo\">" + FormatRate(c->gflops / c->theoretical_gflops * 100) +
             "% of " + Num(c->theoretical_gflops) + " theoretical</div>";
      }
      return v + "</td>";
    };
    for (const auto& row : rows) {
      const auto find = [&](const std::string& op) -> const ComputeCeiling* {
        for (const auto& x : m.compute) {
          if (x.threads == t && x.precision == row.first && x.isa == row.second && x.op == op) {
            return &x;
          }
        }
        return nullptr;
      };
      const ComputeCeiling* peak = FindPeak(m, row.first, t, row.second);
      out += "<tr><td>" + E(row.first) + "</td><td>" + E(row.second) + "</td>" + cell(peak);
      for (const auto& op : ops) out += cell(find(op));
      out += "</tr>\n";
    }
    out += "</tbody></table></div>\n";
  }
  std::set<int> bthreads;
  for (const auto& b : m.bandwidth) bthreads.insert(b.threads);
  for (const int t : bthreads) {
    std::vector<std::string> kernels;
    for (const auto& b : m.bandwidth) {
      if (b.threads == t && std::find(kernels.begin(), kernels.end(), b.kernel) == kernels.end()) {
        kernels.push_back(b.kernel);
      }
    }
    out += "<h3>Bandwidth, " + Threads(t) +
           " (GB/s)</h3><div class=\"scroll\"><table><thead>"
           "<tr><th>Level</th>";
    for (const auto& k : kernels) out += "<th class=\"n\">" + E(k) + "</th>";
    out += "<th class=\"n\">Working set</th></tr></thead><tbody>\n";
    for (int l = 0; l < kNumLevels; ++l) {
      std::string cells;
      uint64_t ws = 0;
      bool any = false;
      for (const auto& k : kernels) {
        const BandwidthCeiling* b = FindBandwidth(m, LevelName(l), k, t);
        if (b == nullptr) {
          cells += "<td class=\"n\">&ndash;</td>";
          continue;
        }
        any = true;
        ws = std::max(ws, b->bytes);
        cells += "<td class=\"n\"><strong>" + Num(b->gbps) + "</strong><div class=\"theo\">" +
                 Num(b->bytes_per_cycle) + " B/cycle per core</div></td>";
      }
      if (!any) continue;
      out += std::string("<tr><td>") + LevelName(l) + "</td>" + cells + "<td class=\"n\">" +
             E(FormatBytes(static_cast<double>(ws))) + "</td></tr>\n";
    }
    out += "</tbody></table></div>\n";
  }
  if (m.compute.empty() && m.bandwidth.empty()) out += "<p>No ceilings were measured.</p>\n";
  return out + "</section>\n";
}

std::string Figure(const std::string& id, const std::string& title, const std::string& svg,
                   const std::string& caption) {
  return "<section class=\"card\" id=\"" + id + "\"><h2>" + E(title) + "</h2><figure>\n" + svg +
         "<figcaption>" + caption + "</figcaption></figure></section>\n";
}

}  // namespace

std::string HtmlEscape(const std::string& s) { return svg::XmlEscape(s); }

std::string ReportHtml(const Machine& m, const KernelsFile* k) {
  std::string cpu = m.cpu.model.empty() ? "unknown CPU" : m.cpu.model;
  if (!m.cpu.core_name.empty()) cpu += " (" + m.cpu.core_name + ")";
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>roofprof report: " +
      E(cpu) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n";
  out += "<header><div class=\"wrap\"><h1>Roofline report</h1><div class=\"sub\">" + E(cpu) +
         " &middot; " + std::to_string(m.cpu.cores) + " cores" +
         (m.cpu.clock_ghz > 0 ? " &middot; " + E(FormatRate(m.cpu.clock_ghz)) + " GHz" : "") +
         "</div><div class=\"gen\">roofprof " + E(m.tool_version) + " &middot; machine probed " +
         E(m.created) +
         (k != nullptr && !k->created.empty() ? " &middot; kernels run " + E(k->created) : "") +
         "</div></div></header>\n<main><div class=\"wrap\">\n";
  out += Tiles(m);
  const std::vector<int> counts = RooflineThreadCounts(m, k);
  for (size_t i = 0; i < counts.size(); ++i) {
    const RooflineData d = BuildRoofline(m, k, counts[i]);
    const std::string caption =
        "Log-log: a horizontal line is a compute ceiling, a diagonal a bandwidth ceiling "
        "(performance = bandwidth &times; intensity); they meet at the ridge points. Each kernel "
        "is drawn at its measured GFLOP/s once per memory level, at that level's arithmetic "
        "intensity, joined by a line; the ring marks its cache-aware (CARM) intensity. The "
        "nearer a point sits under the line of its level, the more that level binds it.";
    out += Figure(i == 0 ? "roofline" : "roofline-" + std::to_string(counts[i]),
                  "Roofline, " + Threads(counts[i]), RooflineSvg(d, false), caption);
    if (i == 0 && k != nullptr) out += KernelsSection(*k);
  }
  out += MachineSection(m, k);
  out += CeilingsSection(m);
  out += Figure("staircase", "Bandwidth staircase", StaircaseSvg(m, false),
                "Bandwidth of each probe kernel as the working set grows: a plateau per cache "
                "level, a step down where the working set outgrows it. Dashed lines mark the "
                "reported cache sizes (times the instances the threads use); dotted lines the "
                "edges the sweep found where they differ.");
  out += Figure("latency", "Latency", LatencySvg(m, false),
                "A random cyclic pointer chase defeats the prefetchers, so each step is the "
                "load-to-use latency of the level the working set lives in.");
  out += "</div></main>\n<footer><div class=\"wrap\">Generated by roofprof " + E(m.tool_version) +
         ". This page is self-contained: charts are inline SVG, no scripts, fonts or "
         "images are loaded.</div></footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace report
}  // namespace roofprof
