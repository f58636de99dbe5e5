#!/usr/bin/env bash
# Runs the same workloads against Spool and against BullMQ on Redis, on this machine, in one go,
# and prints them side by side. Everything it starts listens on loopback only, keeps no data
# (Redis without persistence, Spool in a temp dir) and is stopped on exit.
#
#   bench/compare-bullmq.sh                    # 200k jobs per workload, latency for 10 s
#   JOBS=100000 LATENCY_DURATION=5s DURABILITY=strict bench/compare-bullmq.sh
#   SPOOL_BIN=build/bench/src/spool KEEP_DIR=/tmp/cmp bench/compare-bullmq.sh
#
# Environment: SPOOL_BIN (default build/release/src/spool, built if missing), JOBS (200000),
# LATENCY_DURATION (10s), RATE (1000), DURABILITY (fast|strict), KEEP_DIR (keep logs and JSON).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-200000}"
LATENCY_DURATION="${LATENCY_DURATION:-10s}"
RATE="${RATE:-1000}"
DURABILITY="${DURABILITY:-fast}"
SPOOL_BIN="${SPOOL_BIN:-$ROOT/build/release/src/spool}"
# Each step is bounded so a wedged server cannot hold the script forever.
STEP_TIMEOUT="${STEP_TIMEOUT:-600}"

say() { printf 'compare-bullmq: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root to run: $*"
    exit 1
  fi
}

# --- what it needs -------------------------------------------------------------------------
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d "$ROOT/bench/bullmq/node_modules/bullmq" ] || [ ! -d "$ROOT/bench/bullmq/node_modules/ioredis" ]; then
  say "installing bullmq (npm ci in bench/bullmq)"
  (cd "$ROOT/bench/bullmq" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

if [ ! -x "$SPOOL_BIN" ]; then
  say "building $SPOOL_BIN (Release)"
  build_dir="$(dirname "$(dirname "$SPOOL_BIN")")"
  cmake -S "$ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSPOOL_BUILD_TESTS=OFF >&2
  cmake --build "$build_dir" --target spool >&2
fi

# --- processes ---------------------------------------------------------------------------
TMP="$(mktemp -d -t spool-vs-bullmq.XXXXXX)"
pids=()
cleanup() {
  local code=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${KEEP_DIR:-}" ]; then
    mkdir -p "$KEEP_DIR" && cp -r "$TMP"/*.json "$TMP"/*.log "$KEEP_DIR"/ 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize no --logfile "$TMP/redis.log" &
pids+=($!)
for _ in $(seq 100); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$REDIS_PORT" ping >/dev/null || { say "redis-server did not start"; cat "$TMP/redis.log" >&2; exit 1; }

mkdir -p "$TMP/spool-data"
"$SPOOL_BIN" serve --listen 127.0.0.1:0 --data "$TMP/spool-data" --durability "$DURABILITY" \
  >"$TMP/spool.log" 2>&1 &
pids+=($!)
SPOOL_URL=""
for _ in $(seq 100); do
  SPOOL_URL="$(grep -o 'spool listening on http://[^ ]*' "$TMP/spool.log" | head -1 | sed 's/spool listening on //')" || true
  [ -n "$SPOOL_URL" ] && break
  sleep 0.1
done
[ -n "$SPOOL_URL" ] || { say "spool serve did not start"; cat "$TMP/spool.log" >&2; exit 1; }

say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "spool $SPOOL_URL (durability $DURABILITY), redis 127.0.0.1:$REDIS_PORT ($(redis-server --version | grep -o 'v=[^ ]*')), bullmq $(node -p "require('$ROOT/bench/bullmq/node_modules/bullmq/package.json').version")"
say "$JOBS jobs per workload, latency at $RATE/s for $LATENCY_DURATION, 200-byte payloads"

# --- the runs ----------------------------------------------------------------------------
status=0
say "spool bench ..."
timeout "$STEP_TIMEOUT" "$SPOOL_BIN" bench --url "$SPOOL_URL" --workload all --jobs "$JOBS" \
  --connections 50 --batch 100 --payload-bytes 200 --rate "$RATE" --duration "$LATENCY_DURATION" \
  --workers 8 --json >"$TMP/spool.json" || status=$?

say "bullmq bench ..."
(cd "$ROOT/bench/bullmq" && timeout "$STEP_TIMEOUT" node bench.mjs --port "$REDIS_PORT" \
  --workload all --jobs "$JOBS" --connections 50 --batch 100 --payload-bytes 200 --rate "$RATE" \
  --duration "$LATENCY_DURATION" --workers 8 --concurrency 100 --json) >"$TMP/bullmq.json" || status=$?

# --- side by side ------------------------------------------------------------------------
node - "$TMP/spool.json" "$TMP/bullmq.json" <<'EOF'
const fs = require('fs');
const load = (f) => { try { return JSON.parse(fs.readFileSync(f, 'utf8').trim().split('\n').pop()).results; } catch { return []; } };
const [spool, bull] = [load(process.argv[2]), load(process.argv[3])];
const by = (rows) => Object.fromEntries(rows.map((r) => [r.workload, r]));
const S = by(spool), B = by(bull);
const rows = [];
const num = (v, d = 0) => (v == null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (a, b) => (a == null || b == null || b === 0 ? '-' : (a / b).toFixed(2) + 'x');
for (const w of ['enqueue', 'batch', 'e2e', 'e2e-drain']) {
  const s = S[w], b = B[w];
  rows.push([`${w} jobs/s`, num(s?.jobs_per_s), num(b?.jobs_per_s), ratio(s?.jobs_per_s, b?.jobs_per_s)]);
}
for (const k of ['p50_ms', 'p99_ms', 'max_ms']) {
  const s = S.latency?.[k], b = B.latency?.[k];
  // For latency the ratio is BullMQ over Spool so that above 1 still means Spool is better.
  rows.push([`latency ${k.replace('_ms', '')} ms`, num(s, 3), num(b, 3), ratio(b, s)]);
}
const errs = (r) => Object.values(r).reduce((n, x) => n + (x.errors || 0), 0);
rows.push(['errors', String(errs(S)), String(errs(B)), '']);
const w = [22, 14, 14, 8];
const line = (c) => c.map((x, i) => (i === 0 ? String(x).padEnd(w[i]) : String(x).padStart(w[i]))).join(' ');
console.log(line(['workload', 'spool', 'bullmq', 'ratio']));
for (const r of rows) console.log(line(r));
console.log('\nratio: spool/bullmq for throughput, bullmq/spool for latency (above 1: spool ahead)');
for (const [name, rs] of [['spool', spool], ['bullmq', bull]])
  for (const r of rs) if (r.errors) console.log(`${name} ${r.workload}: ${r.errors} errors, first: ${r.first_error}`);
EOF
exit "$status"
