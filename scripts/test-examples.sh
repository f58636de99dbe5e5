#!/usr/bin/env bash
# Builds examples/cpp against the *installed* client library, as a user's project would, then
# runs the send_release_email example against a real server until it has sent one email.
#   scripts/test-examples.sh [BUILD_DIR]   (default build/dev; scripts/test.sh calls it)
# Checks: `cmake --install` output is usable by find_package(spool) and by pkg-config, and the
# example worker completes a real job.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/dev}
prefix=$PWD/$build/install
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> examples: install the client library into $prefix"
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

echo "==> examples: build examples/cpp with find_package(spool)"
cmake -S examples/cpp -B "$build/examples" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build/examples"

echo "==> examples: build one example with pkg-config"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --exists spool
# shellcheck disable=SC2046  # the flags are meant to split into words
g++ -O1 examples/cpp/enqueue_release_email.cpp -o "$work/enqueue_pkgconfig" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs spool)

echo "==> examples: send one release email through a real server"
"$prefix/bin/spool" serve --listen 127.0.0.1:0 --data "$work/data" >"$work/serve.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -1 || true)
  [[ -n $url ]] && break
  sleep 0.1
done
if [[ -z $url ]]; then
  echo "examples: spool serve did not start; its log:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
export SPOOL_URL=$url
id=$("$work/enqueue_pkgconfig" esc-123 buyer@example.com 125000 | cut -d' ' -f1)
again=$("$build/examples/enqueue_release_email" esc-123 buyer@example.com 125000)
if [[ $again != "$id (already queued)" ]]; then
  echo "examples: the dedupe key did not hold: first $id, then '$again'" >&2
  exit 1
fi
timeout 60 "$build/examples/send_release_email" --once >"$work/worker.log" 2>&1 || {
  echo "examples: send_release_email --once failed; its output:" >&2
  cat "$work/worker.log" >&2
  exit 1
}
state=$("$prefix/bin/spool" job "$id" --json | grep -o '"state":"[a-z]*"')
if [[ $state != '"state":"completed"' ]]; then
  echo "examples: job $id is $state, expected completed; worker output:" >&2
  cat "$work/worker.log" >&2
  exit 1
fi
grep -q "would send to buyer@example.com" "$work/worker.log"
echo "==> examples: passed (job $id completed)"
