#!/usr/bin/env bash
# Installs what roofprof needs to build (and, with --test, to run every test) on Debian 12,
# using apt-get for only the packages that are missing. Must run as root when something is
# missing; says so plainly otherwise.
set -euo pipefail

packages=(cmake g++ make pkg-config libhwy-dev libpapi-dev libhwloc-dev libgtest-dev
          nlohmann-json3-dev libcli11-dev libfmt-dev)
for arg in "$@"; do
  case "$arg" in
    --test)
      # OpenBLAS: the baseline tests; chromium: the report rendering test; clang and its
      # runtime: the libFuzzer targets; qemu-user: CI's run of the tests on an emulated x86
      # CPU without AVX-512.
      packages+=(libopenblas-dev chromium clang libclang-rt-14-dev qemu-user) ;;
    -h|--help)
      echo "usage: scripts/setup.sh [--test]   (installs missing Debian 12 packages)"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (use --test or --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: missing packages: ${missing[*]}" >&2
  echo "setup.sh: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
