// x86 core recognition from CPUID family/model: FMA/ADD pipes and datapath width of common
// AMD and Intel cores (from the vendors' optimisation guides).
#include <cpuid.h>

#include <cstdio>
#include <cstring>

#include "src/cpu_db.h"

namespace roofprof {

CoreSpec RecognizeCore() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  CoreSpec unknown;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
    unknown.why_unknown = "CPUID unavailable";
    return unknown;
  }
  char vendor[13] = {};
  std::memcpy(vendor + 0, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const unsigned base_family = (eax >> 8) & 0xF;
  const unsigned family = base_family == 0xF ? base_family + ((eax >> 20) & 0xFF) : base_family;
  const unsigned model = (base_family == 0x6 || base_family == 0xF)
                             ? (((eax >> 16) & 0xF) << 4) | ((eax >> 4) & 0xF)
                             : (eax >> 4) & 0xF;
  char id[96];
  std::snprintf(id, sizeof(id), "%s family 0x%X model 0x%X", vendor, family, model);

  if (std::strcmp(vendor, "AuthenticAMD") == 0 || std::strcmp(vendor, "HygonGenuine") == 0) {
    // Zen cores: FMA on two pipes, FP adds on two separate FADD pipes.
    if (family == 0x17) {
      if (model < 0x30 && model != 0x18) return KnownCore("Zen/Zen+", 2, 2, true, 128);
      return KnownCore("Zen 2", 2, 2, true, 256);
    }
    if (family == 0x19) {
      const bool zen4 = (model >= 0x10 && model <= 0x1F) || (model >= 0x60 && model <= 0x7F) ||
                        (model >= 0xA0 && model <= 0xAF);
      // Zen 4 executes AVX-512 on 256-bit pipes (two passes per 512-bit op).
      return zen4 ? KnownCore("Zen 4", 2, 2, true, 256) : KnownCore("Zen 3", 2, 2, true, 256);
    }
    if (family == 0x1A) {
      // Zen 5: full 512-bit datapath on desktop and server parts; the mobile Strix Point
      // parts (models 0x20-0x2F) keep 256-bit pipes.
      if (model >= 0x20 && model <= 0x2F) return KnownCore("Zen 5 (mobile)", 2, 2, true, 256);
      return KnownCore("Zen 5", 2, 2, true, 512);
    }
  } else if (std::strcmp(vendor, "GenuineIntel") == 0 && family == 6) {
    switch (model) {
      case 0x55:  // Skylake-SP/Cascade Lake (Gold 6xxx/Platinum: two 512-bit FMA units)
        return KnownCore("Skylake-SP", 2, 2, false, 512);
      case 0x6A:
      case 0x6C:
        return KnownCore("Ice Lake-SP", 2, 2, false, 512);
      case 0x8F:
      case 0xCF:
        return KnownCore("Sapphire/Emerald Rapids", 2, 2, false, 512);
      case 0xAD:
      case 0xAE:
        return KnownCore("Granite Rapids", 2, 2, false, 512);
      case 0x4E:
      case 0x5E:
      case 0x8E:
      case 0x9E:
      case 0xA5:
      case 0xA6:
        return KnownCore("Skylake (client)", 2, 2, false, 256);
      case 0x7D:
      case 0x7E:
      case 0x8C:
      case 0x8D:
        return KnownCore("Ice/Tiger Lake (client)", 2, 2, false, 256);
      case 0x97:
      case 0x9A:
      case 0xB7:
      case 0xBA:
      case 0xBF:
        // Hybrid parts: the P-cores (Golden/Raptor Cove); E-cores are slower.
        return KnownCore("Alder/Raptor Lake P-core", 2, 2, false, 256);
      case 0x3F:
      case 0x4F:
      case 0x56:
      case 0x3C:
      case 0x45:
      case 0x46:
      case 0x47:
        return KnownCore("Haswell/Broadwell", 2, 1, false, 256);
      default:
        break;
    }
  }
  unknown.why_unknown = std::string("core not in roofprof's table (") + id + ")";
  return unknown;
}

}  // namespace roofprof
