// Target enumeration on top of hwy/targets.h; vector widths come from a tiny dispatched probe.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/targets.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

int VectorBytes() { return static_cast<int>(hn::Lanes(hn::ScalableTag<uint8_t>())); }

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "src/hwy_dispatch.h"
#include "src/targets.h"

namespace roofprof {

HWY_EXPORT(VectorBytes);

// Highway itself adds the fixed-width SVE targets (SVE_256, SVE2_128) when the running vector
// length matches them (hwy/targets.cc, SupportedTargets).
std::vector<int64_t> AvailableTargets() { return hwy::SupportedAndGeneratedTargets(); }

int64_t BestTarget() {
  const std::vector<int64_t> t = AvailableTargets();
  return t.empty() ? HWY_STATIC_TARGET : t.front();
}

std::string TargetName(int64_t target) { return hwy::TargetName(target); }

int64_t TargetFromName(const std::string& name) {
  for (const int64_t t : AvailableTargets()) {
    if (name == hwy::TargetName(t)) return t;
  }
  return 0;
}

std::vector<std::string> AvailableTargetNames() {
  std::vector<std::string> names;
  for (const int64_t t : AvailableTargets()) names.push_back(hwy::TargetName(t));
  return names;
}

bool IsEmulatedTarget(int64_t target) { return target == HWY_EMU128 || target == HWY_SCALAR; }

int TargetVectorBytes(int64_t target) { return ROOFPROF_DISPATCH_FOR(VectorBytes, target)(); }

}  // namespace roofprof
#endif  // HWY_ONCE
