#!/usr/bin/env bash
# Push delivery throughput (docs/benchmarks.md "Push delivery"): deliveries per second from one
# `spool serve` to a local receiver (bench/push_receiver.js, node) that answers 204 at once.
# Each run: a fresh server in a temp dir, the queue paused, JOBS jobs enqueued in batches of
# 1000, then the queue resumed and the clock started; the run ends when every job is completed.
#
#   bench/push.sh                               # 3 runs of 20000 jobs, concurrency 64
#   RUNS=5 JOBS=50000 CONCURRENCY=64 SPOOL_BIN=build/release/src/spool bench/push.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPOOL_BIN="${SPOOL_BIN:-$ROOT/build/release/src/spool}"
RUNS="${RUNS:-3}"
JOBS="${JOBS:-20000}"
CONCURRENCY="${CONCURRENCY:-64}"
say() { printf 'push-bench: %s\n' "$*" >&2; }

[ -x "$SPOOL_BIN" ] || { say "no spool binary at $SPOOL_BIN (set SPOOL_BIN)"; exit 1; }
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_line() {  # file pattern: waits up to 20 s for a line matching pattern, prints it
  for _ in $(seq 200); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  say "timed out waiting for '$2' in $1"; return 1
}

node "$ROOT/bench/push_receiver.js" >"$WORK/rx.out" 2>"$WORK/rx.err" &
PIDS+=($!)
RX_PORT="$(wait_line "$WORK/rx.out" '^listening ' | awk '{print $2}')"

batch_body() {  # n: a batch of n jobs
  python3 -c "import json,sys; n=int(sys.argv[1]); print(json.dumps({'jobs':[{'type':'bench','queue':'pushbench','payload':{'i':i,'text':'hello'}} for i in range(n)]}))" "$1"
}
batch_body 1000 >"$WORK/batch.json"

# CPU time (utime + stime, clock ticks) of a process: less noisy than the wall-clock rate on a
# shared machine (docs/benchmarks.md, "The machine").
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
RX_PID=${PIDS[0]}

rates=()
cpus=()
for run in $(seq "$RUNS"); do
  rm -rf "$WORK/data"
  "$SPOOL_BIN" serve --listen 127.0.0.1:0 --data "$WORK/data" --log-level warn \
    >"$WORK/serve.$run.out" 2>"$WORK/serve.$run.err" &
  SPID=$!
  PIDS+=($SPID)
  URL="$(wait_line "$WORK/serve.$run.out" '^spool listening on ' | awk '{print $4}')"
  curl -sf -X POST "$URL/v1/queues/pushbench/pause" >/dev/null
  curl -sf -X PATCH "$URL/v1/queues/pushbench" -d "{\"push\":{\"url\":\"http://127.0.0.1:$RX_PORT/hook\",\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\",\"concurrency\":$CONCURRENCY}}" >/dev/null
  for _ in $(seq $((JOBS / 1000))); do
    curl -sf -X POST "$URL/v1/jobs/batch" --data-binary @"$WORK/batch.json" >/dev/null
  done
  load="$(cut -d' ' -f1 /proc/loadavg)"
  s_cpu0=$(cpu_ticks "$SPID"); r_cpu0=$(cpu_ticks "$RX_PID")
  start=$(date +%s.%N)
  curl -sf -X POST "$URL/v1/queues/pushbench/resume" >/dev/null
  # Polled with curl and sed only: a python3 start per poll cost about a third of a core of the
  # two the server and the receiver share.
  while :; do
    done_n="$(curl -sf "$URL/v1/queues/pushbench" | sed -n 's/.*"completed":\([0-9]*\).*/\1/p')"
    [ "${done_n:-0}" -ge "$JOBS" ] && break
    sleep 0.05
  done
  end=$(date +%s.%N)
  s_us=$(( ($(cpu_ticks "$SPID") - s_cpu0) * TICK_US / JOBS ))
  r_us=$(( ($(cpu_ticks "$RX_PID") - r_cpu0) * TICK_US / JOBS ))
  rate="$(python3 -c "print(round($JOBS / ($end - $start)))")"
  say "run $run: $JOBS deliveries in $(python3 -c "print(round($end - $start, 2))") s = $rate/s; CPU per delivery: server $s_us us, receiver $r_us us (load before: $load)"
  rates+=("$rate")
  cpus+=("$s_us")
  kill "$SPID"; wait "$SPID" 2>/dev/null || true
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "push deliveries/s, concurrency $CONCURRENCY, $JOBS jobs, runs: ${rates[*]}; median $(median "${rates[@]}"); server CPU us/delivery: ${cpus[*]}; median $(median "${cpus[@]}")"
