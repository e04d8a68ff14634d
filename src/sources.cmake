# Core library sources under src/ (topology, harness, machine model, reports, ...).
target_sources(roofprof_core PRIVATE
  src/counter_events.cc
  src/counters.cc
  src/console.cc
  src/advice.cc
  src/cpu_db.cc
  src/harness.cc
  src/io.cc
  src/kernel_runner.cc
  src/llm_model.cc
  src/json_util.cc
  src/machine.cc
  src/memory.cc
  src/report/charts.cc
  src/report/compare.cc
  src/report/csv.cc
  src/report/html.cc
  src/report/report.cc
  src/report/svg.cc
  src/report/terminal.cc
  src/profile.cc
  src/results.cc
  src/roofline.cc
  src/sde.cc
  src/targets.cc
  src/topology.cc
  src/units.cc
)
# Operating-system specifics live behind src/platform.h.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  target_sources(roofprof_core PRIVATE src/platform_linux.cc)
else()
  target_sources(roofprof_core PRIVATE src/platform_generic.cc)
endif()
# Architecture specifics (core tables for theoretical peaks) live in src/arch/. The Arm table is
# plain data and pure functions, built everywhere so its tests run on every host.
target_sources(roofprof_core PRIVATE src/arch/arm_cores.cc)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i.86)$")
  target_sources(roofprof_core PRIVATE src/arch/cpu_x86.cc)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  target_sources(roofprof_core PRIVATE src/arch/cpu_arm.cc)
else()
  target_sources(roofprof_core PRIVATE src/arch/cpu_generic.cc)
endif()
