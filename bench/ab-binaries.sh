#!/usr/bin/env bash
# A/B of two `spool` builds on this machine: `spool bench --workload W` against a fresh server
# and empty data dir per run, A and B alternating (ABAB...), RUNS times each, one line per run
# and the medians (throughput, and the server's CPU time per job from /proc/PID/stat, which moves
# less with the machine's other load). docs/benchmarks.md quotes it for the cost of an index.
#
#   A=/tmp/spool-before B=build/dev/src/spool RUNS=5 WORKLOADS="enqueue e2e" bench/ab-binaries.sh
set -euo pipefail
A=${A:?A=path of the first spool binary}
B=${B:?B=path of the second spool binary}
RUNS=${RUNS:-5}
WORKLOADS=${WORKLOADS:-enqueue e2e}
TICK=$(getconf CLK_TCK)
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run_once() {  # arm binary workload -> "arm workload jobs_per_s cpu_us_per_job"
  local arm=$1 bin=$2 workload=$3 dir pid url c0 c1 json
  dir=$(mktemp -d)
  "$bin" serve --listen 127.0.0.1:0 --log-level warn --data "$dir" >"$dir/out" 2>"$dir/err" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$dir/out" && break; sleep 0.1; done
  url=$(sed -n 's/spool listening on //p' "$dir/out")
  c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  json=$("$bin" bench --url "$url" --workload "$workload" --json)
  c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "warning: server did not stop; killed" >&2; kill -9 "$pid"; fi
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  python3 -c '
import json, sys
d = json.loads(sys.argv[1]); r = {x["workload"]: x for x in d["results"]}[sys.argv[6]]
cpu_us = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4]) * 1e6 / r["jobs"]
print(sys.argv[5], sys.argv[6], round(r["jobs_per_s"]), round(cpu_us, 1))
' "$json" "$c0" "$c1" "$TICK" "$arm" "$workload"
}

echo "nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A=$A B=$B"
for i in $(seq "$RUNS"); do
  for w in $WORKLOADS; do
    for arm in A B; do
      if [[ $arm == A ]]; then bin=$A; else bin=$B; fi
      run_once "$arm" "$bin" "$w" | tee -a "$results"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for w in dict.fromkeys(r[1] for r in rows):
    med = {}
    for arm in ("A", "B"):
        r = [(float(x[2]), float(x[3])) for x in rows if x[0] == arm and x[1] == w]
        med[arm] = (statistics.median(a for a, _ in r), statistics.median(c for _, c in r))
    print(f"median {w}: A {med['A'][0]:.0f} jobs/s {med['A'][1]:.1f} us/job, "
          f"B {med['B'][0]:.0f} jobs/s {med['B'][1]:.1f} us/job, "
          f"B/A throughput {med['B'][0] / med['A'][0]:.3f}, CPU {med['B'][1] / med['A'][1]:.3f}")
PY
