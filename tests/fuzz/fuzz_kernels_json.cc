// Fuzzes the kernels.json reader: any input either parses or raises UsageError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "src/error.h"
#include "src/results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const roofprof::KernelsFile k = roofprof::KernelsFromJsonText(text, "fuzz.json");
    const std::string out = roofprof::KernelsToJsonText(k);
    roofprof::KernelsFromJsonText(out, "again.json");
  } catch (const roofprof::UsageError&) {
  }
  return 0;
}
