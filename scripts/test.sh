#!/usr/bin/env bash
# Quick start, part two: install what is missing, build, and run the whole test suite twice:
# once in a warnings-as-errors build, once under AddressSanitizer + UndefinedBehaviorSanitizer;
# the dashboard's browser suite (test/e2e/) runs against both, and each fuzz target for 10 s.
# `.ci/run` calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/check-layering.sh  # the dependency rule of docs/architecture.md, before a long build
scripts/install-webhooks-js.sh  # the npm standardwebhooks package the push tests verify with
scripts/build-ui.sh

jobs=$(nproc)
run_suite() {
  local preset=$1
  echo "==> $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "==> $preset: test"
  ctest --test-dir "build/$preset" --output-on-failure -j "$jobs" --timeout 600
}

run_suite dev
scripts/fuzz.sh 10  # every libFuzzer target briefly (docs/testing.md); its own tree, build/fuzz
scripts/test-examples.sh build/dev
scripts/test-package.sh build/dev  # the .deb, unpacked into a scratch root (docs/install.md)
scripts/test-typescript.sh build/dev  # the TypeScript package (clients/typescript/)
scripts/test-e2e.sh build/dev
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  scripts/test-e2e.sh build/asan
echo "==> all suites passed"
