#!/usr/bin/env bash
# What waiting jobs cost at rest (issue 14: 1M waiting jobs, <= 300 bytes/job on disk and
# <= 100 bytes/job of server RSS). Starts `spool serve` on an empty data dir, reads its RSS,
# enqueues JOBS jobs of PAYLOAD_BYTES in batches of 100 (`spool bench --workload batch`), lets
# the checkpointer copy the WAL back, then reads the data dir's size and the RSS again.
#
#   SPOOL_BIN=build/dev/src/spool bench/footprint.sh
#   JOBS=1000000 PAYLOAD_BYTES=200 DURABILITY=fast OUT=/tmp/fp bench/footprint.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPOOL_BIN="${SPOOL_BIN:-$ROOT/build/release/src/spool}"
JOBS="${JOBS:-1000000}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-200}"
DURABILITY="${DURABILITY:-fast}"
OUT="${OUT:-$(mktemp -d -t spool-footprint.XXXXXX)}"

say() { printf 'footprint: %s\n' "$*" >&2; }
[ -x "$SPOOL_BIN" ] || { say "no $SPOOL_BIN (set SPOOL_BIN or build it)"; exit 1; }
mkdir -p "$OUT"

. "$ROOT/bench/lib/spool-server.sh"
trap stop_spool EXIT
trap 'exit 130' INT TERM

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
dir_bytes() { du -sb "$1" | cut -f1; }

rm -rf "$OUT/data"
start_spool "$OUT/data" "$OUT/serve.log" "$DURABILITY"

rss_before="$(rss_kb "$server_pid")"
bytes_before="$(dir_bytes "$OUT/data")"
say "machine: $(machine); results in $OUT"
"$SPOOL_BIN" bench --url "$url" --workload batch --jobs "$JOBS" --payload-bytes "$PAYLOAD_BYTES" \
  --queue footprint --json >"$OUT/fill.json"
# The checkpointer copies the WAL into the database every 200 ms; give it a few passes.
sleep 3
rss_after="$(rss_kb "$server_pid")"
bytes_after="$(dir_bytes "$OUT/data")"
ls -l "$OUT/data" >"$OUT/files.txt"
queued="$(curl -s "$url/v1/queues/footprint" | grep -o '"queued":[0-9]*' | head -1 | cut -d: -f2)"

awk -v jobs="$queued" -v b0="$bytes_before" -v b1="$bytes_after" -v r0="$rss_before" -v r1="$rss_after" \
  -v payload="$PAYLOAD_BYTES" 'BEGIN {
  printf "| waiting jobs | payload bytes | data dir before | data dir after | disk bytes/job | RSS before | RSS after | RSS bytes/job |\n"
  printf "|---|---|---|---|---|---|---|---|\n"
  printf "| %d | %d | %.1f MB | %.1f MB | %.0f | %.1f MB | %.1f MB | %.0f |\n", jobs, payload, b0/1e6, b1/1e6,
    (b1-b0)/jobs, r0/1024, r1/1024, (r1-r0)*1024/jobs
}'
say "files: $(tr '\n' ';' <"$OUT/files.txt")"
