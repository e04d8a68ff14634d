// Linux implementation of platform.h: sched_*affinity, cgroup v2/v1 files, /proc and /sys.
#include <dirent.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__aarch64__)
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "src/platform.h"

namespace roofprof::platform {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

// "memory.max" style value: a number, or "max" for unlimited (returned as 0).
uint64_t ReadLimit(const std::string& path) {
  const std::string s = ReadFirstLine(path);
  if (s.empty() || s == "max") return 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (end == s.c_str()) return 0;
  return v;
}

// This process's cgroup v2 directory, or "" for v1/none.
std::string CgroupV2Dir() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  }
  return "";
}

std::string CpuinfoField(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t start = colon + 1;
      while (start < line.size() && line[start] == ' ') ++start;
      return line.substr(start);
    }
  }
  return "";
}

}  // namespace

const char* Name() { return "linux"; }

std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
    }
  }
  if (cpus.empty()) {
    const unsigned n = std::thread::hardware_concurrency();
    for (unsigned i = 0; i < (n == 0 ? 1 : n); ++i) cpus.push_back(static_cast<int>(i));
  }
  return cpus;
}

double CgroupCpuQuota() {
  const std::string dir = CgroupV2Dir();
  if (!dir.empty()) {
    // Walk up: a parent's limit binds too.
    double best = 0;
    for (std::string d = dir; d.size() >= std::strlen("/sys/fs/cgroup");) {
      std::istringstream ss(ReadFirstLine(d + "/cpu.max"));
      std::string quota;
      double period = 0;
      if (ss >> quota >> period && quota != "max" && period > 0) {
        const double q = std::strtod(quota.c_str(), nullptr) / period;
        if (q > 0 && (best == 0 || q < best)) best = q;
      }
      const size_t slash = d.rfind('/');
      if (slash == std::string::npos || d == "/sys/fs/cgroup") break;
      d = d.substr(0, slash);
    }
    return best;
  }
  const double quota =
      std::strtod(ReadFirstLine("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").c_str(), nullptr);
  const double period =
      std::strtod(ReadFirstLine("/sys/fs/cgroup/cpu/cpu.cfs_period_us").c_str(), nullptr);
  if (quota > 0 && period > 0) return quota / period;
  return 0;
}

bool PinThisThread(int cpu, std::string* why) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0 || cpu >= CPU_SETSIZE) {
    if (why) *why = "cpu index out of range";
    return false;
  }
  CPU_SET(cpu, &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) {
    if (why) *why = std::string("pthread_setaffinity_np: ") + std::strerror(rc);
    return false;
  }
  return true;
}

AffinitySnapshot SaveAffinity() {
  AffinitySnapshot snap;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) snap.cpus.push_back(i);
    }
  }
  return snap;
}

void RestoreAffinity(const AffinitySnapshot& snapshot) {
  if (snapshot.cpus.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int c : snapshot.cpus) CPU_SET(c, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

uint64_t AvailableMemoryBytes() {
  uint64_t avail = 0;
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemAvailable:") {
      avail = kb * 1024;
      break;
    }
  }
  const std::string dir = CgroupV2Dir();
  if (!dir.empty()) {
    const uint64_t limit = ReadLimit(dir + "/memory.max");
    const uint64_t used = ReadLimit(dir + "/memory.current");
    if (limit > 0) {
      const uint64_t room = limit > used ? limit - used : 0;
      if (avail == 0 || room < avail) avail = room;
    }
  }
  return avail;
}

double LoadAverage1() {
  std::ifstream in("/proc/loadavg");
  double l1 = -1;
  if (!(in >> l1)) return -1;
  return l1;
}

int RunnableTasks() {
  // Fourth field of /proc/loadavg: "running/total"; running includes this thread.
  std::ifstream in("/proc/loadavg");
  double a, b, c;
  std::string rt;
  if (!(in >> a >> b >> c >> rt)) return -1;
  const int running = std::atoi(rt.c_str());
  return running > 0 ? running - 1 : 0;
}

std::string ScalingGovernor(int cpu) {
  return ReadFirstLine("/sys/devices/system/cpu/cpu" + std::to_string(cpu) +
                       "/cpufreq/scaling_governor");
}

