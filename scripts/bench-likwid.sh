#!/usr/bin/env bash
# Benchmarks roofprof's probe against likwid-bench (Debian's `likwid`) and a STREAM-style
# OpenMP triad on this machine, back to back, and prints a markdown table of the ratios:
# FMA peaks (fp32, fp64; 1 thread and all threads), load bandwidth at every level at the
# probe's own working-set sizes, DRAM triad, and the time of the default and --quick probes.
#
# Usage: scripts/bench-likwid.sh [ROOFPROF_BINARY] [OUT_DIR]
#   defaults: build/release/roofprof, bench-out/
#   ROOFPROF_BENCH_MACHINE=machine.json compares an existing probe result instead of probing.
# Needs likwid-bench, a C compiler with OpenMP, and python3. Run on a quiet machine: every
# number is the best of several repetitions, but other work on the cores still lowers them.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/release/roofprof}
out=${2:-bench-out}
reps=${ROOFPROF_BENCH_REPS:-3}

for tool in likwid-bench python3 cc; do
  command -v "$tool" > /dev/null || { echo "bench-likwid: '$tool' not found" >&2; exit 1; }
done
[[ -x $bin ]] || { echo "bench-likwid: no roofprof binary at $bin (build first)" >&2; exit 1; }
mkdir -p "$out"

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [[ -n ${ROOFPROF_BENCH_MACHINE:-} ]]; then
  # Compare an existing machine.json instead of probing (no probe times then).
  cp "$ROOFPROF_BENCH_MACHINE" "$out/machine.json"
  probe_s="not run" quick_s="not run"
else
  t0=$(date +%s.%N)
  "$bin" probe --quiet --json "$out/machine.json" > "$out/probe.txt"
  t1=$(date +%s.%N)
  "$bin" probe --quick --quiet --json "$out/machine-quick.json" > /dev/null
  t2=$(date +%s.%N)
  probe_s=$(python3 -c "print(f'{$t1 - $t0:.1f} s')")
  quick_s=$(python3 -c "print(f'{$t2 - $t1:.1f} s')")
fi

cc -O3 -march=native -fopenmp "$top/bench/stream_triad.c" -o "$out/stream_triad"

# Best of $reps likwid-bench runs: prints the rate in G(Flop|Byte)/s.
likwid_best() {  # likwid_best TEST BYTES THREADS FIELD
  local best=0 v size="${2}B"
  # likwid-bench reads sizes in bytes only up to 2^31; above that, in kB (1000 bytes).
  [[ $2 -ge 2000000000 ]] && size="$(($2 / 1000))kB"
  for _ in $(seq "$reps"); do
    v=$(likwid-bench -t "$1" -w "S0:$size:$3" 2> /dev/null | awk -v f="$4" '$1 == f { print $2 / 1000 }')
    best=$(python3 -c "print(max($best, ${v:-0}))")
  done
  echo "$best"
}

python3 - "$out/machine.json" > "$out/plan.txt" << 'PY'
import json, sys
m = json.load(open(sys.argv[1]))
threads = sorted({c["threads"] for c in m["compute"]})
isa = "AVX3" if any(c["isa"] == "AVX3" for c in m["compute"]) else "AVX2"
suffix = "avx512_fma" if isa == "AVX3" else "avx_fma"
for p, test in (("fp32", "peakflops_sp_" + suffix), ("fp64", "peakflops_" + suffix)):
    for t in threads:
        c = [c for c in m["compute"] if c["precision"] == p and c["isa"] == isa and c["op"] == "fma" and c["threads"] == t]
        if c:
            # Working set: 16 KiB per thread, well inside L1.
            print("flops", p, test, 16384 * t, t, c[0]["gflops"])
load = "load_avx512" if isa == "AVX3" else "load_avx"
for b in m["bandwidth"]:
    if b["kernel"] == "load":
        print("load", b["level"], load, b["bytes"], b["threads"], b["gbps"])
    if b["kernel"] == "triad" and b["level"] == "DRAM" and b["threads"] == max(threads):
        print("triad", "DRAM", "stream_triad", b["bytes"], b["threads"], b["gbps"])
PY

echo "| measurement | working set | threads | roofprof | reference | ratio |"
echo "|---|---|---|---|---|---|"
while read -r kind what test bytes threads ours; do
  case $kind in
    flops) ref=$(likwid_best "$test" "$bytes" "$threads" "MFlops/s:"); unit="GFLOP/s"
           label="$what FMA peak vs likwid $test" ;;
    load) ref=$(likwid_best "$test" "$bytes" "$threads" "MByte/s:"); unit="GB/s"
          label="$what load vs likwid $test" ;;
    triad) ref=0
           for _ in $(seq "$reps"); do
             v=$(OMP_NUM_THREADS=$threads OMP_PROC_BIND=close OMP_PLACES=cores \
                 "$out/stream_triad" "$bytes" 20)
             ref=$(python3 -c "print(max($ref, $v))")
           done
           unit="GB/s"; label="DRAM triad vs STREAM-style triad (-O3 -march=native -fopenmp)" ;;
  esac
  python3 -c "
b=$bytes; o=$ours; r=$ref
size = f'{b/2**30:.2f} GiB' if b >= 2**30 else f'{b/2**20:.2f} MiB' if b >= 2**20 else f'{b/2**10:.0f} KiB'
ratio = f'{100*o/r:.1f}%' if r > 0 else 'n/a'
print(f'| $label | {size} | $threads | {o:.1f} $unit | {r:.1f} $unit | {ratio} |')"
done < "$out/plan.txt"
echo
echo "probe time: default ${probe_s}, --quick ${quick_s} (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
