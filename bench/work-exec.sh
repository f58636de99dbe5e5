#!/usr/bin/env bash
# End-to-end throughput of `spool work --exec`: JOBS jobs are enqueued (batches of 1000) on a
# fresh server with an empty data dir, then `spool work --exec PROGRAM` starts and the clock runs
# from its start until GET /v1/stats counts every job completed. Each run is a new server; the
# medians of RUNS runs are printed as a Markdown row per setting.
#
#   bench/work-exec.sh                                   # /bin/true, concurrency 10, 5 runs
#   SPOOL_BIN=build/bench/src/spool JOBS=5000 RUNS=3 CONCURRENCY="10 50" PREFETCH="0 10" \
#     bench/work-exec.sh
#
# Besides jobs/s it reports the CPU time of `spool work` itself and of the programs it ran
# (utime+stime and cutime+cstime from /proc/PID/stat) per job, which moves less with the
# neighbours' load on a shared machine than wall-clock rates do. Needs curl and jq.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPOOL_BIN="${SPOOL_BIN:-$ROOT/build/release/src/spool}"
JOBS="${JOBS:-3000}"
RUNS="${RUNS:-5}"
CONCURRENCY="${CONCURRENCY:-10}"
PREFETCH="${PREFETCH:-0}"
PROGRAM="${PROGRAM:-/bin/true}"
OUT="${OUT:-$(mktemp -d -t spool-work-bench.XXXXXX)}"

say() { printf 'work-exec: %s\n' "$*" >&2; }
mkdir -p "$OUT"
[ -x "$SPOOL_BIN" ] || { say "no $SPOOL_BIN (set SPOOL_BIN or build it)"; exit 1; }
command -v jq >/dev/null || { say "needs jq"; exit 1; }

server_pid=""
work_pid=""
cleanup() {
  for pid in $work_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TICK="$(getconf CLK_TCK)"
now() { date +%s.%N; }
# utime+stime of the process, and cutime+cstime (its reaped children), in ticks.
own_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
child_ticks() { awk '{print $16 + $17}' "/proc/$1/stat"; }

batch="$(jq -cn --argjson n 1000 '{jobs: [range($n) | {type: "noop", queue: "bench", payload: {i: .}}]}')"

say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
  "load $(cut -d' ' -f1-3 /proc/loadavg); $JOBS jobs of $PROGRAM per run; results in $OUT"
for c in $CONCURRENCY; do
  for p in $PREFETCH; do
    for run in $(seq "$RUNS"); do
      data="$OUT/data-$c-$p-$run"
      rm -rf "$data"
      "$SPOOL_BIN" serve --listen 127.0.0.1:0 --data "$data" --log-level warn \
        >"$OUT/serve-$c-$p-$run.log" 2>&1 &
      server_pid=$!
      url=""
      for _ in $(seq 100); do
        url="$(grep -o 'spool listening on http://[^ ]*' "$OUT/serve-$c-$p-$run.log" | head -1 |
          sed 's/spool listening on //')" || true
        [ -n "$url" ] && break
        sleep 0.1
      done
      [ -n "$url" ] || { say "spool serve did not start"; cat "$OUT/serve-$c-$p-$run.log" >&2; exit 1; }
      for _ in $(seq $((JOBS / 1000))); do
        curl -sf -o /dev/null -H 'Content-Type: application/json' -d "$batch" "$url/v1/jobs/batch"
      done
      load="$(cut -d' ' -f1 /proc/loadavg)"
      start="$(now)"
      "$SPOOL_BIN" work --url "$url" --queue bench --exec "$PROGRAM" --concurrency "$c" \
        --prefetch "$p" --quiet >"$OUT/work-$c-$p-$run.log" 2>&1 &
      work_pid=$!
      total=$((JOBS / 1000 * 1000))
      while true; do
        done_count="$(curl -sf "$url/v1/stats" | jq '.totals.counts.completed')"
        [ "$done_count" -ge "$total" ] && break
        kill -0 "$work_pid" 2>/dev/null || { say "spool work died"; cat "$OUT/work-$c-$p-$run.log" >&2; exit 1; }
        sleep 0.02
      done
      end="$(now)"
      own="$(own_ticks "$work_pid")"
      children="$(child_ticks "$work_pid")"
      kill -TERM "$work_pid"
      wait "$work_pid" || say "spool work exited $? after SIGTERM"
      work_pid=""
      kill "$server_pid"
      wait "$server_pid" 2>/dev/null || true
      server_pid=""
      rm -rf "$data"
      awk -v n="$total" -v s="$start" -v e="$end" -v o="$own" -v ch="$children" -v t="$TICK" \
        -v c="$c" -v p="$p" -v l="$load" 'BEGIN {
          printf "%d %d %.0f %.1f %.1f %s\n", c, p, n / (e - s), o / t * 1e6 / n, ch / t * 1e6 / n, l }' \
        >>"$OUT/runs.txt"
      say "concurrency $c prefetch $p run $run: $(tail -1 "$OUT/runs.txt" | cut -d' ' -f3) jobs/s (load before $load)"
    done
  done
done

echo "| concurrency | prefetch | runs | jobs/s (median) | jobs/s (all runs) | spool work CPU µs/job | programs' CPU µs/job | load avg before |"
echo "|---|---|---|---|---|---|---|---|"
for c in $CONCURRENCY; do
  for p in $PREFETCH; do
    awk -v c="$c" -v p="$p" '$1 == c && $2 == p' "$OUT/runs.txt" | sort -n -k3 | awk '
      { rate[NR] = $3; own[NR] = $4; kids[NR] = $5; all = all (NR > 1 ? " / " : "") $3; load = load (NR > 1 ? " / " : "") $6 }
      END {
        m = int((NR + 1) / 2)
        # own and kids are the figures of the median-rate run
        printf "| %s | %s | %d | %s | %s | %s | %s | %s |\n", c, p, NR, rate[m], all, own[m], kids[m], load
      }' c="$c" p="$p"
  done
done
