#!/usr/bin/env bash
# Installs the npm `standardwebhooks` package into test/webhooks-js/node_modules, exactly as
# package-lock.json pins it, for the push tests that check Spool's signatures with it.
# Safe to run again; needs node and npm (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../test/webhooks-js"
if [[ -d node_modules/standardwebhooks ]] && [[ node_modules/.package-lock.json -nt package-lock.json ]]; then
  echo "spool setup: test/webhooks-js is installed"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
