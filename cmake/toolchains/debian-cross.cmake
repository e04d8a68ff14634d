# Shared part of the Debian cross toolchains: set ROOFPROF_CROSS_TRIPLET and
# CMAKE_SYSTEM_PROCESSOR, then include this file.
#
# Libraries come from two places:
#  - Debian multiarch packages of the target architecture (dpkg --add-architecture; they install
#    into /usr/lib/<triplet> and /usr/include/<triplet> beside the host's own), and
#  - ROOFPROF_CROSS_PREFIX, a local prefix for dependencies Debian does not package for the
#    target (riscv64 in bookworm: scripts/cross-deps.sh builds them from Debian's sources).
# Host (x86_64) libraries are never searched: every library path CMake and pkg-config look at
# is the target's.
set(CMAKE_SYSTEM_NAME Linux)

set(CMAKE_C_COMPILER ${ROOFPROF_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${ROOFPROF_CROSS_TRIPLET}-g++)
# Multiarch library directory (<prefix>/lib/<triplet>) for find_library and config packages.
set(CMAKE_LIBRARY_ARCHITECTURE ${ROOFPROF_CROSS_TRIPLET})

# The local prefix: from the cache or the environment (the toolchain file is also read by
# try_compile projects, which only see what CMAKE_TRY_COMPILE_PLATFORM_VARIABLES forwards).
if(NOT DEFINED ROOFPROF_CROSS_PREFIX AND DEFINED ENV{ROOFPROF_CROSS_PREFIX})
  set(ROOFPROF_CROSS_PREFIX "$ENV{ROOFPROF_CROSS_PREFIX}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ROOFPROF_CROSS_PREFIX)

# "/" keeps Debian's multiarch layout visible (re-rooting it would hide /usr/lib/<triplet>);
# /usr/<triplet> holds the cross libc and libstdc++ the compiler itself uses.
set(CMAKE_FIND_ROOT_PATH / /usr/${ROOFPROF_CROSS_TRIPLET})
if(ROOFPROF_CROSS_PREFIX)
  list(PREPEND CMAKE_PREFIX_PATH "${ROOFPROF_CROSS_PREFIX}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # build tools run on the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config: only the target's .pc files (multiarch, the local prefix, arch-independent ones).
set(_roofprof_pc "/usr/lib/${ROOFPROF_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
if(ROOFPROF_CROSS_PREFIX)
  set(_roofprof_pc "${ROOFPROF_CROSS_PREFIX}/lib/pkgconfig:${_roofprof_pc}")
endif()
set(ENV{PKG_CONFIG_LIBDIR} "${_roofprof_pc}")
set(ENV{PKG_CONFIG_PATH} "")
unset(_roofprof_pc)

# Tests and test discovery run the target binaries under QEMU user-mode emulation; the CPU
# model (vector extensions and lengths) comes from QEMU_CPU in the environment. The emulated
# dynamic loader must come from the same glibc build as libc.so.6: where multiarch packages
# installed the target's libc (/lib/<triplet>), the binaries' own interpreter path finds it;
# otherwise -L points QEMU at the cross libc under /usr/<triplet>. (Mixing the two, the cross
# ld.so with the multiarch libc.so.6 found through ld.so.cache, hangs in pthread_create.)
find_program(ROOFPROF_QEMU NAMES qemu-${ROOFPROF_QEMU_ARCH} qemu-${ROOFPROF_QEMU_ARCH}-static)
if(ROOFPROF_QEMU)
  if(EXISTS "/lib/${ROOFPROF_CROSS_TRIPLET}/libc.so.6")
    set(CMAKE_CROSSCOMPILING_EMULATOR "${ROOFPROF_QEMU}")
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR "${ROOFPROF_QEMU};-L;/usr/${ROOFPROF_CROSS_TRIPLET}")
  endif()
endif()
