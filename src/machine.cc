// machine.json (roofprof.machine/1): writing, strict reading, and ceiling lookup.
#include "src/machine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "src/error.h"
#include "src/io.h"
#include "src/json_util.h"
#include "src/units.h"

namespace roofprof {
namespace {

constexpr double kMaxRate = 1e9;  // GFLOP/s or GB/s: far above any CPU; rejects garbage
constexpr int64_t kMaxThreads = 1 << 20;
constexpr int64_t kMaxBytes = int64_t{1} << 52;
constexpr uint64_t kMaxMachineFile = 64u << 20;

const char* const kLevelNames[kNumLevels] = {"L1", "L2", "L3", "DRAM"};

void CheckOneOf(const JsonCursor& c, const std::string& value,
                std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return;
  }
  std::string list;
  for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
  c.Fail("'" + value + "' is not one of: " + list);
}

}  // namespace

const char* LevelName(int level) {
  return (level >= 0 && level < kNumLevels) ? kLevelNames[level] : "?";
}

int LevelFromName(const std::string& name) {
  for (int i = 0; i < kNumLevels; ++i) {
    if (name == kLevelNames[i]) return i;
  }
  return -1;
}

std::string MachineToJsonText(const Machine& m) {
  OrderedJson j;
  j["schema"] = kMachineSchema;
  j["tool"] = {{"name", "roofprof"}, {"version", m.tool_version}};
  j["created"] = m.created;
  j["quick"] = m.quick;
  j["cpu"] = {{"model", m.cpu.model},
              {"vendor", m.cpu.vendor},
              {"arch", m.cpu.arch},
              {"core_name", m.cpu.core_name},
              {"logical_cpus", m.cpu.logical_cpus},
              {"cores", m.cpu.cores},
              {"available_cpus", m.cpu.available_cpus},
              {"clock_ghz", NumberOrNull(m.cpu.clock_ghz)},
              {"clock_source", m.cpu.clock_source},
              {"clock_all_threads_ghz",
               m.cpu.clock_all_ghz > 0 ? NumberOrNull(m.cpu.clock_all_ghz) : OrderedJson(nullptr)},
              {"all_threads", m.cpu.all_threads},
              {"nominal_ghz", NumberOrNull(m.cpu.nominal_ghz)},
              {"hypervisor", m.cpu.hypervisor},
              {"targets", m.cpu.targets}};
  OrderedJson caches = OrderedJson::array();
  for (const auto& c : m.caches) {
    caches.push_back({{"level", c.level},
                      {"size_bytes", c.size_bytes},
                      {"cores_sharing", c.cores_sharing},
                      {"source", c.source},
                      {"detected_bytes", c.detected_bytes}});
  }
  j["caches"] = caches;
  OrderedJson compute = OrderedJson::array();
  for (const auto& c : m.compute) {
    compute.push_back({{"precision", c.precision},
                       {"isa", c.isa},
                       {"op", c.op},
                       {"threads", c.threads},
                       {"gflops", NumberOrNull(c.gflops)},
                       {"median_gflops", NumberOrNull(c.median_gflops)},
                       {"flops_per_cycle", NumberOrNull(c.flops_per_cycle)},
                       {"theoretical_gflops", NumberOrNull(c.theoretical_gflops)},
                       {"flops_source", c.flops_source}});
  }
  j["compute"] = compute;
  OrderedJson bw = OrderedJson::array();
  for (const auto& b : m.bandwidth) {
    bw.push_back({{"level", b.level},
                  {"kernel", b.kernel},
                  {"threads", b.threads},
                  {"gbps", NumberOrNull(b.gbps)},
                  {"median_gbps", NumberOrNull(b.median_gbps)},
                  {"bytes", b.bytes},
                  {"bytes_per_cycle", NumberOrNull(b.bytes_per_cycle)},
                  {"isa", b.isa}});
  }
  j["bandwidth"] = bw;
  OrderedJson sweep = OrderedJson::array();
  for (const auto& s : m.sweep) {
    sweep.push_back({{"kernel", s.kernel},
                     {"threads", s.threads},
                     {"bytes", s.bytes},
                     {"gbps", NumberOrNull(s.gbps)},
                     {"median_gbps", NumberOrNull(s.median_gbps)}});
  }
  j["sweep"] = sweep;
  OrderedJson lat = OrderedJson::array();
  for (const auto& l : m.latency) {
    lat.push_back(
        {{"bytes", l.bytes}, {"ns", NumberOrNull(l.ns)}, {"cycles", NumberOrNull(l.cycles)}});
  }
  j["latency"] = lat;
  j["write_allocate_counted"] = m.write_allocate_counted;
  j["notes"] = m.notes;
  return DumpJson(j);
}

