#!/usr/bin/env bash
# The TypeScript package's suite (clients/typescript/): npm ci from its package-lock.json, tsc
# (the package, and the type tests of typetest/ that must fail to compile where they say so),
# node's test runner against a real `spool serve` of BUILD_DIR, then the packed tarball
# installed into an empty project, imported from JavaScript and type-checked from TypeScript,
# the way a user gets it. scripts/test.sh calls it.
#   scripts/test-typescript.sh [BUILD_DIR]   (default build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/dev}
if [[ ! -x $build/src/spool ]]; then
  echo "typescript: $build/src/spool is not built" >&2
  exit 1
fi
export SPOOL_BINARY=$PWD/$build/src/spool
cd clients/typescript
start=$(date +%s)

if [[ -d node_modules/typescript ]] && [[ node_modules/.package-lock.json -nt package-lock.json ]]; then
  echo "==> typescript: node_modules is installed"
else
  echo "==> typescript: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "==> typescript: build (tsc, type tests)"
rm -rf dist
npm run --silent build
echo "==> typescript: test against $SPOOL_BINARY"
timeout 300 node --test --test-reporter=spec test/*.test.js

echo "==> typescript: npm pack, install into an empty project, import and type-check"
tmp=$(mktemp -d /tmp/spool-ts-pack.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tarball=$(npm pack --silent --pack-destination "$tmp")
(
  cd "$tmp"
  echo '{"name":"consumer","private":true,"type":"module"}' >package.json
  npm install --no-audit --no-fund --loglevel=error --offline "./$tarball"
  node -e "import('@spool/client').then((m) => {
    for (const k of ['Client', 'Worker', 'verifyWebhook', 'SpoolError', 'RetryError', 'PermanentError'])
      if (typeof m[k] !== 'function') { console.error('missing export ' + k); process.exit(1); }
  })"
  cat >consumer.ts <<'TS'
import { Client, Worker, verifyWebhook } from '@spool/client';
const c = new Client<{ send_email: { to: string } }>();
void c.enqueue('send_email', { to: 'a@example.com' }, { dedupeKey: 'k' });
// @ts-expect-error the payload type is checked through the installed declarations
void c.enqueue('send_email', { to: 1 });
void new Worker(c, { queues: ['send_email'], handlers: { send_email: (job) => job.payload.to } });
void verifyWebhook('whsec_c2VjcmV0', {}, '');
TS
  cat >tsconfig.json <<'JSON'
{"compilerOptions":{"strict":true,"noEmit":true,"module":"NodeNext","moduleResolution":"NodeNext","target":"ES2022","lib":["ES2022","DOM"],"types":[]},"files":["consumer.ts"]}
JSON
)
node_modules/.bin/tsc -p "$tmp/tsconfig.json"
echo "==> typescript: passed in $(( $(date +%s) - start )) s"
