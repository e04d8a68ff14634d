// Theoretical peak arithmetic (architecture-neutral); core recognition is per architecture.
#include "src/cpu_db.h"

#include <algorithm>
#include <cmath>

namespace roofprof {

double TheoreticalGflops(const CoreSpec& core, double ghz, int vector_bits, int elem_bits,
                         const std::string& op, int threads) {
  if (!core.known || ghz <= 0 || vector_bits <= 0 || elem_bits <= 0) return std::nan("");
  // A vector wider than the datapath is split into datapath-wide pieces: throughput in
  // elements per pipe per cycle is capped by the datapath.
  const double lanes = static_cast<double>(std::min(vector_bits, core.datapath_bits)) / elem_bits;
  double per_cycle = 0;
  if (op == "fma") {
    per_cycle = core.fma_pipes * lanes * 2;
  } else if (op == "mul+add") {
    // Separate multiply and add instructions: multiplies on the FMA pipes, adds on the add
    // pipes when they are separate (Zen), otherwise sharing the same pipes.
    per_cycle = core.separate_add_pipes ? 2 * lanes * std::min(core.fma_pipes, core.add_pipes)
                                        : core.fma_pipes * lanes;
  } else if (op == "add") {
    per_cycle = core.add_pipes * lanes;
  } else if (op == "fma+add") {
    if (!core.separate_add_pipes) return std::nan("");
    per_cycle = core.fma_pipes * lanes * 2 + core.add_pipes * lanes;
  } else {
    return std::nan("");
  }
  return per_cycle * ghz * threads;
}

}  // namespace roofprof
