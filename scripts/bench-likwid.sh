#!/usr/bin/env bash
# Benchmarks roofprof's probe against likwid-bench (Debian's `likwid`) and a STREAM-style
# OpenMP triad on this machine and prints a markdown table of the ratios: FMA peaks (fp32,
# fp64; 1 thread and all threads), load bandwidth at every level at the probe's own
# working-set sizes, DRAM triad, and the time of the default and --quick probes. It runs in
# rounds, each a probe followed by every reference at that probe's sizes, and compares the
# best of each tool over the rounds (a VM's bandwidth drifts by 10-25% over minutes, in both
# tools alike); the last column shows each round's own ratio.
#
# Usage: scripts/bench-likwid.sh [ROOFPROF_BINARY] [OUT_DIR]
#   defaults: build/release/roofprof, bench-out/
#   ROOFPROF_BENCH_ROUNDS=3 rounds; ROOFPROF_BENCH_REPS=3 likwid-bench runs per point per round
#   ROOFPROF_BENCH_MACHINE=machine.json compares an existing probe result instead of probing.
# Needs likwid-bench, a C compiler with OpenMP, and python3. Run on a quiet machine: every
# number is the best of several repetitions, but other work on the cores still lowers them.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/release/roofprof}
out=${2:-bench-out}
reps=${ROOFPROF_BENCH_REPS:-3}
rounds=${ROOFPROF_BENCH_ROUNDS:-3}

for tool in likwid-bench python3 cc; do
  command -v "$tool" > /dev/null || { echo "bench-likwid: '$tool' not found" >&2; exit 1; }
done
[[ -x $bin ]] || { echo "bench-likwid: no roofprof binary at $bin (build first)" >&2; exit 1; }
mkdir -p "$out"
[[ -z ${ROOFPROF_BENCH_MACHINE:-} ]] || rounds=1

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
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

# Each round: the probe, then every reference at that probe's own working-set sizes, so both
# tools see the same state of the machine; the table compares the best of each over the rounds.
: > "$out/results.txt"
: > "$out/times.txt"
for round in $(seq "$rounds"); do
  dir="$out/round$round"
  mkdir -p "$dir"
  if [[ -n ${ROOFPROF_BENCH_MACHINE:-} ]]; then
    cp "$ROOFPROF_BENCH_MACHINE" "$dir/machine.json"
  else
    echo "round $round/$rounds: roofprof probe (default, then --quick)" >&2
    t0=$(date +%s.%N)
    "$bin" probe --quiet --json "$dir/machine.json" > "$dir/probe.txt"
    t1=$(date +%s.%N)
    "$bin" probe --quick --quiet --json "$dir/machine-quick.json" > /dev/null
    t2=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.1f} {$t2 - $t1:.1f}')" >> "$out/times.txt"
  fi
  python3 - "$dir/machine.json" > "$dir/plan.txt" << 'PY'
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
  echo "round $round/$rounds: likwid-bench and the STREAM-style triad" >&2
  while read -r kind what test bytes threads ours; do
    case $kind in
      flops) ref=$(likwid_best "$test" "$bytes" "$threads" "MFlops/s:") ;;
      load) ref=$(likwid_best "$test" "$bytes" "$threads" "MByte/s:") ;;
      triad) ref=0
             for _ in $(seq "$reps"); do
               v=$(OMP_NUM_THREADS=$threads OMP_PROC_BIND=close OMP_PLACES=cores \
                   "$out/stream_triad" "$bytes" 20)
               ref=$(python3 -c "print(max($ref, $v))")
             done ;;
    esac
    echo "$round $kind $what $test $bytes $threads $ours $ref" >> "$out/results.txt"
  done < "$dir/plan.txt"
done

python3 - "$out/results.txt" "$out/times.txt" << 'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    rnd, kind, what, test, size, threads, ours, ref = line.split()
    key = (kind, what, test, int(threads))
    rows.setdefault(key, []).append((int(rnd), int(size), float(ours), float(ref)))

def fmt_size(b):
    return f"{b/2**30:.2f} GiB" if b >= 2**30 else f"{b/2**20:.2f} MiB" if b >= 2**20 else f"{b/2**10:.0f} KiB"

order = {"flops": 0, "load": 1, "triad": 2}
levels = {"fp32": 0, "fp64": 1, "L1": 0, "L2": 1, "L3": 2, "DRAM": 3}
print("| measurement | working set | threads | roofprof (best) | reference (best) | ratio of bests | ratio per round |")
print("|---|---|---|---|---|---|---|")
for key in sorted(rows, key=lambda k: (order[k[0]], k[3] if k[0] == "load" else 0, levels[k[1]], k[3])):
    kind, what, test, threads = key
    runs = rows[key]
    unit = "GFLOP/s" if kind == "flops" else "GB/s"
    label = {"flops": f"{what} FMA peak vs likwid {test}",
             "load": f"{what} load vs likwid {test}",
             "triad": "DRAM triad vs STREAM-style triad (-O3 -march=native -fopenmp)"}[kind]
    ours = max(r[2] for r in runs)
    ref = max(r[3] for r in runs)
    sizes = sorted({r[1] for r in runs})
    size = " / ".join(fmt_size(s) for s in sizes)
    per = " ".join(f"{100 * r[2] / r[3]:.0f}%" if r[3] > 0 else "n/a" for r in sorted(runs))
    ratio = f"{100 * ours / ref:.1f}%" if ref > 0 else "n/a"
    print(f"| {label} | {size} | {threads} | {ours:.1f} {unit} | {ref:.1f} {unit} | {ratio} | {per} |")
times = [l.split() for l in open(sys.argv[2]) if l.strip()]
print()
if times:
    print("probe time per round: default " + ", ".join(t[0] + " s" for t in times) +
          "; --quick " + ", ".join(t[1] + " s" for t in times))
else:
    print("probe time: not run (ROOFPROF_BENCH_MACHINE)")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
