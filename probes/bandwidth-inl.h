// Per-target bandwidth loops. Eight vectors per trip: enough independent loads to keep two or
// three load ports busy and the loop overhead (add, cmp, branch) under 1/8 of the work. The
// load kernel folds with integer XOR (1-cycle latency on every SIMD unit) rather than FP add,
// so eight accumulators never make it latency-bound.
#if defined(ROOFPROF_PROBES_BANDWIDTH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ROOFPROF_PROBES_BANDWIDTH_INL_H_
#undef ROOFPROF_PROBES_BANDWIDTH_INL_H_
#else
#define ROOFPROF_PROBES_BANDWIDTH_INL_H_
#endif

#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace roofprof {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

inline constexpr size_t kBwUnroll = 8;

// Arrays are whole vectors long; the 8-vector main loop is followed by a one-vector tail.
inline size_t BwGranuleImpl() { return hn::Lanes(hn::ScalableTag<double>()); }

HWY_NOINLINE double BwLoad(const double* HWY_RESTRICT a, size_t n, uint64_t passes) {
  const hn::ScalableTag<uint64_t> du;
  const size_t N = hn::Lanes(du);
  const uint64_t* p = reinterpret_cast<const uint64_t*>(a);
  auto x0 = hn::Zero(du), x1 = hn::Zero(du), x2 = hn::Zero(du), x3 = hn::Zero(du);
  auto x4 = hn::Zero(du), x5 = hn::Zero(du), x6 = hn::Zero(du), x7 = hn::Zero(du);
  const size_t main = n / (8 * N) * (8 * N);
  // The main part as side-by-side streams: kernels read several at once (a GEMV tile reads 3
  // or 4 W panels or up to 8 rows), and beyond L2 one stream moves less. On this Zen 5 guest,
  // 2 threads reading 172 MiB moved 75-79 GB/s as one stream each and 86-94 GB/s as two or
  // four; with two, the 16-row-panel GEMV (four streams) still read 64 and 172 MiB up to 13%
  // faster than the sweep at those sizes. Four streams lost 10-15% in L2 on one thread
  // (164-179 against 183-208 GB/s) where two did not, so buffers up to 2 MiB per thread (the
  // private L2 of current x86 and Arm server cores is 1-2 MiB) are read as two streams and
  // larger ones as four.
  const bool four = n * sizeof(uint64_t) > (size_t{2} << 20);
  const size_t q = four ? main / 4 : main / 2;
  for (uint64_t r = 0; r < passes; ++r) {
    for (size_t i = main; i < n; i += N) x0 = hn::Xor(x0, hn::Load(du, p + i));
    if (four) {
      const uint64_t* p1 = p + q;
      const uint64_t* p2 = p + 2 * q;
      const uint64_t* p3 = p + 3 * q;
      for (size_t i = 0; i < q; i += 2 * N) {
        x0 = hn::Xor(x0, hn::Load(du, p + i));
        x1 = hn::Xor(x1, hn::Load(du, p + i + N));
        x2 = hn::Xor(x2, hn::Load(du, p1 + i));
        x3 = hn::Xor(x3, hn::Load(du, p1 + i + N));
        x4 = hn::Xor(x4, hn::Load(du, p2 + i));
        x5 = hn::Xor(x5, hn::Load(du, p2 + i + N));
        x6 = hn::Xor(x6, hn::Load(du, p3 + i));
        x7 = hn::Xor(x7, hn::Load(du, p3 + i + N));
      }
    } else {
      const uint64_t* p1 = p + q;
      for (size_t i = 0; i < q; i += 4 * N) {
        x0 = hn::Xor(x0, hn::Load(du, p + i));
        x1 = hn::Xor(x1, hn::Load(du, p + i + N));
        x2 = hn::Xor(x2, hn::Load(du, p + i + 2 * N));
        x3 = hn::Xor(x3, hn::Load(du, p + i + 3 * N));
        x4 = hn::Xor(x4, hn::Load(du, p1 + i));
        x5 = hn::Xor(x5, hn::Load(du, p1 + i + N));
        x6 = hn::Xor(x6, hn::Load(du, p1 + i + 2 * N));
        x7 = hn::Xor(x7, hn::Load(du, p1 + i + 3 * N));
      }
    }
  }
  const auto x =
      hn::Xor(hn::Xor(hn::Xor(x0, x1), hn::Xor(x2, x3)), hn::Xor(hn::Xor(x4, x5), hn::Xor(x6, x7)));
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(du, hn::And(x, hn::Set(du, 0xFFFF)))));
}

