// Residency and streaming-traffic helpers for kernel work models.
#include "kernels/model_util.h"

#include <algorithm>

#include "src/targets.h"

namespace roofprof {

int64_t ModelTarget(const ModelContext& ctx) { return ctx.target != 0 ? ctx.target : BestTarget(); }

int ResidentLevel(double bytes, const ModelContext& ctx) {
  const int threads = std::max(1, ctx.threads);
  const double share = bytes / threads;
  for (int level = 1; level <= 3; ++level) {
    const CacheLevel* c = FindCache(ctx.caches, level);
    if (c == nullptr) continue;
    const int sharing = std::max(1, c->cores_sharing);
    const int instances = (threads + sharing - 1) / sharing;
    const double per_thread = static_cast<double>(c->size_bytes) * instances / threads;
    if (share <= kUsableCacheFraction * per_thread) return level - 1;
  }
  return static_cast<int>(Level::kDram);
}

std::array<double, kNumLevels> StreamTraffic(double bytes, int level) {
  std::array<double, kNumLevels> t{};
  for (int l = 0; l <= level && l < kNumLevels; ++l) t[static_cast<size_t>(l)] = bytes;
  return t;
}

void AddTraffic(std::array<double, kNumLevels>* into, const std::array<double, kNumLevels>& add) {
  for (int l = 0; l < kNumLevels; ++l)
    (*into)[static_cast<size_t>(l)] += add[static_cast<size_t>(l)];
}

std::string DescribeStream(const std::string& what, double bytes, int level) {
  return what + " (" + FormatBytes(bytes) + ") streams from " + LevelName(level);
}

}  // namespace roofprof
