// Fuzzes the machine.json reader: any input either parses into a model or raises UsageError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "src/error.h"
#include "src/machine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const roofprof::Machine m = roofprof::MachineFromJsonText(text, "fuzz.json");
    // What was accepted must write back and read again identically.
    const std::string out = roofprof::MachineToJsonText(m);
    const roofprof::Machine again = roofprof::MachineFromJsonText(out, "again.json");
    if (roofprof::MachineToJsonText(again) != out) __builtin_trap();
  } catch (const roofprof::UsageError&) {
  }
  return 0;
}
