#!/usr/bin/env bash
# The dashboard's end-to-end suite (test/e2e/): Debian's chromium, driven by playwright-core,
# against a real `spool serve` on a free loopback port. scripts/test.sh calls it.
#   scripts/test-e2e.sh [BUILD_DIR]   (default build/dev; the spool binary must be built, with
#                                      the dashboard embedded: scripts/build-ui.sh, then cmake)
# Screenshots of each page land in BUILD_DIR/e2e-screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/dev}
if [[ ! -x $build/src/spool ]]; then
  echo "e2e: $build/src/spool is not built" >&2
  exit 1
fi
if [[ ! -d ui/node_modules/playwright-core ]]; then
  echo "e2e: ui/node_modules is missing: run scripts/build-ui.sh first" >&2
  exit 1
fi
if [[ ! -x ${CHROMIUM:-/usr/bin/chromium} ]]; then
  echo "e2e: no chromium at ${CHROMIUM:-/usr/bin/chromium} (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
export SPOOL_BINARY=$PWD/$build/src/spool
export SPOOL_E2E_SCREENSHOTS=$PWD/$build/e2e-screenshots
rm -rf "$SPOOL_E2E_SCREENSHOTS"
echo "==> e2e: dashboard in chromium against $SPOOL_BINARY"
start=$(date +%s)
timeout 600 node --test --test-concurrency=1 --test-reporter=spec test/e2e/
echo "==> e2e: passed in $(( $(date +%s) - start )) s; screenshots in $SPOOL_E2E_SCREENSHOTS"
