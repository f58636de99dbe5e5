#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz/ (preset `fuzz`: clang 14, ASan + UBSan, its own tree
# build/fuzz, ccache) and runs each for SECONDS (default 60) on its seed corpus. Usage:
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 http_request_fuzz
# New inputs that reach new code are kept in build/fuzz/corpus/<target>/ (not in git: copy the
# interesting ones to test/fuzz/corpus/<target>/). A crasher is saved to
# build/fuzz/crashers/<target>/ and fails the script; make it a test in test/regress/ and fix the
# code (docs/testing.md). scripts/test.sh runs this briefly in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
if ! command -v clang++-14 >/dev/null; then
  echo "fuzz: clang++-14 is missing (scripts/install-deps.sh installs clang-14 and libclang-rt-14-dev)" >&2
  exit 1
fi

echo "==> fuzz: configure and build (build/fuzz)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

targets=("$@")
if ((${#targets[@]} == 0)); then
  for bin in build/fuzz/test/fuzz/*_fuzz; do targets+=("$(basename "$bin")"); done
fi

failed=()
for t in "${targets[@]}"; do
  bin=build/fuzz/test/fuzz/$t
  seeds=test/fuzz/corpus/$t
  work=build/fuzz/corpus/$t
  crashers=build/fuzz/crashers/$t
  mkdir -p "$work" "$crashers"
  dict=()
  [[ -f test/fuzz/$t.dict ]] && dict=("-dict=test/fuzz/$t.dict")
  echo "==> fuzz: $t for ${seconds}s"
  # -timeout: an input taking over 10 s is a hang, saved like a crash. rss_limit: a run growing
  # past 2 GiB is a leak or an unbounded allocation.
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$crashers/" "$work" "$seeds" >"build/fuzz/$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "build/fuzz/$t.log" |
      tr '\n' ' ' | sed "s/^/    /;s/$/\n/"
  else
    echo "fuzz: $t FAILED; its log is build/fuzz/$t.log, the input in $crashers/:" >&2
    ls -1 "$crashers" >&2
    tail -40 "build/fuzz/$t.log" >&2
    failed+=("$t")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "==> fuzz: ${#targets[@]} targets ran ${seconds}s each, no crash"
