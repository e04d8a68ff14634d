// Machine and kernel-result comparison: matching, ratios, text and JSON.
#include "src/report/compare.h"

#include <sys/stat.h>

#include <cmath>
#include <limits>
#include <map>

#include "src/error.h"
#include "src/io.h"
#include "src/json_util.h"
#include "src/report/terminal.h"
#include "src/units.h"

namespace roofprof {
namespace report {
namespace {

// Same limit the loaders use: a machine.json or kernels.json is far smaller.
constexpr uint64_t kMaxInput = 64u << 20;

std::string Threads(int t) { return std::to_string(t) + (t == 1 ? " thread" : " threads"); }

double Ratio(double num, double den) {
  return std::isfinite(num) && std::isfinite(den) && num > 0 && den > 0
             ? num / den
             : std::numeric_limits<double>::quiet_NaN();
}

std::string MachineDesc(const Machine& m) {
  std::string s = m.cpu.model.empty() ? "unknown CPU" : m.cpu.model;
  if (!m.cpu.core_name.empty()) s += " (" + m.cpu.core_name + ")";
  if (!m.created.empty()) s += ", probed " + m.created;
  return s;
}

// Keys in order of first appearance; a key seen again gets " #2", " #3"...
template <typename T, typename KeyFn>
std::vector<std::pair<std::string, const T*>> Keyed(const std::vector<T>& v, KeyFn key) {
  std::vector<std::pair<std::string, const T*>> out;
  std::map<std::string, int> seen;
  for (const auto& x : v) {
    std::string k = key(x);
    const int n = ++seen[k];
    if (n > 1) k += " #" + std::to_string(n);
    out.push_back({k, &x});
  }
  return out;
}

// Pairs A's and B's entries by key, calling `row` for each match; records the rest.
template <typename T, typename KeyFn, typename RowFn>
void Match(const std::vector<T>& a, const std::vector<T>& b, const std::string& section, KeyFn key,
           RowFn row, Comparison* c) {
  const auto ka = Keyed(a, key);
  const auto kb = Keyed(b, key);
  std::map<std::string, const T*> bmap;
  for (const auto& x : kb) bmap[x.first] = x.second;
  std::map<std::string, bool> used;
  for (const auto& x : ka) {
    const auto it = bmap.find(x.first);
    if (it == bmap.end()) {
      c->only_a.push_back(section + ": " + x.first);
      continue;
    }
    used[x.first] = true;
    c->rows.push_back(row(x.first, *x.second, *it->second));
  }
  for (const auto& x : kb) {
    if (!used.count(x.first)) c->only_b.push_back(section + ": " + x.first);
  }
}

void Summarise(Comparison* c, const std::vector<std::string>& sections) {
  for (const auto& s : sections) {
    double log_sum = 0;
    int n = 0;
    for (const auto& r : c->rows) {
      if (r.section == s && std::isfinite(r.ratio) && r.ratio > 0) {
        log_sum += std::log(r.ratio);
        ++n;
      }
    }
    if (n > 0) c->summary.push_back({s, std::exp(log_sum / n), n});
  }
}

std::string FormatRatio(double r) {
  if (!std::isfinite(r)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", r);
  return buf;
}

std::string FormatValue(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "n/a";
  if (unit == "bytes") return FormatBytes(v);
  return FormatRate(v);
}

OrderedJson ToJson(const Comparison& c) {
  OrderedJson j;
  j["schema"] = kCompareSchema;
  j["kind"] = c.kind;
  j["a"] = {{"file", c.a_file}, {"description", c.a_desc}};
  j["b"] = {{"file", c.b_file}, {"description", c.b_desc}};
  OrderedJson rows = OrderedJson::array();
  for (const auto& r : c.rows) {
    rows.push_back({{"section", r.section},
                    {"key", r.key},
                    {"unit", r.unit},
                    {"a", NumberOrNull(r.a)},
                    {"b", NumberOrNull(r.b)},
                    {"ratio", NumberOrNull(r.ratio)},
                    {"note", r.note}});
  }
  j["rows"] = rows;
  OrderedJson summary = OrderedJson::array();
  for (const auto& s : c.summary) {
    summary.push_back({{"section", s.section},
                       {"geomean_ratio", NumberOrNull(s.geomean_ratio)},
                       {"count", s.count}});
  }
  j["summary"] = summary;
  j["only_a"] = c.only_a;
  j["only_b"] = c.only_b;
  j["notes"] = c.notes;
  return j;
}

bool IsDirectory(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string SchemaOf(const std::string& text, const std::string& file) {
  const Json doc = ParseJsonText(text, file);
  if (!doc.is_object() || !doc.contains("schema") || !doc["schema"].is_string()) {
    throw UsageError(file + ": no \"schema\" key: not a roofprof machine.json or kernels.json");
  }
  return doc["schema"].get<std::string>();
}

}  // namespace

Comparison CompareMachines(const Machine& a, const Machine& b, const std::string& a_file,
                           const std::string& b_file) {
  Comparison c;
  c.kind = "machine";
  c.a_file = a_file;
  c.b_file = b_file;
  c.a_desc = MachineDesc(a);
  c.b_desc = MachineDesc(b);
  if (a.cpu.clock_ghz > 0 || b.cpu.clock_ghz > 0) {
    c.rows.push_back({"clock", "clock under load", "GHz", a.cpu.clock_ghz, b.cpu.clock_ghz,
                      Ratio(b.cpu.clock_ghz, a.cpu.clock_ghz), ""});
  }
  Match(
      a.caches, b.caches, "cache",
      [](const CacheLevel& x) { return "L" + std::to_string(x.level); },
      [](const std::string& key, const CacheLevel& x, const CacheLevel& y) {
        std::string note;
        if (x.cores_sharing != y.cores_sharing) {
          note = "shared by " + std::to_string(x.cores_sharing) + " -> " +
                 std::to_string(y.cores_sharing) + " cores";
        }
        return CompareRow{
            "cache",
            key + " size",
            "bytes",
            static_cast<double>(x.size_bytes),
            static_cast<double>(y.size_bytes),
            Ratio(static_cast<double>(y.size_bytes), static_cast<double>(x.size_bytes)),
            note};
      },
      &c);
  Match(
      a.compute, b.compute, "compute",
      [](const ComputeCeiling& x) {
        return x.precision + " " + x.op + " " + x.isa + ", " + Threads(x.threads);
      },
      [](const std::string& key, const ComputeCeiling& x, const ComputeCeiling& y) {
        std::string note;
        if (x.flops_source != y.flops_source)
          note = "flops " + x.flops_source + " -> " + y.flops_source;
        return CompareRow{"compute", key, "GFLOP/s", x.gflops, y.gflops, Ratio(y.gflops, x.gflops),
                          note};
      },
      &c);
  Match(
      a.bandwidth, b.bandwidth, "bandwidth",
      [](const BandwidthCeiling& x) {
        return x.level + " " + x.kernel + ", " + Threads(x.threads);
      },
      [](const std::string& key, const BandwidthCeiling& x, const BandwidthCeiling& y) {
        std::string note;
        if (x.isa != y.isa) note = "isa " + x.isa + " -> " + y.isa;
        return CompareRow{"bandwidth", key, "GB/s", x.gbps, y.gbps, Ratio(y.gbps, x.gbps), note};
      },
      &c);
  if (a.write_allocate_counted != b.write_allocate_counted) {
    c.notes.push_back("A and B count store bytes differently (write-allocate " +
                      std::string(a.write_allocate_counted ? "counted" : "not counted") +
                      " in A, " + (b.write_allocate_counted ? "counted" : "not counted") +
                      " in B)");
  }
  if (a.quick || b.quick) {
    c.notes.push_back(
        std::string(a.quick && b.quick ? "both were" : (a.quick ? "A was" : "B was")) +
        " probed with --quick: fewer repetitions, noisier ceilings");
  }
  Summarise(&c, {"compute", "bandwidth"});
  return c;
}

Comparison CompareKernels(const KernelsFile& a, const KernelsFile& b, const std::string& a_file,
                          const std::string& b_file) {
  Comparison c;
  c.kind = "kernels";
  c.a_file = a_file;
  c.b_file = b_file;
  const auto desc = [](const KernelsFile& k) {
    std::string s = k.machine_model.empty() ? "unknown machine" : k.machine_model;
    if (!k.created.empty()) s += ", run " + k.created;
    return s;
  };
  c.a_desc = desc(a);
  c.b_desc = desc(b);
  Match(
      a.results, b.results, "kernel",
      [](const KernelResult& r) {
        return r.name + " " + FormatShape(r.shape) + ", " + Threads(r.threads);
      },
      [](const std::string& key, const KernelResult& x, const KernelResult& y) {
        std::vector<std::string> notes;
        if (x.bound != y.bound) notes.push_back("bound " + x.bound + " -> " + y.bound);
        if (x.isa != y.isa) notes.push_back("isa " + x.isa + " -> " + y.isa);
        if (std::isfinite(x.efficiency) && std::isfinite(y.efficiency) &&
            (x.efficiency > 0 || y.efficiency > 0)) {
          notes.push_back("efficiency " + FormatRate(x.efficiency * 100) + "% -> " +
                          FormatRate(y.efficiency * 100) + "%");
        }
        if (x.flops_source != y.flops_source) {
          notes.push_back("flops " + x.flops_source + " -> " + y.flops_source);
        }
        if (x.bytes_source != y.bytes_source) {
          notes.push_back("bytes " + x.bytes_source + " -> " + y.bytes_source);
        }
        if (x.flops > 0 && y.flops > 0 && std::fabs(x.flops - y.flops) > 1e-9 * x.flops) {
          notes.push_back("flop counts differ (" + FormatRate(x.flops / 1e6) + " vs " +
                          FormatRate(y.flops / 1e6) + " Mflop): ratio from time");
        }
        std::string note;
        for (const auto& n : notes) note += (note.empty() ? "" : "; ") + n;
        return CompareRow{"kernel", key, "GFLOP/s", x.gflops, y.gflops, Ratio(x.seconds, y.seconds),
                          note};
      },
      &c);
  if (!a.machine_model.empty() && !b.machine_model.empty() && a.machine_model != b.machine_model) {
    c.notes.push_back("results come from different machines (" + a.machine_model + " vs " +
                      b.machine_model + ")");
  }
  Summarise(&c, {"kernel"});
  return c;
}

std::string ComparisonText(const Comparison& c, bool unicode) {
  std::string out = "Comparing " +
                    std::string(c.kind == "machine" ? "machines" : "kernel results") +
                    " (B/A > 1: B is faster or larger)\n";
  out += "  A = " + c.a_file + " (" + c.a_desc + ")\n";
  out += "  B = " + c.b_file + " (" + c.b_desc + ")\n\n";
  TextTable t;
  t.AddColumn("section");
  t.AddColumn("what");
  t.AddColumn("unit");
  t.AddColumn("A", TextTable::kRight);
  t.AddColumn("B", TextTable::kRight);
  t.AddColumn("B/A", TextTable::kRight);
  t.AddColumn("note");
  for (const auto& r : c.rows) {
    t.AddRow({r.section, r.key, r.unit, FormatValue(r.a, r.unit), FormatValue(r.b, r.unit),
              FormatRatio(r.ratio), r.note});
  }
  if (t.rows() > 0) {
    out += t.Render(unicode);
  } else {
    out += "nothing matched between A and B\n";
  }
  if (!c.summary.empty()) {
    out += "\ngeometric mean B/A:";
    for (size_t i = 0; i < c.summary.size(); ++i) {
      const auto& s = c.summary[i];
      out += std::string(i ? "," : "") + " " + s.section + " " + FormatRatio(s.geomean_ratio) +
             " (" + std::to_string(s.count) + ")";
    }
    out += "\n";
  }
  const auto list = [&](const char* title, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out += std::string("\n") + title + ":\n";
    for (const auto& x : v) out += "  " + x + "\n";
  };
  list("only in A", c.only_a);
  list("only in B", c.only_b);
  list("notes", c.notes);
  return out;
}

std::string ComparisonJson(const Comparison& c) { return DumpJson(ToJson(c)); }

std::string ComparisonsText(const std::vector<Comparison>& cs, bool unicode) {
  std::string out;
  for (size_t i = 0; i < cs.size(); ++i) out += (i ? "\n" : "") + ComparisonText(cs[i], unicode);
  return out;
}

std::string ComparisonsJson(const std::vector<Comparison>& cs) {
  if (cs.size() == 1) return ComparisonJson(cs[0]);
  OrderedJson j;
  j["schema"] = kCompareSchema;
  OrderedJson arr = OrderedJson::array();
  for (const auto& c : cs) arr.push_back(ToJson(c));
  j["comparisons"] = arr;
  return DumpJson(j);
}

std::vector<Comparison> CompareFiles(const std::string& a, const std::string& b) {
  const bool da = IsDirectory(a), db = IsDirectory(b);
  if (da != db) {
    throw UsageError("compare needs two files or two run directories, not one of each (" +
                     (da ? a : b) + " is a directory)");
  }
  if (da) {
    std::vector<Comparison> out;
    for (const char* name : {"machine.json", "kernels.json"}) {
      const std::string pa = a + "/" + name, pb = b + "/" + name;
      if (!IsFile(pa) || !IsFile(pb)) continue;
      for (auto& c : CompareFiles(pa, pb)) out.push_back(std::move(c));
    }
    if (out.empty()) {
      throw UsageError("no machine.json or kernels.json in both " + a + " and " + b);
    }
    return out;
  }
  const std::string ta = ReadTextFile(a, kMaxInput), tb = ReadTextFile(b, kMaxInput);
  const std::string sa = SchemaOf(ta, a), sb = SchemaOf(tb, b);
  for (const auto& [file, schema] : {std::pair{a, sa}, std::pair{b, sb}}) {
    if (schema != kMachineSchema && schema != kKernelsSchema) {
      throw UsageError(file + ": schema '" + schema + "' is neither " + kMachineSchema + " nor " +
                       kKernelsSchema);
    }
  }
  if (sa != sb) {
    throw UsageError(a + " is " + sa + " but " + b + " is " + sb +
                     ": compare two machine.json files or two kernels.json files");
  }
  if (sa == kMachineSchema) {
    return {CompareMachines(MachineFromJsonText(ta, a), MachineFromJsonText(tb, b), a, b)};
  }
  return {CompareKernels(KernelsFromJsonText(ta, a), KernelsFromJsonText(tb, b), a, b)};
}

}  // namespace report
}  // namespace roofprof
