// Arm core table: /proc/cpuinfo parsing, lookups, mixed core types, and unknown cores.
#include "src/arch/arm_cores.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace roofprof {
namespace {

// Two processors of a Neoverse N1 machine, as Linux prints them.
constexpr const char* kN1Cpuinfo =
    "processor\t: 0\n"
    "BogoMIPS\t: 50.00\n"
    "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 8\n"
    "CPU variant\t: 0x3\n"
    "CPU part\t: 0xd0c\n"
    "CPU revision\t: 1\n"
    "\n"
    "processor\t: 1\n"
    "BogoMIPS\t: 50.00\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 8\n"
    "CPU variant\t: 0x3\n"
    "CPU part\t: 0xd0c\n"
    "CPU revision\t: 1\n";

TEST(ArmCores, ParsesEveryProcessor) {
  const std::vector<ArmCoreId> ids = ParseArmCpuinfo(kN1Cpuinfo);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].implementer, 0x41u);
  EXPECT_EQ(ids[0].part, 0xd0cu);
  EXPECT_TRUE(ids[0] == ids[1]);
}

TEST(ArmCores, OtherArchitecturesGiveNoIds) {
  EXPECT_TRUE(ParseArmCpuinfo("").empty());
  EXPECT_TRUE(ParseArmCpuinfo("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
                              "model\t\t: 2\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n")
                  .empty());
  // A block with only one of the two fields is not a core id.
  EXPECT_TRUE(ParseArmCpuinfo("processor\t: 0\nCPU implementer\t: 0x41\n").empty());
}

TEST(ArmCores, KnownDesigns) {
  const CoreSpec n1 = ArmMachineSpec(ParseArmCpuinfo(kN1Cpuinfo));
  ASSERT_TRUE(n1.known) << n1.why_unknown;
  EXPECT_EQ(n1.name, "Neoverse N1");
  EXPECT_EQ(n1.fma_pipes, 2);
  EXPECT_EQ(n1.datapath_bits, 128);
  EXPECT_FALSE(n1.separate_add_pipes);

  const CoreSpec v2 = ArmCoreSpec({0x41, 0xd4f});
  ASSERT_TRUE(v2.known);
  EXPECT_EQ(v2.name, "Neoverse V2");
  const CoreSpec m1 = ArmCoreSpec({0x61, 0x023});
  ASSERT_TRUE(m1.known);
  EXPECT_EQ(m1.fma_pipes, 4);
}

// Neoverse V1 executes 4x128-bit NEON FMAs or 2x256-bit SVE FMAs per cycle: both vector
// widths must give the same theoretical peak, 32 fp32 FLOP/cycle.
TEST(ArmCores, NeoverseV1PeakIsTheSameForNeonAndSve256) {
  const CoreSpec v1 = ArmCoreSpec({0x41, 0xd40});
  ASSERT_TRUE(v1.known);
  const double neon = TheoreticalGflops(v1, 1.0, 128, 32, "fma", 1);
  const double sve = TheoreticalGflops(v1, 1.0, 256, 32, "fma", 1);
  EXPECT_DOUBLE_EQ(neon, 32.0);
  EXPECT_DOUBLE_EQ(sve, 32.0);
  // No separate FADD pipes on Arm: the fma+add mix does not apply.
  EXPECT_TRUE(std::isnan(TheoreticalGflops(v1, 1.0, 128, 32, "fma+add", 1)));
}

TEST(ArmCores, UnknownCoresSaySoWithTheirIds) {
  // Cortex-A55 (0xd05) is a real core that the table does not describe: no guessing.
  const CoreSpec a55 = ArmCoreSpec({0x41, 0xd05});
  EXPECT_FALSE(a55.known);
  EXPECT_NE(a55.why_unknown.find("0xd05"), std::string::npos) << a55.why_unknown;
  EXPECT_TRUE(std::isnan(TheoreticalGflops(a55, 3.0, 128, 32, "fma", 1)));

  const CoreSpec none = ArmMachineSpec({});
  EXPECT_FALSE(none.known);
  EXPECT_NE(none.why_unknown.find("no Arm core ids"), std::string::npos) << none.why_unknown;
}

TEST(ArmCores, MixedCoreTypesUseTheFastestKnownAndSaySo) {
  // Apple M1 under Linux: Icestorm E-cores (0x22, not in the table) and Firestorm P-cores.
  const CoreSpec m1 = ArmMachineSpec({{0x61, 0x022}, {0x61, 0x022}, {0x61, 0x023}});
  ASSERT_TRUE(m1.known);
  EXPECT_EQ(m1.fma_pipes, 4);
  EXPECT_NE(m1.name.find("Apple M1 P-core"), std::string::npos);
  EXPECT_NE(m1.name.find("2 core types"), std::string::npos) << m1.name;

  // big.LITTLE of two known designs: the 4-pipe X1 wins over the 2-pipe A78.
  const CoreSpec phone = ArmMachineSpec({{0x41, 0xd41}, {0x41, 0xd44}});
  ASSERT_TRUE(phone.known);
  EXPECT_EQ(phone.fma_pipes, 4);

  // Neither design known: unknown, naming both.
  const CoreSpec odd = ArmMachineSpec({{0x41, 0xd05}, {0x41, 0xd46}});
  EXPECT_FALSE(odd.known);
  EXPECT_NE(odd.why_unknown.find("0xd05"), std::string::npos);
  EXPECT_NE(odd.why_unknown.find("0xd46"), std::string::npos);
}

}  // namespace
}  // namespace roofprof
