// Instrumented byte counting for tests of work models: records every byte a reference
// implementation reads or writes, so compulsory traffic can be compared with the model.
#ifndef ROOFPROF_KERNELS_TOUCH_COUNTER_H_
#define ROOFPROF_KERNELS_TOUCH_COUNTER_H_

#include <cstddef>
#include <cstdint>
#include <unordered_set>

namespace roofprof {

// Small shapes only: keeps one set entry per distinct byte address.
class TouchCounter {
 public:
  void Read(const void* p, size_t bytes) { Add(&read_, p, bytes); }
  void Write(const void* p, size_t bytes) { Add(&written_, p, bytes); }
  // Distinct bytes read / written at least once.
  uint64_t unique_read_bytes() const { return read_.size(); }
  uint64_t unique_written_bytes() const { return written_.size(); }
  uint64_t unique_bytes() const { return read_.size() + written_.size(); }
  // Total bytes of all Read/Write calls (with repeats).
  uint64_t total_bytes() const { return total_; }

 private:
  void Add(std::unordered_set<uintptr_t>* set, const void* p, size_t bytes) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    for (size_t i = 0; i < bytes; ++i) set->insert(a + i);
    total_ += bytes;
  }
  std::unordered_set<uintptr_t> read_, written_;
  uint64_t total_ = 0;
};

}  // namespace roofprof

#endif  // ROOFPROF_KERNELS_TOUCH_COUNTER_H_
