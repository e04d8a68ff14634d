// Error types shared by every verb, and the exit status each one maps to.
#ifndef ROOFPROF_SRC_ERROR_H_
#define ROOFPROF_SRC_ERROR_H_

#include <stdexcept>
#include <string>

namespace roofprof {

// Exit statuses: 0 success, 1 environment or runtime failure, 2 bad usage or input,
// 130 interrupted by SIGINT/SIGTERM (128 + SIGINT, as shells report it).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

// Bad command line or bad input file: the user can fix it. Reported in one line, exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The machine cannot do what was asked (allocation refused, file not writable, ...). Exit 1.
class EnvironmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// SIGINT or SIGTERM arrived; the run stops at the next safe point. Exit 130.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace roofprof

#endif  // ROOFPROF_SRC_ERROR_H_
