// The marker library behind include/roofprof/marker.h: per-thread begin/end timing, per-region
// totals, and a roofprof.regions/1 file written at exit when ROOFPROF_REGIONS names one.
#include "roofprof/marker.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "src/io.h"
#include "src/json_util.h"

namespace {

struct Region {
  uint64_t calls = 0;
  double seconds = 0;
  double flops = 0;
  double dram_bytes = 0;
  bool has_work = false;
  uint64_t unbalanced = 0;  // ends without a matching begin on that thread
};

struct Registry {
  std::mutex mu;
  std::map<std::string, Region> regions;
  bool written = false;
};

Registry& Get() {
  static Registry* r = new Registry;  // never destroyed: usable from atexit handlers
  return *r;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Open begins of this thread: (name, start time), innermost last.
thread_local std::vector<std::pair<std::string, double>> t_open;

int WriteRegions() {
  const char* path = std::getenv("ROOFPROF_REGIONS");
  if (path == nullptr || path[0] == '\0') return 0;
  Registry& r = Get();
  std::lock_guard<std::mutex> lock(r.mu);
  roofprof::OrderedJson j;
  j["schema"] = "roofprof.regions/1";
  roofprof::OrderedJson list = roofprof::OrderedJson::array();
  for (const auto& [name, reg] : r.regions) {
    roofprof::OrderedJson o = {{"name", name}, {"calls", reg.calls}, {"seconds", reg.seconds}};
    if (reg.has_work) {
      o["flops"] = reg.flops;
      o["dram_bytes"] = reg.dram_bytes;
      o["source"] = "user";
    }
    if (reg.unbalanced > 0) o["unbalanced_ends"] = reg.unbalanced;
    list.push_back(o);
  }
  j["regions"] = list;
  try {
    roofprof::WriteFileAtomic(path, roofprof::DumpJson(j));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roofprof marker: %s\n", e.what());
    return 1;
  }
  r.written = true;
  return 0;
}

struct AtExit {
  AtExit() {
    std::atexit([] {
      if (!Get().written) WriteRegions();
    });
  }
} g_at_exit;

}  // namespace

extern "C" {

void roofprof_region_begin(const char* name) {
  if (name == nullptr) return;
  t_open.emplace_back(name, Now());
}

void roofprof_region_end(const char* name) {
  if (name == nullptr) return;
  const double now = Now();
  // Match the innermost open region of that name on this thread.
  for (size_t i = t_open.size(); i-- > 0;) {
    if (t_open[i].first == name) {
      const double start = t_open[i].second;
      t_open.erase(t_open.begin() + static_cast<long>(i));
      Registry& r = Get();
      std::lock_guard<std::mutex> lock(r.mu);
      Region& reg = r.regions[name];
      reg.calls += 1;
      reg.seconds += now - start;
      return;
    }
  }
  Registry& r = Get();
  std::lock_guard<std::mutex> lock(r.mu);
  r.regions[name].unbalanced += 1;
}

void roofprof_region_add_work(const char* name, double flops, double dram_bytes) {
  if (name == nullptr) return;
  Registry& r = Get();
  std::lock_guard<std::mutex> lock(r.mu);
  Region& reg = r.regions[name];
  reg.flops += flops;
  reg.dram_bytes += dram_bytes;
  reg.has_work = true;
}

int roofprof_regions_flush(void) { return WriteRegions(); }

}  // extern "C"
