// Aligned, huge-page-advised allocations with a refusal up front when memory is short.
#ifndef ROOFPROF_SRC_MEMORY_H_
#define ROOFPROF_SRC_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace roofprof {

struct FreeDeleter {
  void operator()(void* p) const;
};
using AlignedBuffer = std::unique_ptr<unsigned char, FreeDeleter>;

// Allocates `bytes` aligned to 2 MiB (so transparent huge pages can back it) and advises huge
// pages. Does not touch the memory: the thread that will use it should first-touch it.
// Throws EnvironmentError when the allocation fails.
AlignedBuffer AllocateAligned(size_t bytes);

// Throws UsageError before any allocation when `bytes` would not fit in the memory available
// to this process (leaving a safety margin), naming `what`.
void CheckFitsInMemory(uint64_t bytes, const std::string& what);

// The largest total working set roofprof allows itself: a third of the available memory
// (0 when unknown, meaning "no known limit").
uint64_t WorkingSetBudget();

}  // namespace roofprof

#endif  // ROOFPROF_SRC_MEMORY_H_