Machine MachineFromJsonText(const std::string& text, const std::string& file) {
  const Json doc = ParseJsonText(text, file);
  const JsonCursor root = JsonCursor(doc, file).Object();
  if (!root.Has("schema")) root.Fail("missing \"schema\" (is this a roofprof machine.json?)");
  const std::string schema = root["schema"].String();
  if (schema != kMachineSchema) {
    root["schema"].Fail("'" + schema + "' is not " + kMachineSchema);
  }
  Machine m;
  if (root.Has("created")) m.created = root["created"].String();
  if (root.Has("tool")) {
    const JsonCursor tool = root["tool"].Object();
    if (tool.Has("version")) m.tool_version = tool["version"].String();
  }
  if (root.Has("quick")) m.quick = root["quick"].Boolean();

  const JsonCursor cpu = root["cpu"].Object();
  m.cpu.model = cpu["model"].String();
  m.cpu.logical_cpus = static_cast<int>(cpu["logical_cpus"].Integer(1, kMaxThreads));
  m.cpu.cores = static_cast<int>(cpu["cores"].Integer(1, kMaxThreads));
  m.cpu.clock_ghz = cpu["clock_ghz"].Number(0.01, 100);
  if (cpu.Has("vendor")) m.cpu.vendor = cpu["vendor"].String();
  if (cpu.Has("arch")) m.cpu.arch = cpu["arch"].String();
  if (cpu.Has("core_name")) m.cpu.core_name = cpu["core_name"].String();
  m.cpu.available_cpus = cpu.Has("available_cpus")
                             ? static_cast<int>(cpu["available_cpus"].Integer(1, kMaxThreads))
                             : m.cpu.logical_cpus;
  if (cpu.Has("clock_source")) m.cpu.clock_source = cpu["clock_source"].String();
  if (cpu.Has("clock_all_threads_ghz")) {
    const double g = cpu["clock_all_threads_ghz"].NumberOrNull(0.01, 100);
    m.cpu.clock_all_ghz = std::isnan(g) ? 0 : g;
  }
  if (cpu.Has("all_threads"))
    m.cpu.all_threads = static_cast<int>(cpu["all_threads"].Integer(0, kMaxThreads));
  if (cpu.Has("nominal_ghz")) {
    const double g = cpu["nominal_ghz"].NumberOrNull(0, 100);
    m.cpu.nominal_ghz = std::isnan(g) ? 0 : g;
  }
  if (cpu.Has("hypervisor")) m.cpu.hypervisor = cpu["hypervisor"].Boolean();
  if (cpu.Has("targets")) {
    const JsonCursor t = cpu["targets"].Array();
    for (size_t i = 0; i < t.size(); ++i) m.cpu.targets.push_back(t[i].String());
  }

  const JsonCursor caches = root["caches"].Array();
  for (size_t i = 0; i < caches.size(); ++i) {
    const JsonCursor c = caches[i].Object();
    CacheLevel cl;
    cl.level = static_cast<int>(c["level"].Integer(1, 4));
    cl.size_bytes = static_cast<uint64_t>(c["size_bytes"].Integer(1, kMaxBytes));
    cl.cores_sharing = static_cast<int>(c["cores_sharing"].Integer(1, kMaxThreads));
    if (c.Has("source")) cl.source = c["source"].String();
    if (c.Has("detected_bytes")) {
      cl.detected_bytes = static_cast<uint64_t>(c["detected_bytes"].Integer(0, kMaxBytes));
    }
    m.caches.push_back(cl);
  }

  const JsonCursor compute = root["compute"].Array();
  for (size_t i = 0; i < compute.size(); ++i) {
    const JsonCursor c = compute[i].Object();
    ComputeCeiling cc;
    cc.precision = c["precision"].String();
    cc.isa = c["isa"].String();
    cc.op = c["op"].String();
    cc.threads = static_cast<int>(c["threads"].Integer(1, kMaxThreads));
    cc.gflops = c["gflops"].Number(0, kMaxRate);
    cc.median_gflops =
        c.Has("median_gflops") ? c["median_gflops"].NumberOrNull(0, kMaxRate) : cc.gflops;
    cc.flops_per_cycle =
        c.Has("flops_per_cycle") ? c["flops_per_cycle"].NumberOrNull(0, 1e6) : std::nan("");
    cc.theoretical_gflops = c.Has("theoretical_gflops")
                                ? c["theoretical_gflops"].NumberOrNull(0, kMaxRate)
                                : std::nan("");
    if (c.Has("flops_source")) {
      cc.flops_source = c["flops_source"].String();
      CheckOneOf(c["flops_source"], cc.flops_source,
                 {"model", "counters", "sde", "user", "theoretical"});
    }
    m.compute.push_back(cc);
  }

  const JsonCursor bw = root["bandwidth"].Array();
  for (size_t i = 0; i < bw.size(); ++i) {
    const JsonCursor b = bw[i].Object();
    BandwidthCeiling bc;
    bc.level = b["level"].String();
    CheckOneOf(b["level"], bc.level, {"L1", "L2", "L3", "DRAM"});
    bc.kernel = b["kernel"].String();
    bc.threads = static_cast<int>(b["threads"].Integer(1, kMaxThreads));
    bc.gbps = b["gbps"].Number(0, kMaxRate);
    bc.median_gbps = b.Has("median_gbps") ? b["median_gbps"].NumberOrNull(0, kMaxRate) : bc.gbps;
    if (b.Has("bytes")) bc.bytes = static_cast<uint64_t>(b["bytes"].Integer(0, kMaxBytes));
    bc.bytes_per_cycle =
        b.Has("bytes_per_cycle") ? b["bytes_per_cycle"].NumberOrNull(0, 1e6) : std::nan("");
    if (b.Has("isa")) bc.isa = b["isa"].String();
    m.bandwidth.push_back(bc);
  }

  const JsonCursor sweep = root["sweep"].Array();
  for (size_t i = 0; i < sweep.size(); ++i) {
    const JsonCursor s = sweep[i].Object();
    SweepPoint p;
    p.kernel = s["kernel"].String();
    p.threads = static_cast<int>(s["threads"].Integer(1, kMaxThreads));
    p.bytes = static_cast<uint64_t>(s["bytes"].Integer(1, kMaxBytes));
    p.gbps = s["gbps"].Number(0, kMaxRate);
    p.median_gbps = s.Has("median_gbps") ? s["median_gbps"].NumberOrNull(0, kMaxRate) : p.gbps;
    m.sweep.push_back(p);
  }

  const JsonCursor lat = root["latency"].Array();
  for (size_t i = 0; i < lat.size(); ++i) {
    const JsonCursor l = lat[i].Object();
    LatencyPoint p;
    p.bytes = static_cast<uint64_t>(l["bytes"].Integer(1, kMaxBytes));
    p.ns = l["ns"].Number(0, 1e9);
    p.cycles = l.Has("cycles") ? l["cycles"].NumberOrNull(0, 1e12) : std::nan("");
    m.latency.push_back(p);
  }
  if (root.Has("write_allocate_counted")) {
    m.write_allocate_counted = root["write_allocate_counted"].Boolean();
  }
  if (root.Has("notes")) {
    const JsonCursor notes = root["notes"].Array();
    for (size_t i = 0; i < notes.size(); ++i) m.notes.push_back(notes[i].String());
  }
  if (m.compute.empty() && m.bandwidth.empty()) {
    root.Fail("no compute or bandwidth ceilings: nothing to draw a roofline with");
  }
  return m;
}

