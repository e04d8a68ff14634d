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
#include <algorithm>

#include "src/hwy_dispatch.h"
#include "src/targets.h"

namespace roofprof {

HWY_EXPORT(VectorBytes);

namespace {

bool Contains(const std::vector<int64_t>& targets, int64_t t) {
  return std::find(targets.begin(), targets.end(), t) != targets.end();
}

// Highway 1.0.3 detects SVE and SVE2 at run time but never picks its fixed-width SVE targets,
// which know the vector length at compile time (SVE_256: Neoverse V1; SVE2_128: Neoverse N2,
// V2). Where they are compiled and the running vector length matches, they are added, as
// later Highway versions do. The condition is on HWY_TARGETS, so other architectures compile
// this to nothing.
std::vector<int64_t> DetectTargets() {
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  if ((HWY_TARGETS & HWY_SVE_256) != 0 && Contains(targets, HWY_SVE) &&
      ROOFPROF_DISPATCH_FOR(VectorBytes, HWY_SVE)() == 32) {
    targets.push_back(HWY_SVE_256);
  }
  if ((HWY_TARGETS & HWY_SVE2_128) != 0 && Contains(targets, HWY_SVE2) &&
      ROOFPROF_DISPATCH_FOR(VectorBytes, HWY_SVE2)() == 16) {
    targets.push_back(HWY_SVE2_128);
  }
  // Lower bits are better targets in Highway's numbering: keep the list best first.
  std::sort(targets.begin(), targets.end());
  return targets;
}

}  // namespace

std::vector<int64_t> AvailableTargets() {
  static const std::vector<int64_t> targets = DetectTargets();
  return targets;
}

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
