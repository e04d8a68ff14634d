# Cross toolchain for 64-bit RISC-V Linux: Debian's g++-riscv64-linux-gnu; bookworm has no
# riscv64 packages, so libraries come from ROOFPROF_CROSS_PREFIX (scripts/cross-deps.sh).
# Binaries run under qemu-riscv64.
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(ROOFPROF_CROSS_TRIPLET riscv64-linux-gnu)
set(ROOFPROF_QEMU_ARCH riscv64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
