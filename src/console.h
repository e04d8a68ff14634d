// Plain-text views for the terminal: machine context, ceiling tables, kernel results.
#ifndef ROOFPROF_SRC_CONSOLE_H_
#define ROOFPROF_SRC_CONSOLE_H_

#include <string>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {

// CPU, cores, clock, targets, caches and every note/warning, printed before results.
std::string MachineContextText(const Machine& m);
// Compute ceilings: one row per precision/ISA/op, GFLOP/s and flop/cycle per thread count,
// theoretical beside measured.
std::string ComputeTableText(const Machine& m);
// Bandwidth ceilings per level and kernel, GB/s and byte/cycle per thread count.
std::string BandwidthTableText(const Machine& m);
// Kernel results: time, GFLOP/s, DRAM GB/s, AI, bound, efficiency, provenance; then advice.
std::string KernelsTableText(const KernelsFile& k);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_CONSOLE_H_
