// Operating-system facts and controls the measurements need, behind one portable interface.
// Linux implements it in platform_linux.cc; other systems get platform_generic.cc, which
// degrades to "unknown" with a stated reason rather than failing.
#ifndef ROOFPROF_SRC_PLATFORM_H_
#define ROOFPROF_SRC_PLATFORM_H_

#include <cstdint>
#include <string>
#include <vector>

namespace roofprof::platform {

// OS indices of the CPUs this process may run on (affinity mask). Never empty.
std::vector<int> AllowedCpus();

// CPU quota of this process's cgroup in CPUs (cpu.max quota/period), or 0 when unlimited or
// unknown.
double CgroupCpuQuota();

// Pins the calling thread to one OS CPU. Returns false (and sets *why) when not possible.
bool PinThisThread(int cpu, std::string* why);

// Saves and restores the calling thread's affinity mask (so pinning for a measurement does not
// leak into later phases). Opaque handle; Restore is a no-op where pinning is unsupported.
struct AffinitySnapshot {
  std::vector<int> cpus;
};
AffinitySnapshot SaveAffinity();
void RestoreAffinity(const AffinitySnapshot& snapshot);

// Bytes of memory this process can still allocate without swapping: min(MemAvailable,
// cgroup memory.max - memory.current). 0 when unknown.
uint64_t AvailableMemoryBytes();

// 1-minute load average, or -1 when unknown.
double LoadAverage1();

// Number of runnable tasks right now besides this process (from /proc/loadavg), or -1.
int RunnableTasks();

// CPU frequency governor of `cpu` ("performance", "powersave", ...), or "" when unknown.
std::string ScalingGovernor(int cpu);

// Whether turbo/boost is enabled: 1 yes, 0 no, -1 unknown.
int TurboEnabled();

// True when running under a hypervisor (cpuinfo's "hypervisor" flag or DMI product name).
bool UnderHypervisor();

// Value of /proc/sys/kernel/perf_event_paranoid, or INT32_MIN when unknown.
int PerfEventParanoid();

// Model name as the OS reports it ("AMD EPYC ..."), "" when unknown.
std::string CpuModelName();

// The OS's per-processor description as text (Linux: /proc/cpuinfo), "" when there is none.
// Architecture code parses the fields it knows (src/arch/arm_cores.h: MIDR ids).
std::string CpuInfoText();

// Vendor string ("AuthenticAMD", "GenuineIntel", "ARM", ...), "" when unknown.
std::string CpuVendor();

// Asks the kernel to back [p, p+bytes) with transparent huge pages. Returns false when the
// system does not support it (which only costs TLB misses, never correctness).
bool AdviseHugePages(void* p, uint64_t bytes);

// Data/unified cache sizes L1, L2, L3 as the OS reports them without hwloc (0 = unknown).
std::vector<uint64_t> OsCacheSizes();

// Facts for the hardware-counter diagnosis (src/counters.cc):
// event sources the kernel registered (Linux: /sys/bus/event_source/devices), sorted;
std::vector<std::string> KernelEventSources();
// whether this process runs in a container (docker, podman, lxc, kubernetes);
bool InContainer();
// whether it may count any event: root, or CAP_PERFMON / CAP_SYS_ADMIN;
bool PrivilegedForPerf();
// errno of opening a user-space software perf event (needs no PMU, so a failure means the
// syscall itself is refused); 0 when it worked, -1 where there is no perf_event;
int ProbePerfEventOpen();
// the cache line size in bytes (64 when the OS does not say);
int CacheLineBytes();
// the SVE vector length in bits on AArch64 Linux, 0 elsewhere.
int SveVectorBits();

// Name of this platform implementation ("linux", "generic").
const char* Name();

}  // namespace roofprof::platform

#endif  // ROOFPROF_SRC_PLATFORM_H_
