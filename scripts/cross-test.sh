#!/usr/bin/env bash
# Cross-builds roofprof for aarch64 and riscv64 with Debian's cross compilers and runs its unit
# tests and a CLI smoke run under QEMU user-mode emulation, at several vector configurations.
#
# Usage: scripts/cross-test.sh aarch64|riscv64|all
#
# Installs what is missing with apt-get when run as root (otherwise says what to install),
# then per architecture: configure (CMake preset <arch>-linux-gnu), build, and for each CPU
# model below run the roofprof_tests binary and the CLI. Every run states the Highway target
# and vector length the emulated CPU must dispatch to (tests/src/targets_test.cc checks it).
# Emulated timings mean nothing: this checks that code runs and is correct on these ISAs,
# never how fast. Builds whatever the tree has: new tests and kernels join automatically.
#
# Environment: ROOFPROF_CROSS_JOBS (build parallelism, default 2), ROOFPROF_CROSS_SUITE_TIMEOUT
# and ROOFPROF_CROSS_CLI_TIMEOUT (seconds per emulated test-suite run / CLI step).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${ROOFPROF_CROSS_JOBS:-2}
start_all=$SECONDS

usage() { echo "usage: $0 aarch64|riscv64|all" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
case $1 in
  aarch64 | riscv64) arches=("$1") ;;
  all) arches=(aarch64 riscv64) ;;
  *) usage ;;
esac

log() { echo "[cross-test] $*"; }

# --- packages ------------------------------------------------------------------------------
# Debian 12 packages per architecture. arm64 is a Debian release architecture: its libraries
# come as multiarch packages. riscv64 is not (in Debian 12), so apart from the compiler only
# architecture-independent packages come from apt; scripts/cross-deps.sh builds the rest.
packages_for() {
  local common=(cmake make pkg-config qemu-user nlohmann-json3-dev libcli11-dev)
  case $1 in
    aarch64)
      echo "${common[*]} g++-aarch64-linux-gnu libgomp1:arm64 libhwy-dev:arm64" \
        "libpapi-dev:arm64 libhwloc-dev:arm64 libgtest-dev:arm64 libfmt-dev:arm64" ;;
    riscv64)
      echo "${common[*]} g++-riscv64-linux-gnu googletest dpkg-dev patch python3" ;;
  esac
}

ensure_packages() {
  local arch=$1 missing=() p
  for p in $(packages_for "$arch"); do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "[cross-test] missing packages for $arch: ${missing[*]}" >&2
    [[ $arch == aarch64 ]] && echo "  as root: dpkg --add-architecture arm64 && apt-get update" >&2
    echo "  as root: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  if [[ $arch == aarch64 ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Other package operations on the machine may hold the dpkg lock for a while: wait.
  apt-get -o DPkg::Lock::Timeout=600 -qq update
  apt-get -o DPkg::Lock::Timeout=600 -qq install -y --no-install-recommends "${missing[@]}" \
    > /dev/null
}

# --- runs under emulation --------------------------------------------------------------------
# One line per CPU model: name | QEMU_CPU | expected best Highway target | its vector bits.
#  - cortex-a72 has NEON but no SVE: the NEON path.
#  - max has SVE2 (with SVE-AES, which Highway's SVE2 target requires); svcN=on caps the vector
#    length at N bits, which selects the fixed-width SVE2_128 / SVE_256 targets at 128 and 256
#    bits and scalable SVE2 at 512.
# riscv64: vext_spec=v1.0 names the ratified vector spec (without it QEMU warns on stderr,
# which the CLI tests rightly count as output). g++ 12 has no RVV intrinsics (riscv_vector.h arrived in GCC 13), so Highway 1.0.3
# compiles only its scalar target there; the rv64 model with V enabled still runs it.
configs_for() {
  case $1 in
    aarch64)
      echo "neon|cortex-a72|NEON|128"
      echo "sve128|max,sve128=on|SVE2_128|128"
      echo "sve256|max,sve256=on|SVE_256|256"
      echo "sve512|max,sve512=on|SVE2|512" ;;
    riscv64)
      echo "rv64gcv-vlen128|rv64,v=true,vlen=128,vext_spec=v1.0|SCALAR|8"
      echo "rv64gcv-vlen256|rv64,v=true,vlen=256,vext_spec=v1.0|SCALAR|8" ;;
  esac
}

