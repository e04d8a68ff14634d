// Highway targets as plain data: which ones this build compiled and this CPU supports.
#ifndef ROOFPROF_SRC_TARGETS_H_
#define ROOFPROF_SRC_TARGETS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace roofprof {

// Targets both compiled into this binary and supported by this CPU, best first.
std::vector<int64_t> AvailableTargets();
// Best available target.
int64_t BestTarget();
// Highway's name for a target ("AVX3", "NEON", "EMU128").
std::string TargetName(int64_t target);
// Inverse of TargetName among AvailableTargets(); 0 when unknown or unavailable.
int64_t TargetFromName(const std::string& name);
// Names of AvailableTargets(), best first.
std::vector<std::string> AvailableTargetNames();
// True for EMU128/SCALAR: portable C++ standing in for SIMD, with no hardware spec behind it.
bool IsEmulatedTarget(int64_t target);
// Vector width in bytes of a target (16 for SSE4/NEON, 32 for AVX2, 64 for AVX3; the
// runtime length for scalable targets), for flop/cycle arithmetic.
int TargetVectorBytes(int64_t target);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_TARGETS_H_
