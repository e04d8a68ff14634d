// Arm core table and the rules that pick an entry for a machine (see arm_cores.h).
#include "src/arch/arm_cores.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace roofprof {
namespace {

struct Entry {
  uint32_t implementer;
  uint32_t part;
  const char* name;
  int fma_pipes;
  int datapath_bits;
};

// From Arm's Software Optimization Guides (FP/ASIMD pipes V0..V3) and, for Apple, the part
// numbers Linux lists in arch/arm64/include/asm/cputype.h. Neoverse V1 has 4x128-bit NEON
// pipes that pair up as 2x256-bit for SVE: counted as 4x128 so that 128-bit NEON code gets
// its full rate and 256-bit SVE ops split into two 128-bit pieces reach the same peak.
constexpr Entry kTable[] = {
    {0x41, 0xd0b, "Cortex-A76", 2, 128},
    {0x41, 0xd0c, "Neoverse N1", 2, 128},
    {0x41, 0xd40, "Neoverse V1", 4, 128},
    {0x41, 0xd41, "Cortex-A78", 2, 128},
    {0x41, 0xd44, "Cortex-X1", 4, 128},
    {0x41, 0xd49, "Neoverse N2", 2, 128},
    {0x41, 0xd4f, "Neoverse V2", 4, 128},
    {0x41, 0xd84, "Neoverse V3", 4, 128},
    {0x41, 0xd8e, "Neoverse N3", 2, 128},
    // A64FX: two 512-bit SVE FMA pipes.
    {0x46, 0x001, "A64FX", 2, 512},
    // Apple M1/M2 performance cores (base, Pro, Max): four 128-bit FMA pipes.
    {0x61, 0x023, "Apple M1 P-core", 4, 128},
    {0x61, 0x025, "Apple M1 Pro P-core", 4, 128},
    {0x61, 0x029, "Apple M1 Max P-core", 4, 128},
    {0x61, 0x033, "Apple M2 P-core", 4, 128},
    {0x61, 0x035, "Apple M2 Pro P-core", 4, 128},
    {0x61, 0x039, "Apple M2 Max P-core", 4, 128},
};

std::string IdText(const ArmCoreId& id) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "implementer 0x%x part 0x%x", id.implementer, id.part);
  return buf;
}

// Value after the colon of a "key<tabs> : value" line, parsed with base detection (0x...).
bool ParseField(const std::string& line, const char* key, uint32_t* out) {
  if (line.rfind(key, 0) != 0) return false;
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return false;
  const char* begin = line.c_str() + colon + 1;
  char* end = nullptr;
  const unsigned long v = std::strtoul(begin, &end, 0);
  if (end == begin) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

double FmaBitsPerCycle(const CoreSpec& s) {
  return static_cast<double>(s.fma_pipes) * s.datapath_bits;
}

}  // namespace

std::vector<ArmCoreId> ParseArmCpuinfo(const std::string& cpuinfo) {
  std::vector<ArmCoreId> ids;
  std::istringstream in(cpuinfo);
  std::string line;
  bool have_impl = false, have_part = false;
  ArmCoreId cur;
  const auto flush = [&] {
    if (have_impl && have_part) ids.push_back(cur);
    have_impl = have_part = false;
    cur = ArmCoreId();
  };
  while (std::getline(in, line)) {
    // Each processor's block starts with its "processor" line and ends with a blank line.
    if (line.rfind("processor", 0) == 0) flush();
    if (ParseField(line, "CPU implementer", &cur.implementer)) have_impl = true;
    if (ParseField(line, "CPU part", &cur.part)) have_part = true;
  }
  flush();
  return ids;
}

CoreSpec ArmCoreSpec(const ArmCoreId& id) {
  for (const Entry& e : kTable) {
    if (e.implementer == id.implementer && e.part == id.part) {
      // FP adds issue on the same pipes as FMAs on every Arm design in the table (no separate
      // FADD pipes as on AMD Zen), so add_pipes == fma_pipes.
      return KnownCore(e.name, e.fma_pipes, e.fma_pipes, false, e.datapath_bits);
    }
  }
  CoreSpec unknown;
  unknown.why_unknown = "Arm core not in roofprof's table (" + IdText(id) + ")";
  return unknown;
}

CoreSpec ArmMachineSpec(const std::vector<ArmCoreId>& ids) {
  std::vector<ArmCoreId> designs;
  for (const ArmCoreId& id : ids) {
    bool seen = false;
    for (const ArmCoreId& d : designs) seen = seen || d == id;
    if (!seen) designs.push_back(id);
  }
  if (designs.empty()) {
    CoreSpec unknown;
    unknown.why_unknown = "the OS reports no Arm core ids (MIDR implementer/part)";
    return unknown;
  }
  if (designs.size() == 1) return ArmCoreSpec(designs[0]);
  CoreSpec best;
  std::string all;
  for (const ArmCoreId& d : designs) {
    all += (all.empty() ? "" : ", ") + IdText(d);
    const CoreSpec s = ArmCoreSpec(d);
    if (s.known && (!best.known || FmaBitsPerCycle(s) > FmaBitsPerCycle(best))) best = s;
  }
  if (!best.known) {
    best.why_unknown = "none of this machine's " + std::to_string(designs.size()) +
                       " Arm core types is in roofprof's table (" + all + ")";
    return best;
  }
  best.name += " (fastest of " + std::to_string(designs.size()) + " core types)";
  return best;
}

}  // namespace roofprof
