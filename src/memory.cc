// Allocation helpers: 2 MiB alignment, THP advice, and memory checks before allocating.
#include "src/memory.h"

#include <cstdlib>

#include "src/error.h"
#include "src/platform.h"
#include "src/units.h"

namespace roofprof {

void FreeDeleter::operator()(void* p) const { std::free(p); }

AlignedBuffer AllocateAligned(size_t bytes) {
  constexpr size_t kAlign = size_t{2} << 20;
  const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
  if (p == nullptr) {
    throw EnvironmentError("cannot allocate " + FormatBytes(static_cast<double>(bytes)));
  }
  platform::AdviseHugePages(p, rounded);
  return AlignedBuffer(static_cast<unsigned char*>(p));
}

uint64_t WorkingSetBudget() { return platform::AvailableMemoryBytes() / 3; }

void CheckFitsInMemory(uint64_t bytes, const std::string& what) {
  const uint64_t avail = platform::AvailableMemoryBytes();
  if (avail == 0) return;  // unknown: the allocation itself will tell
  // Keep a quarter of what is available for everything else (and the OS's page cache).
  if (bytes > avail / 4 * 3) {
    throw UsageError(what + " needs " + FormatBytes(static_cast<double>(bytes)) + " but only " +
                     FormatBytes(static_cast<double>(avail)) + " of memory is available");
  }
}

}  // namespace roofprof