# Tests that are inherently slow under emulation, as a negative gtest filter (":"-separated);
# each entry needs a reason here. None so far: the emulated suite runs every test.
slow_under_emulation() { echo ""; }

# A hang under emulation must fail the run, not spin for ever (exit 124 = timed out).
suite_timeout=${ROOFPROF_CROSS_SUITE_TIMEOUT:-1200}
cli_timeout=${ROOFPROF_CROSS_CLI_TIMEOUT:-600}

summary=()
total_passed=0
total_failed=0

# One CLI step: counts as passed when the command exits 0 and its check passes.
cli_step() {  # cli_step LABEL LOG CHECK_CMD -- CMD...
  local label=$1 log=$2 check=$3
  shift 4
  local t0=$SECONDS rc=0
  timeout "$cli_timeout" "$@" > "$log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]] && eval "$check"; then
    total_passed=$((total_passed + 1))
    summary+=("$label ok ($((SECONDS - t0)) s)")
  else
    total_failed=$((total_failed + 1))
    summary+=("$label FAILED (exit $rc)")
    tail -15 "$log" | sed "s/^/[cross-test]   | /"
  fi
}

# Smoke runs of the CLI on one CPU model: whatever verbs this build has. The probe is capped
# to small working sets (emulated memory traffic is slow and its numbers mean nothing); every
# kernel the binary lists runs once at a small shape and is verified against its reference;
# the report is drawn from both.
cli_smoke() {  # cli_smoke ARCH NAME QEMU_CPU TARGET BUILD
  local arch=$1 name=$2 cpu=$3 target=$4 build=$5
  local cli=$build/roofprof-emulated out=$build/cli-$name
  export QEMU_CPU=$cpu
  rm -rf "$out" && mkdir -p "$out"
  local probe=(probe --quick --json "$out/machine.json")
  "$cli" probe --help 2>&1 | grep -q -- --max-bytes && probe+=(--max-bytes 8MiB --quiet)
  cli_step "$arch/$name: CLI probe" "$out/probe.log" \
    "grep -q '\"roofprof.machine/1\"' '$out/machine.json' && grep -q '\"$target\"' '$out/machine.json'" \
    -- "$cli" "${probe[@]}"
  [[ -s $out/machine.json ]] || { unset QEMU_CPU; return 0; }

  local kernels_json=""
  if "$cli" kernels --help > /dev/null 2>&1; then
    "$cli" kernels --list > "$out/kernels-list.txt" 2>&1 || true
    local kname dims shape
    # --list prints "NAME summary" then "  dims a,b,c; default ...; N suite shape(s)".
    while read -r kname dims; do
      shape=$(echo "$dims" | tr ',' '\n' | sed "s/$/=$(small_dim)/; s/^kv_bits=.*/kv_bits=16/" |
        paste -sd, -)
      cli_step "$arch/$name: CLI kernels --only $kname --shape $shape" "$out/kernel-$kname.log" \
        "grep -q '\"roofprof.kernels/1\"' '$out/kernels-$kname.json'" \
        -- "$cli" kernels --machine "$out/machine.json" --only "$kname" --shape "$shape" \
        --quick --quiet --json "$out/kernels-$kname.json"
      [[ -s $out/kernels-$kname.json ]] && kernels_json=$out/kernels-$kname.json
    done < <(awk '/^[a-z0-9_]+ / { name = $1; next } name && /dims / {
                    sub(/.*dims /, ""); sub(/;.*/, ""); print name, $0; name = "" }' \
               "$out/kernels-list.txt")
  fi

  if "$cli" report --help > /dev/null 2>&1; then
    local report=(report --machine "$out/machine.json" --out "$out/report")
    [[ -n $kernels_json ]] && report+=(--kernels "$kernels_json")
    cli_step "$arch/$name: CLI report" "$out/report.log" \
      "[[ -s '$out/report/roofline.svg' && -s '$out/report/report.html' ]]" -- "$cli" "${report[@]}"
  fi
  unset QEMU_CPU
}

