#!/usr/bin/env bash
# Proves that the Node.js users of the repo work with Debian 12's own nodejs 18 and npm 9, the
# only Node a fresh Debian 12 machine gets from scripts/install-deps.sh, even on a machine whose
# /usr/bin/node is newer (a newer Node on the PATH would hide a dependency that needs it).
#   scripts/check-node18.sh [BUILD_DIR]
# It downloads Debian 12's nodejs, libnode and npm (with the node-* packages npm is made of)
# with `apt-get download`, unpacks them with `dpkg-deb -x` into a temp dir, and lays that over
# /usr in a private mount namespace (`unshare --mount`, an overlay): inside, /usr/bin/node is
# Debian's 18 and the JavaScript it loads from /usr/share/nodejs (acorn, undici for fetch,
# cjs-module-lexer) is there, as on a real install; outside, nothing changes. There it runs, on
# copies of the files involved so the checkout's node_modules are left alone:
#   - scripts/build-ui.sh from an empty ui/node_modules (npm ci, refusing any package whose
#     "engines" leaves Node 18 out, then the bundler), and compares the result with the
#     checkout's ui/dist when there is one (built with the usual Node, it should be identical);
#   - scripts/install-webhooks-js.sh and test/webhooks-js/verify.js on a signature made here;
#   - with BUILD_DIR (a build whose spool embeds this ui/dist), scripts/test-e2e.sh BUILD_DIR,
#     the dashboard's browser suite.
# Not run by CI: it needs root (the mount namespace and the overlay), it fetches about 350
# Debian packages (some 30 MB) at every run, and it checks the Node the machine does not use,
# which only changes when ui/package-lock.json does. Run it after changing that lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-}

if [[ $(id -u) -ne 0 ]]; then
  echo "node18: needs root, for unshare --mount and the overlay on /usr (try sudo)" >&2
  exit 1
fi
if [[ -n $build && ! -x $build/src/spool ]]; then
  echo "node18: $build/src/spool is not built" >&2
  exit 1
fi

tmp=$(mktemp -d /tmp/spool-node18.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "==> node18: apt-get update"
apt-get update -qq
# Debian 12's nodejs, not a newer one another apt source may offer: the newest version of the
# bookworm suites (security updates included), which must be an 18.
version=$(apt-cache madison nodejs |
  awk -F' *[|] *' '$3 ~ / bookworm(-security|-updates)?\/main / {print $2}' | sort -V | tail -1)
if [[ $version != 18.* ]]; then
  echo "node18: Debian 12's nodejs is not in the apt lists (found '${version}')" >&2
  exit 1
fi
libnode=$(apt-cache show "nodejs=$version" | sed -n 's/^Depends:.*\(libnode[0-9]*\) (= .*/\1/p')
# npm and what it is made of: the node-* and libjs-* packages (JavaScript, architecture all).
# The native libraries libnode links are usually installed already; those that are not are
# unpacked too, and the overlay puts them where the loader looks.
mapfile -t js < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances "$libnode=$version" npm |
  grep -E '^(node-|libjs-|npm$)' | sort -u)
native=()
for dep in $(apt-cache show "$libnode=$version" | sed -n 's/^Depends: //p' | tr ',' '\n' |
  sed 's/ *(.*//; s/^ *//' | grep -v '^node-'); do
  dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'install ok installed' ||
    native+=("$dep")
done

if [[ " ${js[*]} " != *" npm "* ]]; then
  echo "node18: apt-cache found no npm for Debian 12" >&2
  exit 1
fi
echo "==> node18: downloading nodejs $version, $libnode and npm (${#js[@]} JavaScript packages)"
mkdir "$tmp/debs" "$tmp/root"
(cd "$tmp/debs" &&
  apt-get download -qq -o APT::Sandbox::User=root \
    "nodejs=$version" "$libnode=$version" ${native[@]+"${native[@]}"} "${js[@]}")
for deb in "$tmp"/debs/*.deb; do
  dpkg-deb -x "$deb" "$tmp/root"
done

# The copies: scripts/ and the Node packages' folders, without node_modules or dist.
mkdir "$tmp/repo"
tar -c --exclude=node_modules --exclude=dist scripts ui test/webhooks-js test/e2e |
  tar -x -C "$tmp/repo"
if [[ -n $build ]]; then
  ln -s "$(cd "$build" && pwd)" "$tmp/repo/build-under-test"
fi

# What runs inside the namespace, where /usr/bin/node is Debian's 18. npm only warns (and
# build-ui.sh hides warnings) when a package's "engines" leaves Node 18 out, and vite 7 even
# builds on 18.20 after a warning: engine-strict refuses instead, as working by luck is not
# support.
cat >"$tmp/inside.sh" <<'INSIDE'
set -euo pipefail
tmp=$1 build=$2
mount -t overlay overlay -o "lowerdir=$tmp/root/usr:/usr" /usr
cd "$tmp/repo"
v=$(node --version)
if [[ $v != v18.* ]]; then
  echo "node18: node in the overlay is $v, not 18" >&2
  exit 1
fi
echo "==> node18: $(command -v node) $v, $(command -v npm) $(npm --version)"
export npm_config_engine_strict=true

scripts/build-ui.sh

scripts/install-webhooks-js.sh
node - >webhook.json <<'JS'
const crypto = require('crypto');
const key = crypto.randomBytes(24);
const id = 'msg_node18', ts = String(Math.floor(Date.now() / 1000)), body = '{"job":1}';
const sig = crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
const headers = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
console.log(JSON.stringify({ secret: `whsec_${key.toString('base64')}`, headers, body }));
JS
verdict=$(node test/webhooks-js/verify.js <webhook.json)
if [[ $verdict != ok ]]; then
  echo "node18: test/webhooks-js/verify.js said: $verdict" >&2
  exit 1
fi
echo "==> node18: test/webhooks-js verified a signature"

if [[ -n $build ]]; then
  scripts/test-e2e.sh "$build"
fi
INSIDE
unshare --mount bash "$tmp/inside.sh" "$tmp" "${build:+build-under-test}"

if [[ -f ui/dist/index.html ]]; then
  if diff -r ui/dist "$tmp/repo/ui/dist" >/dev/null; then
    echo "==> node18: ui/dist built with Node 18 is byte-identical to the checkout's ui/dist"
  else
    echo "==> node18: note: ui/dist built with Node 18 differs from the checkout's ui/dist" \
      "(stale, or built from other sources?)"
  fi
fi
echo "==> node18: passed"