template <bool kStream>
HWY_NOINLINE double BwStore(double* HWY_RESTRICT a, size_t n, uint64_t passes) {
  const hn::ScalableTag<double> d;
  const size_t N = hn::Lanes(d);
  auto v = hn::Set(d, 1.0);
  const auto inc = hn::Set(d, 1.0);
  const size_t main = n / (8 * N) * (8 * N);
  for (uint64_t r = 0; r < passes; ++r) {
    for (size_t i = main; i < n; i += N) {
      if (kStream) {
        hn::Stream(v, d, a + i);
      } else {
        hn::Store(v, d, a + i);
      }
    }
    for (size_t i = 0; i < main; i += 8 * N) {
      if (kStream) {
        hn::Stream(v, d, a + i + 0 * N);
        hn::Stream(v, d, a + i + 1 * N);
        hn::Stream(v, d, a + i + 2 * N);
        hn::Stream(v, d, a + i + 3 * N);
        hn::Stream(v, d, a + i + 4 * N);
        hn::Stream(v, d, a + i + 5 * N);
        hn::Stream(v, d, a + i + 6 * N);
        hn::Stream(v, d, a + i + 7 * N);
      } else {
        hn::Store(v, d, a + i + 0 * N);
        hn::Store(v, d, a + i + 1 * N);
        hn::Store(v, d, a + i + 2 * N);
        hn::Store(v, d, a + i + 3 * N);
        hn::Store(v, d, a + i + 4 * N);
        hn::Store(v, d, a + i + 5 * N);
        hn::Store(v, d, a + i + 6 * N);
        hn::Store(v, d, a + i + 7 * N);
      }
    }
    v = hn::Add(v, inc);  // each pass writes new values, so stores cannot be skipped
  }
  if (kStream) hwy::FlushStream();
  return a[0] + a[n - 1];
}

HWY_NOINLINE double BwCopy(const double* HWY_RESTRICT src, double* HWY_RESTRICT dst, size_t n,
                           uint64_t passes) {
  const hn::ScalableTag<double> d;
  const size_t N = hn::Lanes(d);
  const size_t main = n / (8 * N) * (8 * N);
  for (uint64_t r = 0; r < passes; ++r) {
    for (size_t i = main; i < n; i += N) hn::Store(hn::Load(d, src + i), d, dst + i);
    for (size_t i = 0; i < main; i += 8 * N) {
      const auto v0 = hn::Load(d, src + i + 0 * N);
      const auto v1 = hn::Load(d, src + i + 1 * N);
      const auto v2 = hn::Load(d, src + i + 2 * N);
      const auto v3 = hn::Load(d, src + i + 3 * N);
      hn::Store(v0, d, dst + i + 0 * N);
      hn::Store(v1, d, dst + i + 1 * N);
      hn::Store(v2, d, dst + i + 2 * N);
      hn::Store(v3, d, dst + i + 3 * N);
      const auto v4 = hn::Load(d, src + i + 4 * N);
      const auto v5 = hn::Load(d, src + i + 5 * N);
      const auto v6 = hn::Load(d, src + i + 6 * N);
      const auto v7 = hn::Load(d, src + i + 7 * N);
      hn::Store(v4, d, dst + i + 4 * N);
      hn::Store(v5, d, dst + i + 5 * N);
      hn::Store(v6, d, dst + i + 6 * N);
      hn::Store(v7, d, dst + i + 7 * N);
    }
    // Compiler-only barrier (no instruction): keeps every pass as written.
    __asm__ __volatile__("" ::: "memory");
  }
  return dst[0] + dst[n - 1];
}

// STREAM triad a = b + s*c.
HWY_NOINLINE double BwTriad(double* HWY_RESTRICT a, const double* HWY_RESTRICT b,
                            const double* HWY_RESTRICT c, size_t n, uint64_t passes) {
  const hn::ScalableTag<double> d;
  const size_t N = hn::Lanes(d);
  const auto s = hn::Set(d, 0.5);
  const size_t main = n / (8 * N) * (8 * N);
  for (uint64_t r = 0; r < passes; ++r) {
    for (size_t i = main; i < n; i += N) {
      hn::Store(hn::MulAdd(s, hn::Load(d, c + i), hn::Load(d, b + i)), d, a + i);
    }
    for (size_t i = 0; i < main; i += 8 * N) {
      for (size_t u = 0; u < 8; ++u) {
        const size_t j = i + u * N;
        hn::Store(hn::MulAdd(s, hn::Load(d, c + j), hn::Load(d, b + j)), d, a + j);
      }
    }
    __asm__ __volatile__("" ::: "memory");
  }
  return a[0] + a[n - 1];
}

// kernel: 0 load, 1 store, 2 copy, 3 triad, 4 store_nt.
inline double RunBandwidthImpl(int kernel, double* const* arrays, size_t n, uint64_t passes) {
  switch (kernel) {
    case 0:
      return BwLoad(arrays[0], n, passes);
    case 1:
      return BwStore<false>(arrays[0], n, passes);
    case 2:
      return BwCopy(arrays[0], arrays[1], n, passes);
    case 3:
      return BwTriad(arrays[0], arrays[1], arrays[2], n, passes);
    default:
      return BwStore<true>(arrays[0], n, passes);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace roofprof
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggle)
