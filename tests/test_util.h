// Helpers shared by tests: iterate over every compiled target, tolerance arithmetic.
#ifndef ROOFPROF_TESTS_TEST_UTIL_H_
#define ROOFPROF_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "src/targets.h"

namespace roofprof::testing_util {

// Every target compiled into the binary that this CPU can run, best first.
inline std::vector<int64_t> Targets() { return AvailableTargets(); }

// Error bound for a dot product of length k accumulated in precision with unit roundoff
// `eps` (2^-24 for f32), against an exact reference: the classic k*eps*sum|a_i*b_i| bound
// (Higham, Accuracy and Stability, 3.1), with a factor 2 for reassociation across lanes.
inline double DotTolerance(int64_t k, double sum_abs_products, double eps) {
  return 2.0 * static_cast<double>(k) * eps * sum_abs_products + std::numeric_limits<double>::min();
}

// Path of a program built with the tests: the environment variable `name` when set, else the
// path CMake compiled in.
inline std::string ProgramPath(const char* name, const char* built_in) {
  const char* env = std::getenv(name);
  return env != nullptr && env[0] != '\0' ? env : built_in;
}

inline constexpr double kEpsF32 = 0x1p-24;
inline constexpr double kEpsBf16 = 0x1p-8;

}  // namespace roofprof::testing_util

#endif  // ROOFPROF_TESTS_TEST_UTIL_H_
