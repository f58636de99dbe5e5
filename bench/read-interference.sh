#!/usr/bin/env bash
# Do reads stall writes? (issue 13, D2.) Single-enqueue latency on a server holding 1,000,000
# queued jobs, first alone, then with readers beside it: 20 loops of /readyz (public), 2 loops of
# `GET /v1/jobs?tag=nope` (a filter with no index of its own, matching nothing) and one
# `retry-dead` of 500,000 dead jobs. The goal: p99 with readers within 2x of p99 alone.
#
#   SPOOL_BIN=build/release/src/spool bench/read-interference.sh
#   RUNS=3 QUEUED=1000000 DEAD=500000 CONNECTIONS=10 SECONDS_PER_PHASE=10 ...
#   READERS=readyz,list,retry (the default: all three; name fewer to see each one's share)
#   READERS=healthz (a control: 22 loops of /healthz, which reads nothing: the cost of serving
#   requests beside the writes on the same cores)
#   PACE_MS=0 (each reader loop's rest between calls; 0: call again as soon as answered)
#   DISTURB_NICE=10 (the readers' client runs niced, standing in for clients on other machines)
#
# Each run: make the dlq jobs dead, measure alone, measure with the readers. The figures are
# `spool bench --workload enqueue` (CONNECTIONS keep-alive connections, one request in flight
# each) and the server's CPU time per enqueued job over each phase (/proc/PID/stat).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPOOL_BIN="${SPOOL_BIN:-$ROOT/build/release/src/spool}"
RUNS="${RUNS:-3}"
QUEUED="${QUEUED:-1000000}"
DEAD="${DEAD:-500000}"
CONNECTIONS="${CONNECTIONS:-10}"
SECONDS_PER_PHASE="${SECONDS_PER_PHASE:-10}"
DURABILITY="${DURABILITY:-fast}"
DISTURB_NICE="${DISTURB_NICE:-10}"
OUT="${OUT:-$(mktemp -d -t spool-interference.XXXXXX)}"
LOAD="$ROOT/bench/read-interference/load.mjs"

say() { printf 'read-interference: %s\n' "$*" >&2; }
[ -x "$SPOOL_BIN" ] || { say "no $SPOOL_BIN (set SPOOL_BIN or build it)"; exit 1; }
mkdir -p "$OUT"

. "$ROOT/bench/lib/spool-server.sh"
disturb_pid=""
cleanup() {
  [ -n "$disturb_pid" ] && kill "$disturb_pid" 2>/dev/null || true
  stop_spool
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_spool "$OUT/data" "$OUT/serve.log" "$DURABILITY"
say "machine: $(machine); results in $OUT"
node "$LOAD" fill "$url" "$QUEUED"

# measure PHASE RUN: one enqueue workload, its JSON and the server CPU it cost.
measure() {
  local phase=$1 run=$2 before after
  before="$(cpu_ticks "$server_pid")"
  "$SPOOL_BIN" bench --url "$url" --workload enqueue --connections "$CONNECTIONS" \
    --duration "$SECONDS_PER_PHASE" --json >"$OUT/$phase-$run.json"
  after="$(cpu_ticks "$server_pid")"
  printf '{"phase":"%s","run":%s,"server_cpu_s":%s,"steal":"%s"}\n' "$phase" "$run" \
    "$(awk "BEGIN{print ($after-$before)/$TICK}")" "$(vmstat 1 2 | tail -1 | awk '{print $17}')" \
    >>"$OUT/meta.jsonl"
}

for run in $(seq "$RUNS"); do
  if [ "$run" = 1 ]; then node "$LOAD" dead "$url" "$DEAD"; else node "$LOAD" dead "$url" 0; fi
  measure alone "$run"
  nice -n "$DISTURB_NICE" node "$LOAD" disturb "$url" "$SECONDS_PER_PHASE" >"$OUT/disturb-$run.json" &
  disturb_pid=$!
  measure readers "$run"
  wait "$disturb_pid"
  disturb_pid=""
  say "run $run done: readers did $(cat "$OUT/disturb-$run.json")"
done

node - "$OUT" <<'EOF'
const fs = require('fs');
const dir = process.argv[2];
const meta = fs.readFileSync(`${dir}/meta.jsonl`, 'utf8').trim().split('\n').map(JSON.parse);
const rows = { alone: [], readers: [] };
for (const m of meta) {
  const r = JSON.parse(fs.readFileSync(`${dir}/${m.phase}-${m.run}.json`, 'utf8')).results[0];
  rows[m.phase].push({ ...r, cpu_us: (m.server_cpu_s * 1e6) / r.jobs, steal: m.steal, run: m.run });
}
const med = (xs) => { const v = [...xs].sort((a, b) => a - b); return v[Math.floor((v.length - 1) / 2)]; };
const f = (v, d) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log('| phase | runs | enqueues/s (median) | p50 ms | p99 ms (median) | p99 ms (all runs) | server CPU µs/job | errors |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [phase, rs] of Object.entries(rows)) {
  console.log(`| ${phase} | ${rs.length} | ${f(med(rs.map((r) => r.jobs_per_s)), 0)} | ${f(med(rs.map((r) => r.p50_ms)), 2)} | ` +
    `${f(med(rs.map((r) => r.p99_ms)), 2)} | ${rs.map((r) => f(r.p99_ms, 2)).join(' / ')} | ` +
    `${f(med(rs.map((r) => r.cpu_us)), 1)} | ${rs.reduce((n, r) => n + r.errors, 0)} |`);
}
const ratios = rows.readers.map((r, i) => r.p99_ms / rows.alone[i].p99_ms);
console.log(`\np99 with readers / p99 alone, per run: ${ratios.map((x) => f(x, 2)).join(' / ')} (median ${f(med(ratios), 2)})`);
for (const file of fs.readdirSync(dir).filter((n) => n.startsWith('disturb-'))) {
  console.log(`${file}: ${fs.readFileSync(`${dir}/${file}`, 'utf8').trim()}`);
}
EOF
