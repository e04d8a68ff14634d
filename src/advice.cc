// Rules behind AdviseKernel. Each line states a cause and a number.
#include "src/advice.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/roofline.h"
#include "src/units.h"

namespace roofprof {
namespace {

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Ms(double s) { return FormatRate(s * 1e3) + " ms"; }

// Bytes per weight of a format, and the next narrower format worth suggesting.
struct Format {
  const char* suffix;
  double bytes_per_weight;
  const char* next;
};
constexpr Format kFormats[] = {{"_f32", 4.0, "bf16"},
                               {"_bf16", 2.0, "q8_0"},
                               {"_q8_0", 34.0 / 32, "q4_0"},
                               {"_q4_0", 18.0 / 32, nullptr}};

double BytesPerWeight(const std::string& format) {
  for (const auto& f : kFormats) {
    if (format == f.suffix + 1) return f.bytes_per_weight;
  }
  return 0;
}

// Time with the DRAM bytes scaled by `ratio`, keeping every other bound.
double TimeWithDramScaled(const KernelResult& r, double ratio) {
  double t = 0;
  for (int i = 0; i <= kNumLevels; ++i) {
    double b = r.bound_seconds[static_cast<size_t>(i)];
    if (!std::isfinite(b)) continue;
    if (i == kNumLevels) b *= ratio;
    t = std::max(t, b);
  }
  return t;
}

}  // namespace

// Below this a run's fixed costs (OpenMP fork/join and barrier, a few microseconds) are a
// visible share of it.
constexpr double kShortRunSeconds = 50e-6;

std::vector<std::string> AdviseKernel(const KernelResult& r, const Machine& m, int usable_threads) {
  std::vector<std::string> out;
  if (r.bound == "unknown" || TimeWithDramScaled(r, 1) <= 0) return out;
  const Ceilings c = SelectCeilings(m, r.precision, r.threads, r.isa);
  const double dram_gbps = c.gbps[3];
  const double ridge = dram_gbps > 0 ? c.compute_gflops / dram_gbps : 0;
  const bool weights =
      StartsWith(r.name, "gemv_") || StartsWith(r.name, "gemm_") || StartsWith(r.name, "ffn_");

  if (r.bound == "DRAM") {
    const double ai = r.ai[3];
    if (weights && ai > 0 && ridge > 0) {
      const int64_t batch = ShapeValue(r.shape, "m", 0);
      if (batch > 0) {
        // Weights dominate DRAM traffic and are read once per step whatever the batch, so the
        // intensity grows about linearly with m.
        const double m_ridge = std::ceil(static_cast<double>(batch) * ridge / ai);
        out.push_back(fmt::format(
            "DRAM-bound at {} FLOP/byte; the ridge is at {} FLOP/byte ({} GFLOP/s / {} GB/s): "
            "about m={} tokens per weight pass (batching or speculative verification) would "
            "make it compute-bound at the same time per pass",
            FormatRate(ai), FormatRate(ridge), FormatRate(c.compute_gflops), FormatRate(dram_gbps),
            static_cast<int64_t>(m_ridge)));
      }
      for (const auto& f : kFormats) {
        if (!EndsWith(r.name, f.suffix) || f.next == nullptr) continue;
        const double ratio = BytesPerWeight(f.next) / f.bytes_per_weight;
        out.push_back(fmt::format(
            "{} weights would move {:.0f}% of the bytes: the DRAM bound drops from {} to {} per "
            "run",
            f.next, 100 * ratio, Ms(r.bound_seconds[4]), Ms(r.bound_seconds[4] * ratio)));
      }
    }
    if (r.name == "attn_decode") {
      const int64_t heads = ShapeValue(r.shape, "heads", 0);
      const int64_t kv_heads = ShapeValue(r.shape, "kv_heads", 0);
      const int64_t kv_bits = ShapeValue(r.shape, "kv_bits", 32);
      if (kv_bits == 32) {
        out.push_back(fmt::format("an f16 KV cache halves the KV bytes: {} instead of {} per step",
                                  Ms(TimeWithDramScaled(r, 0.5)), Ms(TimeWithDramScaled(r, 1))));
      }
      if (heads > 0 && kv_heads == heads && heads % 4 == 0) {
        out.push_back(fmt::format(
            "MHA reads one KV head per query head; GQA with kv_heads={} would read 4x fewer KV "
            "bytes ({} per step)",
            heads / 4, Ms(TimeWithDramScaled(r, 0.25))));
      } else if (heads > 0 && kv_heads > 0 && kv_heads < heads) {
        out.push_back(fmt::format(
            "GQA already shares each KV head among {} query heads: {}x fewer KV bytes than MHA; "
            "batching does not help here (every sequence reads its own cache)",
            heads / kv_heads, heads / kv_heads));
      }
    }
  } else if (r.bound == "compute") {
    // A wider measured target for the same precision.
    const Ceilings best = SelectCeilings(m, r.precision, r.threads);
    if (!r.isa.empty() && best.compute_gflops > c.compute_gflops * 1.1) {
      out.push_back(
          fmt::format("ran on {}; the best measured target for {} reaches {} GFLOP/s "
                      "({:.1f}x)",
                      r.isa, r.precision, FormatRate(best.compute_gflops),
                      best.compute_gflops / c.compute_gflops));
    }
    if (r.precision == "fp64") {
      const Ceilings f32 = SelectCeilings(m, "fp32", r.threads, r.isa);
      if (f32.compute_gflops > 0) {
        out.push_back(fmt::format("fp32 would raise the compute roof to {} GFLOP/s ({:.1f}x)",
                                  FormatRate(f32.compute_gflops),
                                  f32.compute_gflops / c.compute_gflops));
      }
    }
  } else {
    // Bound by an inner level: data is re-read from it more than the level above can hold.
    const int level = LevelFromName(r.bound);
    const double level_bytes = level >= 0 ? r.bytes[static_cast<size_t>(level)] : 0;
    if (level >= 1 && r.compulsory_bytes > 0 && level_bytes <= 1.05 * r.compulsory_bytes) {
      // Nothing is re-read: the data lives between runs in the outermost level that most of it
      // crosses (this one, or an outer one whose bandwidth is no lower) and passes this one once.
      int home = level;
      while (home + 1 < static_cast<int>(r.bytes.size()) &&
             r.bytes[static_cast<size_t>(home + 1)] > 0.5 * r.compulsory_bytes) {
        ++home;
      }
      out.push_back(fmt::format(
          "its data ({}) stays in {} between runs and crosses {} once per run: {} bandwidth "
          "({} GB/s) is the roof; only fewer bytes (a narrower format) would move it",
          FormatBytes(r.compulsory_bytes), LevelName(home), home == level ? "it" : r.bound, r.bound,
          FormatRate(c.gbps[static_cast<size_t>(level)])));
    } else if (level >= 1) {
      const CacheLevel* above = FindCache(m.caches, level);  // level index l -> cache l (L1 for L2)
      out.push_back(fmt::format(
          "bound by {} bandwidth ({} GB/s): tiles that stay in {}{} would cut the {} traffic",
          r.bound, FormatRate(c.gbps[static_cast<size_t>(level)]), LevelName(level - 1),
          above ? " (" + FormatBytes(static_cast<double>(above->size_bytes)) + ")" : "", r.bound));
    } else if (level == 0) {
      out.push_back(fmt::format(
          "bound by L1 load/store bandwidth ({} GB/s): more arithmetic per loaded vector "
          "(register blocking) would raise the intensity",
          FormatRate(c.gbps[0])));
    }
  }

  if (std::isfinite(r.efficiency) && r.efficiency < 0.5) {
    out.push_back(fmt::format("reaches {:.0f}% of its {} roof: {:.1f}x headroom",
                              100 * r.efficiency, r.bound, 1 / r.efficiency));
    if (r.seconds < kShortRunSeconds && r.threads > 1) {
      out.push_back(fmt::format(
          "a run takes {:.1f} us: starting and joining {} threads costs microseconds, a large "
          "share at this size; fusing it with neighbouring work (or fewer threads) amortises it",
          r.seconds * 1e6, r.threads));
    }
    if (r.threads < usable_threads) {
      out.push_back(fmt::format("uses {} of {} usable CPUs", r.threads, usable_threads));
    }
    if (EndsWith(r.name, "_naive")) {
      out.push_back("materialises intermediates in memory; the tiled variant (" +
                    r.name.substr(0, r.name.size() - 6) + "_flash) keeps them in cache");
    } else if (EndsWith(r.name, "_unfused")) {
      out.push_back("writes and re-reads intermediates; the fused variant (" +
                    r.name.substr(0, r.name.size() - 8) + "_fused) keeps them in registers");
    }
  }
  return out;
}

}  // namespace roofprof
