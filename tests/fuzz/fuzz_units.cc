// Fuzzes the option parsers: sizes, shapes and integers accept or raise UsageError only.
#include <cstddef>
#include <cstdint>
#include <string>

#include "src/error.h"
#include "src/units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const uint64_t v = roofprof::ParseSize(text, "--size");
    if (v == 0) __builtin_trap();  // accepted sizes are positive
  } catch (const roofprof::UsageError&) {
  }
  try {
    const roofprof::Shape s = roofprof::ParseShape(text);
    // A parsed shape formats back to something that parses to the same shape.
    if (roofprof::ParseShape(roofprof::FormatShape(s)) != s) __builtin_trap();
  } catch (const roofprof::UsageError&) {
  }
  try {
    roofprof::ParseInt(text, 1, 1 << 20, "--threads");
  } catch (const roofprof::UsageError&) {
  }
  return 0;
}
