#!/usr/bin/env bash
# The C++ worker library against raw HTTP, end to end (docs/benchmarks.md "The C++ worker").
# Each run, on a fresh server and empty data dir each time:
#   raw:     spool bench --workload e2e --jobs N        (fill, then 8 connections drain)
#   library: spool bench --workload batch --jobs N --queue Q   (the same fill)
#            spool_worker_bench --queue Q --jobs N --concurrency C   (a spool::Worker drains)
# for C in $CONCURRENCY. Prints one line per measurement; RUNS rounds, interleaved so that a
# noisy neighbour hits all of them alike.
#   SPOOL_BIN=build/bench/src/spool WORKER_BENCH=build/bench/bench/spool_worker_bench \
#     bench/worker-vs-raw.sh
set -euo pipefail
SPOOL_BIN=${SPOOL_BIN:-build/bench/src/spool}
WORKER_BENCH=${WORKER_BENCH:-build/bench/bench/spool_worker_bench}
JOBS=${JOBS:-200000}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-"10 50"}
PREFETCH=${PREFETCH:-0}

server_pid=""
start_server() {
  data=$(mktemp -d)
  out=$(mktemp)
  SPOOL_LOG_LEVEL=warn "$SPOOL_BIN" serve --listen 127.0.0.1:0 --data "$data" >"$out" 2>/dev/null &
  server_pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/^spool listening on //p' "$out")
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "server did not start" >&2
  exit 1
}
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$data" "$out"
}
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(next(r for r in d['results'] if r['workload']==sys.argv[2])[sys.argv[3]])" "$@"; }

echo "# nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\" load=\"$(cut -d' ' -f1-3 /proc/loadavg)\" jobs=$JOBS"
for run in $(seq "$RUNS"); do
  start_server
  raw=$("$SPOOL_BIN" bench --url "$url" --workload e2e --jobs "$JOBS" --json 2>/dev/null)
  stop_server
  e2e_s=$(field "$raw" e2e seconds)
  drain_s=$(field "$raw" e2e-drain seconds)
  python3 -c "import sys; n=int(sys.argv[1]); e=float(sys.argv[2]); d=float(sys.argv[3]); print(f'run {sys.argv[4]} raw           e2e {n/e:9.0f} jobs/s  drain {n/d:9.0f} jobs/s')" "$JOBS" "$e2e_s" "$drain_s" "$run"
  for c in $CONCURRENCY; do
    start_server
    fill=$("$SPOOL_BIN" bench --url "$url" --workload batch --jobs "$JOBS" --queue wb --json 2>/dev/null)
    lib=$("$WORKER_BENCH" --url "$url" --queue wb --jobs "$JOBS" --concurrency "$c" --prefetch "$PREFETCH")
    stop_server
    fill_s=$(field "$fill" batch seconds)
    lib_s=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['seconds'])" "$lib")
    python3 -c "import sys; n=int(sys.argv[1]); f=float(sys.argv[2]); d=float(sys.argv[3]); print(f'run {sys.argv[4]} worker c={sys.argv[5]:<3} e2e {n/(f+d):9.0f} jobs/s  drain {n/d:9.0f} jobs/s  (prefetch {sys.argv[6]})')" "$JOBS" "$fill_s" "$lib_s" "$run" "$c" "$PREFETCH"
  done
done