Machine LoadMachine(const std::string& path) {
  return MachineFromJsonText(ReadTextFile(path, kMaxMachineFile), path);
}

double ClockFor(const Machine& m, int threads) {
  return (threads > 1 && threads == m.cpu.all_threads && m.cpu.clock_all_ghz > 0)
             ? m.cpu.clock_all_ghz
             : m.cpu.clock_ghz;
}

const ComputeCeiling* FindCompute(const Machine& m, const std::string& precision,
                                  const std::string& op, int threads, const std::string& isa) {
  const ComputeCeiling* best = nullptr;
  for (const auto& c : m.compute) {
    if (c.precision != precision || c.op != op || c.threads != threads) continue;
    if (!isa.empty() && c.isa != isa) continue;
    if (best == nullptr || c.gflops > best->gflops) best = &c;
  }
  return best;
}

const ComputeCeiling* FindPeak(const Machine& m, const std::string& precision, int threads,
                               const std::string& isa) {
  const ComputeCeiling* best = nullptr;
  for (const char* op : kPeakOps) {
    const ComputeCeiling* c = FindCompute(m, precision, op, threads, isa);
    if (c != nullptr && (best == nullptr || c->gflops > best->gflops)) best = c;
  }
  return best;
}

const BandwidthCeiling* FindBandwidth(const Machine& m, const std::string& level,
                                      const std::string& kernel, int threads) {
  for (const auto& b : m.bandwidth) {
    if (b.level == level && b.kernel == kernel && b.threads == threads) return &b;
  }
  return nullptr;
}

