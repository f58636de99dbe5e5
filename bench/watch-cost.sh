#!/usr/bin/env bash
# What watching costs (docs/benchmarks.md "Cost of watching"): `spool bench --workload e2e`
# against a fresh server with every observer off (SPOOL_BENCH_NO_OBSERVERS=1) and on (metrics,
# per-minute aggregates, live events) plus a /metrics scrape every second and one idle SSE
# subscriber, alternating, RUNS times each. Prints one line per run and the medians.
#
#   SPOOL_BIN=build/bench/src/spool RUNS=5 bench/watch-cost.sh
set -euo pipefail
BIN=${SPOOL_BIN:-build/bench/src/spool}
RUNS=${RUNS:-5}
TICK=$(getconf CLK_TCK)
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run_once() {  # mode -> "mode jobs_per_s drain_per_s cpu_us_per_job"
  local mode=$1 dir pid url c0 c1 json aux=()
  dir=$(mktemp -d)
  if [[ $mode == off ]]; then
    SPOOL_BENCH_NO_OBSERVERS=1 "$BIN" serve --listen 127.0.0.1:0 --log-level warn --data "$dir" \
      >"$dir/out" 2>"$dir/err" &
  else
    "$BIN" serve --listen 127.0.0.1:0 --log-level warn --data "$dir" >"$dir/out" 2>"$dir/err" &
  fi
  pid=$!
  for _ in $(seq 100); do grep -q listening "$dir/out" && break; sleep 0.1; done
  url=$(sed -n 's/spool listening on //p' "$dir/out")
  if [[ $mode == on ]]; then
    curl -sN "$url/v1/events?queue=idle-subscriber" >/dev/null 2>&1 &
    aux+=($!)
    (while true; do curl -s "$url/metrics" >/dev/null; sleep 1; done) &
    aux+=($!)
  fi
  c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  json=$("$BIN" bench --url "$url" --workload e2e --json)
  c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  for p in "${aux[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$pid"
  # A server that does not stop within 10 s is killed (and said so), not waited on forever.
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "warning: server did not stop; killed" >&2; kill -9 "$pid"; fi
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  python3 -c '
import json, sys
d = json.loads(sys.argv[1]); r = {x["workload"]: x for x in d["results"]}
jobs = r["e2e"]["jobs"]
cpu_us = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4]) * 1e6 / jobs
print(sys.argv[5], round(r["e2e"]["jobs_per_s"]), round(r["e2e-drain"]["jobs_per_s"]), round(cpu_us, 1))
' "$json" "$c0" "$c1" "$TICK" "$mode"
}

echo "nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$RUNS"); do
  for mode in off on; do run_once "$mode" | tee -a "$results"; done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for mode in ("off", "on"):
    r = [list(map(float, x[1:])) for x in rows if x[0] == mode]
    med = [statistics.median(c) for c in zip(*r)]
    print(f"median {mode}: e2e {med[0]:.0f} jobs/s, drain {med[1]:.0f} jobs/s, server CPU {med[2]:.1f} us/job")
PY
