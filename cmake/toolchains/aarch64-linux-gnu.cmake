# Cross toolchain for 64-bit Arm Linux: Debian's g++-aarch64-linux-gnu plus arm64 multiarch
# packages; binaries run under qemu-aarch64.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ROOFPROF_CROSS_TRIPLET aarch64-linux-gnu)
set(ROOFPROF_QEMU_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
