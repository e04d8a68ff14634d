// Arm core table: MIDR (implementer, part) -> SIMD FMA pipes and their width. Pure functions,
// compiled on every host so the table and its rules are tested everywhere; only
// src/arch/cpu_arm.cc (AArch64 builds) applies them to the running machine.
#ifndef ROOFPROF_SRC_ARCH_ARM_CORES_H_
#define ROOFPROF_SRC_ARCH_ARM_CORES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/cpu_db.h"

namespace roofprof {

// The two MIDR_EL1 fields that name a core design.
struct ArmCoreId {
  uint32_t implementer = 0;  // 0x41 Arm Ltd, 0x46 Fujitsu, 0x61 Apple, ...
  uint32_t part = 0;         // 0xd0c Neoverse N1, ...
  bool operator==(const ArmCoreId& o) const {
    return implementer == o.implementer && part == o.part;
  }
};

// One entry per processor listed in Linux's /proc/cpuinfo text (its "CPU implementer" and
// "CPU part" lines), in order. Entries missing either field are skipped, so text from another
// architecture (or none at all) gives an empty list.
std::vector<ArmCoreId> ParseArmCpuinfo(const std::string& cpuinfo);

// The table entry for one core design; known == false (why_unknown names the ids) when the
// design is not in the table. Never guesses from similar part numbers.
CoreSpec ArmCoreSpec(const ArmCoreId& id);

// The spec for a whole machine given every processor's id:
//  - no ids: unknown, saying the OS reported none;
//  - one design: its entry;
//  - several designs (big.LITTLE, Apple P/E): the known design with the most FLOP per cycle,
//    with its name saying the machine mixes core types (as for x86 hybrid parts, peaks are
//    per fastest core); unknown when none of the designs is in the table.
CoreSpec ArmMachineSpec(const std::vector<ArmCoreId>& ids);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_ARCH_ARM_CORES_H_
