// Highway targets: names, vector widths, and (when the environment states them) which target
// the running CPU dispatches to - so emulated runs prove they exercise the ISA they claim.
#include "src/targets.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "hwy/targets.h"

namespace roofprof {
namespace {

// Vector bytes a fixed-width target must report; 0 for scalable ones (SVE, SVE2, RVV).
int FixedVectorBytes(int64_t t) {
  if (t == HWY_SCALAR) return 1;  // ScalableTag<uint8_t> has one lane
  if (t == HWY_SVE || t == HWY_SVE2 || t == HWY_RVV) return 0;
  if (t == HWY_AVX3 || t == HWY_AVX3_DL) return 64;
  if (t == HWY_AVX2 || t == HWY_SVE_256 || t == HWY_WASM_EMU256) return 32;
  return 16;  // EMU128, SSSE3, SSE4, NEON, SVE2_128, PPC8, WASM
}

TEST(Targets, ListedBestFirstWithConsistentNamesAndWidths) {
  const std::vector<int64_t> targets = AvailableTargets();
  ASSERT_FALSE(targets.empty());
  EXPECT_EQ(BestTarget(), targets.front());
  std::string line;
  for (size_t i = 0; i < targets.size(); ++i) {
    const int64_t t = targets[i];
    if (i > 0) {
      EXPECT_LT(targets[i - 1], t) << "Highway numbers better targets with lower bits";
    }
    EXPECT_EQ(TargetFromName(TargetName(t)), t);
    const int bytes = TargetVectorBytes(t);
    const int fixed = FixedVectorBytes(t);
    if (fixed > 0) {
      EXPECT_EQ(bytes, fixed) << TargetName(t);
    } else {
      // Scalable vectors: SVE and RVV (VLEN >= 128 for the V extension) are multiples of
      // 128 bits; SVE caps them at 2048 bits.
      EXPECT_EQ(bytes % 16, 0) << TargetName(t);
      EXPECT_GE(bytes, 16) << TargetName(t);
      if (t != HWY_RVV) {
        EXPECT_LE(bytes, 256) << TargetName(t);
      }
    }
    line += " " + TargetName(t) + "(" + std::to_string(bytes * 8) + "-bit)";
  }
  // Printed so logs of emulated runs show which ISA and vector length each run exercised.
  std::printf("available targets, best first:%s\n", line.c_str());
  EXPECT_EQ(TargetFromName("NO_SUCH_TARGET"), 0);
}

// The cross-test script states what the emulated CPU must dispatch to
// (ROOFPROF_EXPECT_BEST_TARGET, ROOFPROF_EXPECT_VECTOR_BITS); a build or CPU model that
// silently fell back to another target fails here.
TEST(Targets, BestTargetIsTheExpectedOne) {
  const char* name = std::getenv("ROOFPROF_EXPECT_BEST_TARGET");
  const char* bits = std::getenv("ROOFPROF_EXPECT_VECTOR_BITS");
  if (name == nullptr && bits == nullptr) {
    GTEST_SKIP() << "no expectation set (ROOFPROF_EXPECT_BEST_TARGET/_VECTOR_BITS)";
  }
  if (name != nullptr) {
    EXPECT_EQ(TargetName(BestTarget()), std::string(name));
  }
  if (bits != nullptr) {
    EXPECT_EQ(TargetVectorBytes(BestTarget()) * 8, std::atoi(bits));
  }
}

}  // namespace
}  // namespace roofprof
