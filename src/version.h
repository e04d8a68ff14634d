// The tool's version, written into every output file.
#ifndef ROOFPROF_SRC_VERSION_H_
#define ROOFPROF_SRC_VERSION_H_

namespace roofprof {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace roofprof

#endif  // ROOFPROF_SRC_VERSION_H_
