# Probe sources: clock, peak FLOPs, bandwidth, latency, cache-edge detection, orchestration.
target_sources(roofprof_core PRIVATE
  probes/bandwidth.cc
  probes/clock.cc
  probes/latency.cc
  probes/levels.cc
  probes/peak_flops.cc
  probes/probe.cc
)
