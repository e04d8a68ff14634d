// Dependent add chain. The empty asm statement pins the value in a register between adds,
// so the compiler can neither fold the adds into one multiply nor vectorise them; no
// instruction is emitted for it, so this is portable across GCC/Clang targets.
#include "probes/clock.h"

namespace roofprof {

#define ROOFPROF_ADD1 \
  x += 1;             \
  __asm__ volatile("" : "+r"(x))
#define ROOFPROF_ADD4 \
  ROOFPROF_ADD1;      \
  ROOFPROF_ADD1;      \
  ROOFPROF_ADD1;      \
  ROOFPROF_ADD1

uint64_t DependentAddChain(uint64_t adds) {
  uint64_t x = adds;
  // 16 adds per trip: the loop's own counter and branch run in parallel on other ALUs, so
  // the trip costs 16 cycles of latency however wide the core is.
  for (uint64_t i = 0; i < adds / kAddChainUnroll; ++i) {
    ROOFPROF_ADD4;
    ROOFPROF_ADD4;
    ROOFPROF_ADD4;
    ROOFPROF_ADD4;
  }
  return x;
}

#undef ROOFPROF_ADD4
#undef ROOFPROF_ADD1

}  // namespace roofprof
