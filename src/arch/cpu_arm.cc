// AArch64 core recognition: the MIDR ids the OS lists for every processor, looked up in the
// Arm core table (src/arch/arm_cores.cc).
#include "src/arch/arm_cores.h"
#include "src/cpu_db.h"
#include "src/platform.h"

namespace roofprof {

CoreSpec RecognizeCore() { return ArmMachineSpec(ParseArmCpuinfo(platform::CpuInfoText())); }

}  // namespace roofprof
