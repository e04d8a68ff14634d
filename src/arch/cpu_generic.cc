// Core recognition for architectures without a table (RISC-V, POWER, ...): we do not guess.
#include "src/cpu_db.h"
#include "src/topology.h"

namespace roofprof {

CoreSpec RecognizeCore() {
  CoreSpec unknown;
  unknown.why_unknown = std::string("no core table for ") + ArchName() + " yet";
  return unknown;
}

}  // namespace roofprof
