// AArch64 core recognition from the MIDR (implementer, part) Linux exposes in /proc/cpuinfo:
// SIMD FMA pipes of Neoverse and Apple cores (128-bit NEON pipes; SVE on V1 is 2x256).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "src/cpu_db.h"

namespace roofprof {
namespace {

CoreSpec Make(const char* name, int fma, int bits) {
  CoreSpec s;
  s.known = true;
  s.name = name;
  s.fma_pipes = fma;
  s.add_pipes = fma;  // FP adds issue on the same pipes
  s.separate_add_pipes = false;
  s.datapath_bits = bits;
  return s;
}

unsigned long Field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return std::strtoul(line.c_str() + colon + 1, nullptr, 0);
    }
  }
  return 0;
}

}  // namespace

CoreSpec RecognizeCore() {
  const unsigned long impl = Field("CPU implementer");
  const unsigned long part = Field("CPU part");
  if (impl == 0x41) {  // Arm Ltd
    switch (part) {
      case 0xd0c:
        return Make("Neoverse N1", 2, 128);
      case 0xd49:
        return Make("Neoverse N2", 2, 128);
      case 0xd40:
        return Make("Neoverse V1", 2, 256);  // 4x128 NEON or 2x256 SVE: same FLOP/cycle
      case 0xd4f:
        return Make("Neoverse V2", 4, 128);
      case 0xd84:
        return Make("Neoverse V3", 4, 128);
      case 0xd8e:
        return Make("Neoverse N3", 2, 128);
      case 0xd0b:
        return Make("Cortex-A76", 2, 128);
      default:
        break;
    }
  } else if (impl == 0x61) {  // Apple: performance cores have four 128-bit FMA pipes
    switch (part) {
      case 0x23:
      case 0x25:
      case 0x29:
      case 0x33:
      case 0x35:
      case 0x39:
        return Make("Apple M-series P-core", 4, 128);
      default:
        break;
    }
  }
  CoreSpec unknown;
  char id[64];
  std::snprintf(id, sizeof(id), "implementer 0x%lx part 0x%lx", impl, part);
  unknown.why_unknown = std::string("core not in roofprof's table (") + id + ")";
  return unknown;
}

}  // namespace roofprof