const CacheLevel* FindCache(const std::vector<CacheLevel>& caches, int level) {
  for (const auto& c : caches) {
    if (c.level == level) return &c;
  }
  return nullptr;
}

uint64_t CacheSize(const Machine& m, int level) {
  const CacheLevel* c = FindCache(m.caches, level);
  return c ? c->size_bytes : 0;
}

std::vector<std::string> MergeBestCeilings(Machine* into, const Machine& again) {
  std::vector<std::pair<double, std::string>> raised;  // (new / old, line)
  const auto note = [&](double before, double after, const std::string& what, const char* unit) {
    if (after > 1.01 * before) {
      raised.emplace_back(
          before > 0 ? after / before : std::numeric_limits<double>::infinity(),
          fmt::format("{}: {} -> {} {}", what, FormatRate(before), FormatRate(after), unit));
    }
  };
  const auto threads = [](int t) { return fmt::format("{} thread{}", t, t == 1 ? "" : "s"); };
  for (const auto& c : again.compute) {
    for (auto& mine : into->compute) {
      if (mine.precision != c.precision || mine.isa != c.isa || mine.op != c.op ||
          mine.threads != c.threads || !(c.gflops > mine.gflops)) {
        continue;
      }
      note(mine.gflops, c.gflops,
           fmt::format("{} {} {}, {}", c.precision, c.op, c.isa, threads(c.threads)), "GFLOP/s");
      mine = c;
    }
  }
  for (const auto& b : again.bandwidth) {
    for (auto& mine : into->bandwidth) {
      if (mine.level != b.level || mine.kernel != b.kernel || mine.threads != b.threads ||
          !(b.gbps > mine.gbps)) {
        continue;
      }
      note(mine.gbps, b.gbps, fmt::format("{} {}, {}", b.level, b.kernel, threads(b.threads)),
           "GB/s");
      mine = b;
    }
  }
  for (const auto& p : again.sweep) {
    bool found = false;
    for (auto& mine : into->sweep) {
      if (mine.kernel != p.kernel || mine.threads != p.threads || mine.bytes != p.bytes) continue;
      found = true;
      if (p.gbps > mine.gbps) mine = p;
    }
    if (!found) into->sweep.push_back(p);
  }
  // Added points join their curve in order of size; curves keep their order.
  std::vector<std::pair<std::string, int>> curves;
  for (const auto& p : into->sweep) {
    const std::pair<std::string, int> key(p.kernel, p.threads);
    if (std::find(curves.begin(), curves.end(), key) == curves.end()) curves.push_back(key);
  }
  const auto rank = [&](const SweepPoint& p) {
    return std::find(curves.begin(), curves.end(), std::make_pair(p.kernel, p.threads)) -
           curves.begin();
  };
  std::stable_sort(into->sweep.begin(), into->sweep.end(),
                   [&](const SweepPoint& a, const SweepPoint& b) {
                     const auto ra = rank(a), rb = rank(b);
                     return ra != rb ? ra < rb : a.bytes < b.bytes;
                   });
  std::stable_sort(raised.begin(), raised.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> lines;
  for (auto& r : raised) lines.push_back(std::move(r.second));
  return lines;
}

}  // namespace roofprof
