// Topology through hwloc, with OS and default fallbacks that say what they assumed.
#include "src/topology.h"

#include <hwloc.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "src/platform.h"
#include "src/units.h"

namespace roofprof {
namespace {

std::vector<CacheLevel> HwlocCaches(hwloc_topology_t topo) {
  std::vector<CacheLevel> out;
  const hwloc_obj_type_t types[3] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE};
  for (int i = 0; i < 3; ++i) {
    hwloc_obj_t obj = hwloc_get_obj_by_type(topo, types[i], 0);
    if (obj == nullptr || obj->attr == nullptr || obj->attr->cache.size == 0) continue;
    if (obj->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION) continue;
    CacheLevel c;
    c.level = i + 1;
    c.size_bytes = obj->attr->cache.size;
    const int sharing = hwloc_get_nbobjs_inside_cpuset_by_type(topo, obj->cpuset, HWLOC_OBJ_CORE);
    c.cores_sharing = sharing > 0 ? sharing : 1;
    c.source = "hwloc";
    out.push_back(c);
  }
  return out;
}

}  // namespace

const char* ArchName() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__i386__)
  return "i386";
#elif defined(__arm__)
  return "arm";
#else
  return "unknown";
#endif
}

std::vector<CacheLevel> OsReportedCaches() {
  std::vector<CacheLevel> out;
  const std::vector<uint64_t> sizes = platform::OsCacheSizes();
  for (size_t i = 0; i < sizes.size() && i < 3; ++i) {
    if (sizes[i] == 0) continue;
    CacheLevel c;
    c.level = static_cast<int>(i) + 1;
    c.size_bytes = sizes[i];
    c.cores_sharing = 1;  // the OS interface does not say; private is the conservative choice
    c.source = "os";
    out.push_back(c);
  }
  return out;
}

std::vector<CacheLevel> MergeCaches(const std::vector<CacheLevel>& primary,
                                    const std::vector<CacheLevel>& fallback,
                                    std::vector<std::string>* notes) {
  std::vector<CacheLevel> out;
  const uint64_t kDefaults[3] = {32u << 10, 1u << 20, 8u << 20};
  for (int level = 1; level <= 3; ++level) {
    const CacheLevel* p = FindCache(primary, level);
    const CacheLevel* f = FindCache(fallback, level);
    if (p != nullptr) {
      out.push_back(*p);
    } else if (f != nullptr) {
      out.push_back(*f);
      if (notes) {
        notes->push_back("L" + std::to_string(level) + " size taken from " + f->source + " (" +
                         FormatBytes(static_cast<double>(f->size_bytes)) + ")");
      }
    } else if (level < 3) {
      CacheLevel c;
      c.level = level;
      c.size_bytes = kDefaults[level - 1];
      c.cores_sharing = 1;
      c.source = "default";
      out.push_back(c);
      if (notes) {
        notes->push_back("L" + std::to_string(level) + " size unknown; assuming " +
                         FormatBytes(static_cast<double>(c.size_bytes)) +
                         " (the sweep will show the real edge)");
      }
    } else if (notes) {
      // Many small cores have no L3; do not invent one.
      notes->push_back("no L3 cache reported; treating L2 as the last level");
    }
  }
  // A level smaller than the one below it is a reporting error worth saying out loud.
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].size_bytes < out[i - 1].size_bytes && notes) {
      notes->push_back("L" + std::to_string(out[i].level) + " (" +
                       FormatBytes(static_cast<double>(out[i].size_bytes)) + ") is smaller than L" +
                       std::to_string(out[i - 1].level) + "; the reported sizes look inconsistent");
    }
  }
  return out;
}

int UsableThreads(int allowed_cpus, double cgroup_quota) {
  int n = std::max(1, allowed_cpus);
  if (cgroup_quota > 0) {
    // A quota of 1.5 CPUs cannot run 2 threads flat out: round down, but keep at least one.
    n = std::min(n, std::max(1, static_cast<int>(std::floor(cgroup_quota + 1e-9))));
  }
  return n;
}

Topology DetectTopology() {
  Topology t;
  t.arch = ArchName();
  t.model = platform::CpuModelName();
  t.vendor = platform::CpuVendor();
  const std::vector<int> allowed = platform::AllowedCpus();
  const std::set<int> allowed_set(allowed.begin(), allowed.end());

  hwloc_topology_t topo = nullptr;
  std::vector<CacheLevel> hw_caches;
  bool have_hwloc = false;
  if (hwloc_topology_init(&topo) == 0) {
    if (hwloc_topology_load(topo) == 0) {
      have_hwloc = true;
    } else {
      hwloc_topology_destroy(topo);
      topo = nullptr;
    }
  }
  if (have_hwloc) {
    t.source = "hwloc";
    t.logical_cpus = std::max(1, hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU));
    t.cores = std::max(1, hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE));
    hw_caches = HwlocCaches(topo);
    // Placement: first PU of each core (cores in hwloc's order, which follows the cache tree,
    // so consecutive threads fill one L3 domain before the next), then the remaining PUs.
    std::vector<int> first, rest;
    const int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    for (int ci = 0; ci < ncores; ++ci) {
      hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, ci);
      bool took = false;
      for (unsigned pi = 0; pi < core->arity || pi == 0; ++pi) {
        hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(topo, core->cpuset, HWLOC_OBJ_PU, pi);
        if (pu == nullptr) break;
        const int os = static_cast<int>(pu->os_index);
        if (allowed_set.count(os) == 0) continue;
        (took ? rest : first).push_back(os);
        took = true;
      }
    }
    t.placement = first;
    t.placement.insert(t.placement.end(), rest.begin(), rest.end());
    if (t.model.empty()) {
      hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
      const char* name = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : nullptr;
      if (name) t.model = name;
    }
    hwloc_topology_destroy(topo);
  } else {
    t.source = "os";
    t.notes.push_back("hwloc could not load the topology; using the OS's CPU list");
    t.logical_cpus = static_cast<int>(allowed.size());
    t.cores = t.logical_cpus;
  }
  if (t.placement.empty()) t.placement = allowed;
  t.caches = MergeCaches(hw_caches, OsReportedCaches(), &t.notes);
  if (t.model.empty()) t.model = "unknown CPU";

  const double quota = platform::CgroupCpuQuota();
  t.usable_threads = UsableThreads(static_cast<int>(t.placement.size()), quota);
  if (static_cast<int>(t.placement.size()) < t.logical_cpus) {
    t.notes.push_back("this process may use " + std::to_string(t.placement.size()) + " of " +
                      std::to_string(t.logical_cpus) + " logical CPUs (affinity mask)");
  }
  if (t.usable_threads < static_cast<int>(t.placement.size())) {
    t.notes.push_back("cgroup CPU quota of " + FormatRate(quota) + " CPUs limits runs to " +
                      std::to_string(t.usable_threads) + " threads");
  }
  return t;
}

}  // namespace roofprof