# Every kernel dimension in the smoke runs: small enough for emulation; a multiple of 32
# (q8_0/q4_0 blocks) but not of 64, so code blocked by 64 also runs its remainder; larger than
# the 16 fp32 lanes of the widest vector tested (512-bit SVE). kv_bits, an element width rather
# than a size, takes 16 (the f16 cache; the unit tests cover both widths).
small_dim() { echo 96; }

run_tests() {  # run_tests ARCH BUILD_DIR EMULATOR...
  local arch=$1 build=$2
  shift 2
  local emu=("$@") line name cpu target bits log filter extra
  while IFS='|' read -r name cpu target bits; do
    log="$build/cross-test-$name.log"
    filter=$(slow_under_emulation "$arch")
    extra=()
    [[ -n $filter ]] && extra=(--gtest_filter="-$filter")
    log "$arch/$name: QEMU_CPU=$cpu, expecting $target at $bits-bit vectors"
    local t0=$SECONDS rc=0
    QEMU_CPU=$cpu ROOFPROF_EXPECT_BEST_TARGET=$target ROOFPROF_EXPECT_VECTOR_BITS=$bits \
      ROOFPROF_BINARY="$build/roofprof-emulated" \
      ROOFPROF_MARKER_DEMO="$build/roofprof_marker_demo-emulated" \
      timeout "$suite_timeout" "${emu[@]}" "$build/tests/roofprof_tests" "${extra[@]}" \
      > "$log" 2>&1 || rc=$?
    [[ $rc -eq 124 ]] && echo "[cross-test]   timed out after $suite_timeout s" | tee -a "$log"
    local passed failed
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\..*/\1/p' "$log" | tail -1)
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\?, listed below.*/\1/p' "$log" | tail -1)
    passed=${passed:-0}
    failed=${failed:-0}
    if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi  # crashed before the summary
    grep -m1 '^available targets' "$log" | sed "s/^/[cross-test]   /" || true
    grep -E '^\[  FAILED  \]|Failure' "$log" | head -20 | sed "s/^/[cross-test]   /" || true
    [[ $rc -ne 0 ]] && tail -15 "$log" | sed "s/^/[cross-test]   | /"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    summary+=("$arch/$name: $passed passed, $failed failed ($((SECONDS - t0)) s)")

    cli_smoke "$arch" "$name" "$cpu" "$target" "$build"
  done < <(configs_for "$arch")
}

for arch in "${arches[@]}"; do
  t_arch=$SECONDS
  triplet=$arch-linux-gnu
  build=$top/build/$triplet
  ensure_packages "$arch"
  if [[ $arch == riscv64 ]]; then
    "$top/scripts/cross-deps.sh" "$triplet" "$top/build/cross-deps/$triplet/prefix"
  fi
  log "configure + build $triplet"
  mkdir -p "$top/build"  # the logs sit beside the build folder, which a fresh clone lacks
  cmake --preset "$triplet" -S "$top" > "$build.configure.log" 2>&1 ||
    { tail -30 "$build.configure.log"; exit 1; }
  t_build=$SECONDS
  nice -n 10 cmake --build "$build" -j "$jobs" > "$build.build.log" 2>&1 ||
    { grep -E 'error|Error' "$build.build.log" | head -30; exit 1; }
  warnings=$(grep -c 'warning:' "$build.build.log" || true)
  summary+=("$arch: built in $((SECONDS - t_build)) s, $warnings compiler warnings")
  [[ $warnings -gt 0 ]] && grep 'warning:' "$build.build.log" | sort -u | head -10

  # The emulator exactly as CMake's test discovery uses it (a script the build generates).
  [[ -x $build/emulator ]] || { echo "no emulator configured for $triplet" >&2; exit 1; }
  run_tests "$arch" "$build" "$build/emulator"
  summary+=("$arch: $((SECONDS - t_arch)) s in all")
done

log "summary"
for s in "${summary[@]}"; do echo "[cross-test]   $s"; done
log "total time $((SECONDS - start_all)) s"
echo "cross-test: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
