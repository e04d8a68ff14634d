// Calls the entry of an HWY_EXPORT table for one chosen target (not only the best one), so
// probes can sweep ISAs and tests can check every compiled target. Include only in .cc files
// that use HWY_EXPORT, after "hwy/highway.h".
#ifndef ROOFPROF_SRC_HWY_DISPATCH_H_
#define ROOFPROF_SRC_HWY_DISPATCH_H_

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"

namespace roofprof {

// Index of `target` in an HWY_EXPORT table: the same bit arithmetic ChosenTarget uses when
// `target` is the only supported one. EMU128/SCALAR map to the table's fallback entry.
inline size_t DispatchIndex(int64_t target) {
  return hwy::Num0BitsBelowLS1Bit_Nonzero64(
      static_cast<uint64_t>((HWY_CHOSEN_TARGET_SHIFT(target) | HWY_CHOSEN_TARGET_MASK_SCALAR) &
                            HWY_CHOSEN_TARGET_MASK_TARGETS));
}

}  // namespace roofprof

// The function pointer of FUNC_NAME compiled for TARGET (an int64_t Highway target bit).
#define ROOFPROF_DISPATCH_FOR(FUNC_NAME, TARGET) \
  (*(HWY_DISPATCH_TABLE(FUNC_NAME)[::roofprof::DispatchIndex(TARGET)]))

#endif  // ROOFPROF_SRC_HWY_DISPATCH_H_
