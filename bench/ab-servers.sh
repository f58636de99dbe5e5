#!/usr/bin/env bash
# Two servers, one client, alternated: A, B, A, B, ... on fresh data folders, so machine noise
# falls on both alike. Prints per run: which, workload, jobs/s, p50 ms, p99 ms, server CPU µs/job
# (from /proc through `spool bench --server-pid`). A's binary is the client for both.
#
#   bench/ab-servers.sh NEW_SPOOL OLD_SPOOL PAIRS WORKLOAD [spool bench options]
#   bench/ab-servers.sh build/dev/src/spool /tmp/old/spool 3 enqueue --duration 8s --connections 50
#   bench/ab-servers.sh build/dev/src/spool /tmp/old/spool 3 drain --jobs 100000 --settle-and-reserve
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,8p "$0" >&2; exit 2; }
A=$1 B=$2 PAIRS=$3 WORKLOAD=$4
shift 4
port=$((20000 + RANDOM % 20000))
for _ in $(seq "$PAIRS"); do
  for which in A B; do
    bin=$A
    [ "$which" = B ] && bin=$B
    data=$(mktemp -d -t spool-ab.XXXXXX)
    port=$((port + 1))
    "$bin" serve --data "$data" --listen "127.0.0.1:$port" --log-level warn >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    "$A" bench --url "http://127.0.0.1:$port" --workload "$WORKLOAD" --server-pid "$pid" --json "$@" |
      WHICH=$which node -e '
        const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
        for (const r of d.results) {
          if (r.workload.endsWith("fill")) continue;
          console.log([process.env.WHICH, r.workload, Math.round(r.jobs_per_s ?? 0), r.p50_ms, r.p99_ms,
                       r.server_cpu_us_per_job].join(" "));
        }'
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$data"
  done
done
