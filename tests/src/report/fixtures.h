// Report test inputs: a small hand-made machine and kernel results classified against it.
#ifndef ROOFPROF_TESTS_SRC_REPORT_FIXTURES_H_
#define ROOFPROF_TESTS_SRC_REPORT_FIXTURES_H_

#include <array>
#include <cmath>
#include <string>

#include "src/machine.h"
#include "src/results.h"
#include "src/roofline.h"

namespace roofprof {
namespace testing_report {

// A two-core machine with round numbers: fp32 FMA 200 GFLOP/s per thread on AVX3 (half on
// AVX2), fp64 half of fp32; load bandwidth L1 400, L2 200, L3 100, DRAM 30 GB/s per thread
// (DRAM and L3 do not scale with threads); a sweep of every kernel on 1 and 2 threads with
// steps at the cache sizes; a latency curve.
inline Machine SmallMachine() {
  Machine m;
  m.created = "2026-01-01T00:00:00Z";
  m.tool_version = "0.1.0";
  m.cpu.model = "Test CPU <fast> & \"small\"";
  m.cpu.vendor = "TestVendor";
  m.cpu.arch = "x86_64";
  m.cpu.core_name = "Testcore";
  m.cpu.logical_cpus = 2;
  m.cpu.cores = 2;
  m.cpu.available_cpus = 2;
  m.cpu.clock_ghz = 3.0;
  m.cpu.clock_source = "measured";
  m.cpu.hypervisor = true;
  m.cpu.targets = {"AVX3", "AVX2"};
  m.caches = {{1, 48 << 10, 1, "hwloc", 52 << 10},
              {2, 1 << 20, 1, "hwloc", 0},
              {3, 32 << 20, 2, "hwloc", 0}};
  for (const int t : {1, 2}) {
    for (const char* isa : {"AVX3", "AVX2"}) {
      const double w = std::string(isa) == "AVX3" ? 1 : 0.5;
      for (const char* p : {"fp32", "fp64"}) {
        const double pw = std::string(p) == "fp32" ? 1 : 0.5;
        ComputeCeiling c;
        c.precision = p;
        c.isa = isa;
        c.op = "fma";
        c.threads = t;
        c.gflops = 200 * w * pw * t;
        c.median_gflops = c.gflops * 0.99;
        c.flops_per_cycle = c.gflops / t / 3.0;
        c.theoretical_gflops = 64 * 3.0 * w * pw * t;
        m.compute.push_back(c);
        c.op = "add";
        c.gflops /= 2;
        c.median_gflops /= 2;
        c.flops_per_cycle /= 2;
        c.theoretical_gflops = NAN;
        m.compute.push_back(c);
      }
    }
  }
  const std::array<double, 4> bw = {400, 200, 100, 30};
  const std::array<uint64_t, 4> at = {24 << 10, 512 << 10, 16 << 20, 1ull << 30};
  for (const int t : {1, 2}) {
    for (int l = 0; l < 4; ++l) {
      for (const char* k : {"load", "store", "copy", "triad"}) {
        BandwidthCeiling b;
        b.level = LevelName(l);
        b.kernel = k;
        b.threads = t;
        const double scale = l >= 2 ? 1.2 : t;  // shared levels barely scale
        b.gbps = bw[static_cast<size_t>(l)] * scale * (std::string(k) == "store" ? 0.5 : 1);
        b.median_gbps = b.gbps * 0.98;
        b.bytes = at[static_cast<size_t>(l)] * static_cast<uint64_t>(t);
        b.bytes_per_cycle = b.gbps / t / 3.0;
        b.isa = "AVX3";
        m.bandwidth.push_back(b);
      }
    }
  }
  // Sweep: 4 KiB .. 1 GiB per thread in octaves.
  for (const int t : {1, 2}) {
    for (const char* k : {"load", "store", "copy", "triad", "store_nt"}) {
      const double f = std::string(k) == "store" ? 0.5 : (std::string(k) == "store_nt" ? 0.3 : 1);
      for (int e = 12; e <= 30; ++e) {
        const double per_thread = std::ldexp(1.0, e);
        const int l = per_thread <= 48 * 1024        ? 0
                      : per_thread <= (1 << 20)      ? 1
                      : per_thread * t <= (32 << 20) ? 2
                                                     : 3;
        const double scale = l >= 2 ? 1.2 : t;
        m.sweep.push_back({k, t, static_cast<uint64_t>(per_thread * t),
                           bw[static_cast<size_t>(l)] * scale * f,
                           bw[static_cast<size_t>(l)] * scale * f * 0.97});
      }
    }
  }
  for (int e = 12; e <= 30; ++e) {
    const double b = std::ldexp(1.0, e);
    const double ns = b <= 48 * 1024 ? 1.3 : b <= (1 << 20) ? 4.0 : b <= (32 << 20) ? 12 : 90;
    m.latency.push_back({static_cast<uint64_t>(b), ns, ns * 3.0});
  }
  m.notes = {"running under a hypervisor: <counters> unavailable", "probe took 12 s"};
  return m;
}

// Builds one classified result.
inline KernelResult MakeResult(const Machine& m, const std::string& name, const Shape& shape,
                               int threads, double flops, double gflops,
                               const std::array<double, kNumLevels>& bytes,
                               const std::string& precision = "fp32") {
  KernelResult r;
  r.name = name;
  r.shape = shape;
  r.threads = threads;
  r.isa = "AVX3";
  r.precision = precision;
  r.description = name + " test kernel";
  r.flops = flops;
  r.gflops = gflops;
  r.seconds = flops / (gflops * 1e9);
  r.median_seconds = r.seconds * 1.02;
  r.spread = 0.02;
  r.bytes = bytes;
  r.compulsory_bytes = bytes[3];
  const Ceilings c = SelectCeilings(m, precision, threads, r.isa);
  const Classification k = Classify(flops, r.seconds, bytes, c);
  r.bound = k.bound;
  r.attainable_gflops = k.attainable_gflops;
  r.efficiency = k.efficiency;
  r.ai = k.ai;
  r.carm_ai = k.carm_ai;
  r.bound_seconds = k.bound_seconds;
  r.advice = {"bound by " + k.bound + "; see the roofline"};
  return r;
}

// LLM-like results on 2 threads (and one on 1 thread): decode GEMVs bound by DRAM, a GEMM near
// the compute roof, attention decode.
inline KernelsFile SampleKernels(const Machine& m) {
  KernelsFile k;
  k.created = "2026-01-01T00:10:00Z";
  k.tool_version = "0.1.0";
  k.machine_model = m.cpu.model;
  k.machine_created = m.created;
  const double w = 4096.0 * 4096.0;
  k.results.push_back(MakeResult(m, "gemv_f32", {{"m", 1}, {"n", 4096}, {"k", 4096}}, 2, 2 * w, 7.5,
                                 {4 * w + 32768, 4 * w, 4 * w, 4 * w}));
  k.results.push_back(MakeResult(m, "gemv_q8_0", {{"m", 1}, {"n", 4096}, {"k", 4096}}, 2, 2 * w, 25,
                                 {1.0625 * w + 16384, 1.0625 * w, 1.0625 * w, 1.0625 * w}, "q8_0"));
  k.results.push_back(MakeResult(m, "gemm_f32", {{"m", 64}, {"n", 1024}, {"k", 1024}}, 2,
                                 2.0 * 64 * 1024 * 1024, 310,
                                 {2.0 * 64 * 1024 * 1024 / 6, 2.0 * 64 * 1024 * 1024 / 24,
                                  4.0 * 1024 * 1024 * 2, 4.0 * 1024 * 1088}));
  k.results.push_back(MakeResult(
      m, "attn_decode", {{"ctx", 2048}, {"heads", 8}, {"dim", 128}}, 2, 4.0 * 2048 * 8 * 128, 11,
      {2.0 * 2048 * 8 * 128 * 4 + 8192, 2.0 * 2048 * 8 * 128 * 4, 2.0 * 2048 * 8 * 128 * 4, 0}));
  k.results.push_back(MakeResult(m, "gemv_f32", {{"m", 1}, {"n", 4096}, {"k", 4096}}, 1, 2 * w, 6.8,
                                 {4 * w + 32768, 4 * w, 4 * w, 4 * w}));
  k.notes = {"hardware counters unavailable: bytes come from the work models"};
  return k;
}

}  // namespace testing_report
}  // namespace roofprof

#endif  // ROOFPROF_TESTS_SRC_REPORT_FIXTURES_H_
