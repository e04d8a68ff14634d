// Portable fallback for platform.h on systems without a dedicated implementation: standard C++
// only; every OS-specific fact is "unknown", and pinning is reported as unsupported.
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "src/platform.h"

namespace roofprof::platform {

const char* Name() { return "generic"; }

std::vector<int> AllowedCpus() {
  const unsigned n = std::thread::hardware_concurrency();
  std::vector<int> cpus;
  for (unsigned i = 0; i < (n == 0 ? 1 : n); ++i) cpus.push_back(static_cast<int>(i));
  return cpus;
}
double CgroupCpuQuota() { return 0; }
bool PinThisThread(int /*cpu*/, std::string* why) {
  if (why) *why = "thread pinning is not implemented on this platform";
  return false;
}
AffinitySnapshot SaveAffinity() { return {}; }
void RestoreAffinity(const AffinitySnapshot& /*snapshot*/) {}
uint64_t AvailableMemoryBytes() { return 0; }
double LoadAverage1() { return -1; }
int RunnableTasks() { return -1; }
std::string ScalingGovernor(int /*cpu*/) { return ""; }
int TurboEnabled() { return -1; }
bool UnderHypervisor() { return false; }
int PerfEventParanoid() { return -2147483647 - 1; }
std::string CpuModelName() { return ""; }
std::string CpuVendor() { return ""; }
std::string CpuInfoText() { return ""; }
std::vector<uint64_t> OsCacheSizes() { return std::vector<uint64_t>(3, 0); }
bool AdviseHugePages(void* /*p*/, uint64_t /*bytes*/) { return false; }

std::vector<std::string> KernelEventSources() { return {}; }
bool InContainer() { return false; }
bool PrivilegedForPerf() { return false; }
int ProbePerfEventOpen() { return -1; }
int CacheLineBytes() { return 64; }
int SveVectorBits() { return 0; }

}  // namespace roofprof::platform
