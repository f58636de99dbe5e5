#!/usr/bin/env bash
# Builds the dashboard (ui/ -> ui/dist) with the pinned packages of ui/package-lock.json; the
# next cmake build embeds ui/dist into spool. scripts/serve.sh and scripts/test.sh call it.
# npm ci runs only when the lockfile changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../ui"

if ! command -v npm >/dev/null; then
  echo "ui: npm is missing (scripts/install-deps.sh installs nodejs and npm)" >&2
  exit 1
fi
stamp=node_modules/.spool-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "==> ui: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
echo "==> ui: build"
npm run --silent build -- --logLevel warn
