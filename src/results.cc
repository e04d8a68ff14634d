// kernels.json (roofprof.kernels/1): writing and strict reading.
#include "src/results.h"

#include <cmath>
#include <limits>

#include "src/error.h"
#include "src/io.h"
#include "src/json_util.h"

namespace roofprof {
namespace {

constexpr double kMax = 1e30;
constexpr uint64_t kMaxKernelsFile = 64u << 20;

OrderedJson LevelObject(const std::array<double, kNumLevels>& v) {
  OrderedJson o;
  for (int l = 0; l < kNumLevels; ++l) o[LevelName(l)] = NumberOrNull(v[static_cast<size_t>(l)]);
  return o;
}

std::array<double, kNumLevels> ReadLevels(const JsonCursor& c, bool allow_null) {
  std::array<double, kNumLevels> v{};
  c.Object();
  for (int l = 0; l < kNumLevels; ++l) {
    const JsonCursor x = c[LevelName(l)];
    v[static_cast<size_t>(l)] = allow_null ? x.NumberOrNull(0, kMax) : x.Number(0, kMax);
    if (allow_null && std::isnan(v[static_cast<size_t>(l)])) {
      v[static_cast<size_t>(l)] = std::numeric_limits<double>::infinity();
    }
  }
  return v;
}

std::vector<std::string> ReadStrings(const JsonCursor& c) {
  std::vector<std::string> out;
  c.Array();
  for (size_t i = 0; i < c.size(); ++i) out.push_back(c[i].String());
  return out;
}

}  // namespace

bool IsKnownSource(const std::string& s) {
  return s == kSourceModel || s == kSourceSde || s == kSourceCounters || s == kSourceUser ||
         s == kSourceTheoretical;
}

std::string KernelsToJsonText(const KernelsFile& k) {
  OrderedJson j;
  j["schema"] = kKernelsSchema;
  j["tool"] = {{"name", "roofprof"}, {"version", k.tool_version}};
  j["created"] = k.created;
  j["machine"] = {{"model", k.machine_model}, {"created", k.machine_created}};
  OrderedJson results = OrderedJson::array();
  for (const auto& r : k.results) {
    OrderedJson shape = OrderedJson::object();
    for (const auto& kv : r.shape) shape[kv.first] = kv.second;
    OrderedJson bounds;
    bounds["compute"] = NumberOrNull(r.bound_seconds[0]);
    for (int l = 0; l < kNumLevels; ++l) {
      bounds[LevelName(l)] = NumberOrNull(r.bound_seconds[static_cast<size_t>(l) + 1]);
    }
    results.push_back({{"name", r.name},
                       {"shape", shape},
                       {"threads", r.threads},
                       {"seconds", NumberOrNull(r.seconds)},
                       {"gflops", NumberOrNull(r.gflops)},
                       {"flops", NumberOrNull(r.flops)},
                       {"bytes", LevelObject(r.bytes)},
                       {"bytes_source", r.bytes_source},
                       {"bound", r.bound},
                       {"attainable_gflops", NumberOrNull(r.attainable_gflops)},
                       {"efficiency", NumberOrNull(r.efficiency)},
                       // Beyond the contract's fields:
                       {"flops_source", r.flops_source},
                       {"isa", r.isa},
                       {"precision", r.precision},
                       {"description", r.description},
                       {"baseline", r.baseline},
                       {"median_seconds", NumberOrNull(r.median_seconds)},
                       {"spread", NumberOrNull(r.spread)},
                       {"compulsory_bytes", NumberOrNull(r.compulsory_bytes)},
                       {"ai", LevelObject(r.ai)},
                       {"carm_ai", NumberOrNull(r.carm_ai)},
                       {"bound_seconds", bounds},
                       {"advice", r.advice},
                       {"events", r.events},
                       {"checksum", NumberOrNull(r.checksum)},
                       {"verify_error", NumberOrNull(r.verify_error)},
                       {"derivation", r.derivation}});
  }
  j["results"] = results;
  j["notes"] = k.notes;
  return DumpJson(j);
}

KernelsFile KernelsFromJsonText(const std::string& text, const std::string& file) {
  const Json doc = ParseJsonText(text, file);
  const JsonCursor root = JsonCursor(doc, file).Object();
  if (!root.Has("schema")) root.Fail("missing \"schema\" (is this a roofprof kernels.json?)");
  const std::string schema = root["schema"].String();
  if (schema != kKernelsSchema) root["schema"].Fail("'" + schema + "' is not " + kKernelsSchema);
  KernelsFile k;
  if (root.Has("created")) k.created = root["created"].String();
  if (root.Has("tool") && root["tool"].Object().Has("version")) {
    k.tool_version = root["tool"]["version"].String();
  }
  if (root.Has("machine")) {
    const JsonCursor m = root["machine"].Object();
    if (m.Has("model")) k.machine_model = m["model"].String();
    if (m.Has("created")) k.machine_created = m["created"].String();
  }
  const JsonCursor results = root["results"].Array();
  for (size_t i = 0; i < results.size(); ++i) {
    const JsonCursor c = results[i].Object();
    KernelResult r;
    r.name = c["name"].String();
    if (r.name.empty()) c["name"].Fail("empty");
    const JsonCursor shape = c["shape"].Object();
    for (auto it = shape.value().begin(); it != shape.value().end(); ++it) {
      r.shape.emplace_back(it.key(), shape[it.key()].Integer(0, int64_t{1} << 50));
    }
    r.threads = static_cast<int>(c["threads"].Integer(1, 1 << 20));
    r.seconds = c["seconds"].Number(0, kMax);
    r.gflops = c["gflops"].Number(0, kMax);
    r.flops = c["flops"].Number(0, kMax);
    r.bytes = ReadLevels(c["bytes"], false);
    r.bytes_source = c["bytes_source"].String();
    if (!IsKnownSource(r.bytes_source))
      c["bytes_source"].Fail("unknown provenance '" + r.bytes_source + "'");
    r.bound = c["bound"].String();
    if (r.bound != "compute" && LevelFromName(r.bound) < 0 && r.bound != "unknown") {
      c["bound"].Fail("'" + r.bound + "' is not compute, L1, L2, L3, DRAM or unknown");
    }
    r.attainable_gflops = c["attainable_gflops"].NumberOrNull(0, kMax);
    r.efficiency = c["efficiency"].NumberOrNull(0, kMax);
    if (c.Has("flops_source")) {
      r.flops_source = c["flops_source"].String();
      if (!IsKnownSource(r.flops_source))
        c["flops_source"].Fail("unknown provenance '" + r.flops_source + "'");
    }
    if (c.Has("isa")) r.isa = c["isa"].String();
    if (c.Has("precision")) r.precision = c["precision"].String();
    if (c.Has("description")) r.description = c["description"].String();
    if (c.Has("baseline")) r.baseline = c["baseline"].String();
    r.median_seconds =
        c.Has("median_seconds") ? c["median_seconds"].NumberOrNull(0, kMax) : r.seconds;
    if (c.Has("spread")) r.spread = c["spread"].NumberOrNull(0, kMax);
    if (c.Has("compulsory_bytes")) r.compulsory_bytes = c["compulsory_bytes"].NumberOrNull(0, kMax);
    if (c.Has("ai")) r.ai = ReadLevels(c["ai"], true);
    if (c.Has("carm_ai")) r.carm_ai = c["carm_ai"].NumberOrNull(0, kMax);
    if (c.Has("bound_seconds")) {
      const JsonCursor b = c["bound_seconds"].Object();
      r.bound_seconds[0] = b["compute"].NumberOrNull(0, kMax);
      for (int l = 0; l < kNumLevels; ++l) {
        r.bound_seconds[static_cast<size_t>(l) + 1] = b[LevelName(l)].NumberOrNull(0, kMax);
      }
    }
    if (c.Has("advice")) r.advice = ReadStrings(c["advice"]);
    if (c.Has("events")) r.events = ReadStrings(c["events"]);
    if (c.Has("checksum")) r.checksum = c["checksum"].NumberOrNull(-kMax, kMax);
    if (c.Has("verify_error")) r.verify_error = c["verify_error"].NumberOrNull(-1, kMax);
    if (c.Has("derivation")) r.derivation = ReadStrings(c["derivation"]);
    k.results.push_back(r);
  }
  if (root.Has("notes")) k.notes = ReadStrings(root["notes"]);
  return k;
}

KernelsFile LoadKernels(const std::string& path) {
  return KernelsFromJsonText(ReadTextFile(path, kMaxKernelsFile), path);
}

}  // namespace roofprof
