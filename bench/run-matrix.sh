#!/usr/bin/env bash
# The figures of docs/benchmarks.md: every `spool bench` workload, RUNS times, in both durability
# modes, each run on a fresh `spool serve` with an empty data dir (so one run's leftover queued
# jobs never slow the next), and the medians as a Markdown table.
#
#   bench/run-matrix.sh                         # 3 runs, fast and strict
#   RUNS=5 MODES=strict SPOOL_BIN=build/bench/src/spool bench/run-matrix.sh
#   WORKLOADS="drain:10 drain:50" bench/run-matrix.sh   # drain:N = --workload drain --concurrency N
#   SPOOL_BIN=old/spool BENCH_BIN=build/dev/src/spool bench/run-matrix.sh   # an old server, today's client
#
# Besides wall-clock rates it records the server's own CPU time per job (utime+stime from
# /proc/PID/stat): on a shared 2-core machine that figure moves much less with the neighbours'
# load than jobs/s does. The load average before each run is printed with it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPOOL_BIN="${SPOOL_BIN:-$ROOT/build/release/src/spool}"
# The client: by default the same binary. Give a newer one to A/B an older server with
# workloads (drain, --server-pid) that its own `spool bench` does not have.
BENCH_BIN="${BENCH_BIN:-$SPOOL_BIN}"
RUNS="${RUNS:-3}"
MODES="${MODES:-fast strict}"
WORKLOADS="${WORKLOADS:-enqueue batch e2e latency}"
OUT="${OUT:-$(mktemp -d -t spool-matrix.XXXXXX)}"
BENCH_ARGS=(${BENCH_ARGS:-})

say() { printf 'run-matrix: %s\n' "$*" >&2; }

[ -x "$SPOOL_BIN" ] || { say "no $SPOOL_BIN (set SPOOL_BIN or build it)"; exit 1; }
mkdir -p "$OUT"
. "$ROOT/bench/lib/spool-server.sh"
trap stop_spool EXIT
trap 'exit 130' INT TERM

say "machine: $(machine); results in $OUT"
for mode in $MODES; do
  for run in $(seq "$RUNS"); do
    data="$OUT/data-$mode-$run"
    rm -rf "$data"
    start_spool "$data" "$OUT/serve-$mode-$run.log" "$mode"
    for w in $WORKLOADS; do
      load="$(cut -d' ' -f1 /proc/loadavg)"
      before="$(cpu_ticks "$server_pid")"
      # drain:N is the drain workload at --concurrency N.
      extra=()
      name="$w"
      if [[ "$w" == drain:* ]]; then name=drain; extra=(--concurrency "${w#drain:}"); fi
      timeout 600 "$BENCH_BIN" bench --url "$url" --workload "$name" --json --server-pid "$server_pid" \
        "${extra[@]}" "${BENCH_ARGS[@]}" >"$OUT/$mode-$run-$w.json" || say "$mode run $run $w: spool bench exited $?"
      after="$(cpu_ticks "$server_pid")"
      printf '{"mode":"%s","run":%s,"workload":"%s","load":%s,"server_cpu_s":%s}\n' "$mode" "$run" "$w" \
        "$load" "$(awk "BEGIN{print ($after-$before)/$TICK}")" >>"$OUT/meta.jsonl"
      say "$mode run $run $w done (load before $load)"
    done
    stop_spool
    rm -rf "$data"
  done
done

node - "$OUT" <<'EOF'
const fs = require('fs');
const dir = process.argv[2];
const meta = fs.readFileSync(`${dir}/meta.jsonl`, 'utf8').trim().split('\n').map(JSON.parse);
const rows = {};
for (const m of meta) {
  let j;
  try { j = JSON.parse(fs.readFileSync(`${dir}/${m.mode}-${m.run}-${m.workload}.json`, 'utf8')); } catch { continue; }
  for (const r of j.results) {
    const shape = m.workload.startsWith('drain:') ? ` at concurrency ${m.workload.slice(6)}` : '';
    const key = `${m.mode}|${r.workload}${shape}`;
    (rows[key] ??= []).push({ ...r, load: m.load, cpu_us_per_job: r.server_cpu_us_per_job ?? (r.jobs && r.workload !== "e2e-drain" ? (m.server_cpu_s * 1e6) / r.jobs : null) });
  }
}
const med = (xs) => { const v = xs.filter((x) => x != null).sort((a, b) => a - b); return v.length ? v[Math.floor((v.length - 1) / 2)] : null; };
const f = (v, d) => (v == null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
console.log('| durability | workload | runs | jobs/s (median) | jobs/s (all runs) | p50 ms | p99 ms | max ms | server CPU µs/job | errors | load avg |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const [key, rs] of Object.entries(rows)) {
  const [mode, w] = key.split('|');
  console.log(`| ${mode} | ${w} | ${rs.length} | ${f(med(rs.map((r) => r.jobs_per_s)), 0)} | ${rs.map((r) => f(r.jobs_per_s, 0)).join(' / ')} | ` +
    `${f(med(rs.map((r) => r.p50_ms)), 3)} | ${f(med(rs.map((r) => r.p99_ms)), 3)} | ${f(med(rs.map((r) => r.max_ms)), 3)} | ` +
    `${f(med(rs.map((r) => r.cpu_us_per_job)), 1)} | ${rs.reduce((n, r) => n + r.errors, 0)} | ${rs.map((r) => r.load).join(' / ')} |`);
}
const firsts = Object.values(rows).flat().filter((r) => r.first_error);
for (const r of firsts.slice(0, 5)) console.log(`\n${r.workload}: ${r.errors} errors, first: ${r.first_error}`);
EOF
