# Finds roofprof's dependencies the CMake way, from Debian 12 packages (see scripts/setup.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(hwy CONFIG REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(nlohmann_json 3 CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)

# PAPI 7 (pkg-config "papi") plus libsde, the library through which code publishes
# software-defined events that PAPI's sde component reads.
pkg_check_modules(PAPI REQUIRED IMPORTED_TARGET papi)
find_library(ROOFPROF_SDE_LIBRARY NAMES sde HINTS ${PAPI_LIBRARY_DIRS} REQUIRED)
find_path(ROOFPROF_SDE_INCLUDE sde_lib.h HINTS ${PAPI_INCLUDE_DIRS} REQUIRED)
add_library(roofprof::papi INTERFACE IMPORTED)
# PAPI's sde component looks libsde's sde_ti_* functions up in the executable's global symbol
# scope at PAPI_library_init; if the executable does not load libsde it disables itself ("libsde
# API not found"). Executables that only read events never call libsde themselves, so keep the
# linker from dropping it as unneeded.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(ROOFPROF_SDE_LINK "-Wl,--push-state,--no-as-needed" ${ROOFPROF_SDE_LIBRARY}
      "-Wl,--pop-state")
else()
  set(ROOFPROF_SDE_LINK ${ROOFPROF_SDE_LIBRARY})
endif()
target_link_libraries(roofprof::papi INTERFACE PkgConfig::PAPI ${ROOFPROF_SDE_LINK})
target_include_directories(roofprof::papi INTERFACE ${ROOFPROF_SDE_INCLUDE})

pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
add_library(roofprof::hwloc INTERFACE IMPORTED)
target_link_libraries(roofprof::hwloc INTERFACE PkgConfig::HWLOC)

if(ROOFPROF_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