int TurboEnabled() {
  const std::string boost = ReadFirstLine("/sys/devices/system/cpu/cpufreq/boost");
  if (!boost.empty()) return boost == "1" ? 1 : 0;
  const std::string no_turbo = ReadFirstLine("/sys/devices/system/cpu/intel_pstate/no_turbo");
  if (!no_turbo.empty()) return no_turbo == "0" ? 1 : 0;
  return -1;
}

bool UnderHypervisor() {
  const std::string flags = CpuinfoField("flags");
  if (flags.find(" hypervisor") != std::string::npos) return true;
  const std::string product = ReadFirstLine("/sys/class/dmi/id/product_name");
  for (const char* vm :
       {"KVM", "VMware", "VirtualBox", "HVM domU", "Virtual Machine", "QEMU", "BHYVE"}) {
    if (product.find(vm) != std::string::npos) return true;
  }
  return false;
}

int PerfEventParanoid() {
  const std::string s = ReadFirstLine("/proc/sys/kernel/perf_event_paranoid");
  if (s.empty()) return INT32_MIN;
  return std::atoi(s.c_str());
}

std::string CpuModelName() {
  std::string m = CpuinfoField("model name");
  if (m.empty()) m = CpuinfoField("Model");      // some Arm kernels
  if (m.empty()) m = CpuinfoField("uarch");      // RISC-V
  if (m.empty()) m = CpuinfoField("cpu model");  // MIPS and friends
  return m;
}

std::string CpuInfoText() {
  std::ifstream in("/proc/cpuinfo");
  std::ostringstream text;
  text << in.rdbuf();
  return in ? text.str() : "";
}

std::string CpuVendor() {
  std::string v = CpuinfoField("vendor_id");
  if (v.empty()) {
    const std::string impl = CpuinfoField("CPU implementer");
    if (!impl.empty()) v = "ARM implementer " + impl;
  }
  if (v.empty()) v = CpuinfoField("mvendorid");
  return v;
}

bool AdviseHugePages(void* p, uint64_t bytes) {
#ifdef MADV_HUGEPAGE
  return madvise(p, bytes, MADV_HUGEPAGE) == 0;
#else
  (void)p;
  (void)bytes;
  return false;
#endif
}

std::vector<uint64_t> OsCacheSizes() {
  std::vector<uint64_t> sizes(3, 0);
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  const long v[3] = {sysconf(_SC_LEVEL1_DCACHE_SIZE), sysconf(_SC_LEVEL2_CACHE_SIZE),
                     sysconf(_SC_LEVEL3_CACHE_SIZE)};
  for (int i = 0; i < 3; ++i) sizes[i] = v[i] > 0 ? static_cast<uint64_t>(v[i]) : 0;
#endif
  return sizes;
}

std::vector<std::string> KernelEventSources() {
  std::vector<std::string> out;
  if (DIR* d = opendir("/sys/bus/event_source/devices")) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool InContainer() {
  if (access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0) return true;
  std::ifstream in("/proc/1/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    for (const char* key : {"docker", "kubepods", "containerd", "lxc", "libpod"}) {
      if (line.find(key) != std::string::npos) return true;
    }
  }
  return false;
}

// Root, or CAP_PERFMON (bit 38) or CAP_SYS_ADMIN (bit 21) in the effective capability set.
bool PrivilegedForPerf() {
  if (geteuid() == 0) return true;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      const unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
      return ((caps >> 38) & 1) || ((caps >> 21) & 1);
    }
  }
  return false;
}

int ProbePerfEventOpen() {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  const long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd < 0) return errno;
  close(static_cast<int>(fd));
  return 0;
}

int CacheLineBytes() {
  const std::string line =
      ReadFirstLine("/sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size");
  const int bytes = line.empty() ? 0 : std::atoi(line.c_str());
  // 64 bytes when the OS does not say: the line size of every x86 core and most Arm cores.
  return bytes > 0 ? bytes : 64;
}

int SveVectorBits() {
#if defined(__aarch64__) && defined(PR_SVE_GET_VL)
  const int vl = prctl(PR_SVE_GET_VL);
  if (vl > 0) return (vl & PR_SVE_VL_LEN_MASK) * 8;
#endif
  return 0;
}

}  // namespace roofprof::platform
