// Pointer-chase construction (Sattolo) and the chase loop.
#include "probes/latency.h"

#include <memory>
#include <random>
#include <vector>

namespace roofprof {

size_t BuildChase(void* buffer, size_t bytes, uint64_t seed) {
  const size_t lines = bytes / kChaseStride;
  if (lines < 2) return 0;
  std::vector<uint32_t> order(lines);
  for (size_t i = 0; i < lines; ++i) order[i] = static_cast<uint32_t>(i);
  std::mt19937_64 rng(seed);
  // Sattolo: swapping only with strictly earlier positions yields one cycle of all lines.
  for (size_t i = lines - 1; i > 0; --i) {
    std::uniform_int_distribution<size_t> pick(0, i - 1);
    std::swap(order[i], order[pick(rng)]);
  }
  char* base = static_cast<char*>(buffer);
  for (size_t i = 0; i < lines; ++i) {
    const size_t from = order[i];
    const size_t to = order[(i + 1) % lines];
    *reinterpret_cast<void**>(base + from * kChaseStride) = base + to * kChaseStride;
  }
  return lines;
}

uintptr_t Chase(const void* buffer, uint64_t steps) {
  const void* p = buffer;
  // Unrolled by 8; each load's address is the previous load's value.
  uint64_t i = 0;
  for (; i + 8 <= steps; i += 8) {
    p = *static_cast<const void* const*>(p);
    p = *static_cast<const void* const*>(p);
    p = *static_cast<const void* const*>(p);
    p = *static_cast<const void* const*>(p);
    p = *static_cast<const void* const*>(p);
    p = *static_cast<const void* const*>(p);
    p = *static_cast<const void* const*>(p);
    p = *static_cast<const void* const*>(p);
  }
  for (; i < steps; ++i) p = *static_cast<const void* const*>(p);
  return reinterpret_cast<uintptr_t>(p);
}

}  // namespace roofprof
