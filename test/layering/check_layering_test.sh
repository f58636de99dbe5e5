#!/usr/bin/env bash
# Proves scripts/check-layering.sh can fail: on a copy of src/ and docs/architecture.md it must
# pass as the tree is, then fail, naming the file and the include, for each planted violation
# (a store file including the engine, an http file including the store, core including http).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
check="$repo/scripts/check-layering.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fresh_copy() {
  rm -rf "$work/root"
  mkdir -p "$work/root/docs"
  cp -r "$repo/src" "$work/root/src"
  cp "$repo/docs/architecture.md" "$work/root/docs/"
}

failures=0
expect_violation() {  # FILE INCLUDE: plant `#include INCLUDE` in FILE, expect a named refusal
  local file=$1 include=$2
  fresh_copy
  echo "#include $include" >>"$work/root/$file"
  if out=$("$check" "$work/root" 2>&1); then
    echo "FAIL: check-layering passed with $file including $include"
    failures=$((failures + 1))
  elif ! grep -qF "$file:" <<<"$out" || ! grep -qF "$include" <<<"$out"; then
    echo "FAIL: check-layering refused $file including $include without naming both:"
    echo "$out"
    failures=$((failures + 1))
  else
    echo "ok: refused $file including $include"
  fi
}

fresh_copy
if ! "$check" "$work/root" >/dev/null; then
  echo "FAIL: check-layering refuses the tree as it is:"
  "$check" "$work/root" || true
  failures=$((failures + 1))
else
  echo "ok: the tree as it is passes"
fi
expect_violation src/store/sqlite/sqlite_store.cpp '"engine/engine.hpp"'
expect_violation src/http/router.cpp '"store/store.hpp"'
expect_violation src/core/job.cpp '"http/router.hpp"'
expect_violation src/client/client.cpp '"core/status.hpp"'

if ((failures > 0)); then
  echo "$failures layering check case(s) failed"
  exit 1
fi
echo "all layering check cases passed"
