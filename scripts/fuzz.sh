#!/usr/bin/env bash
# Builds the libFuzzer targets (clang) and runs each for a bounded time on a copy of its seed
# corpus. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in units machine_json kernels_json; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/"$target"/* "$work/$target/"
  echo "fuzz_$target: ${seconds} s"
  # A crash, leak or sanitizer report makes libFuzzer exit non-zero.
  if ! ./build/fuzz/tests/fuzz/"fuzz_$target" -max_total_time="$seconds" -max_len=8192 \
      -artifact_prefix="$work/" "$work/$target" >"$work/$target.log" 2>&1; then
    tail -n 40 "$work/$target.log"
    echo "fuzz_$target failed; the input that broke it is printed above" >&2
    exit 1
  fi
  grep -E "^Done" "$work/$target.log"
done
