#!/usr/bin/env bash
# Runs clang-tidy-14 with the checks of .clang-tidy over Spool's own sources (src/, unit tests
# included) exactly as a build dir compiles them (its compile_commands.json), and exits non-zero
# when there is any finding. Headers under src/ are checked through the .cpp files that include
# them; a finding in a header is printed once.
#
#   scripts/tidy.sh                          every src/ file of build/dev
#   scripts/tidy.sh src/core/cron.cpp ...    only these files (a header: name a .cpp including it)
#   scripts/tidy.sh -b build/asan -j 1       another configured build dir, fewer jobs
#
# A full run takes about 10 minutes with -j 2 on the 2-core development machine, so it is not
# part of .ci/run (too slow for the CI budget): run it on the files you touched before sending
# a change, and in full now and then. Needs clang-tidy-14 (Debian: apt install clang-tidy-14)
# and a configured build dir (cmake --preset dev; CMAKE_EXPORT_COMPILE_COMMANDS is on).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build_dir=build/dev
jobs=$(nproc)
while getopts "b:j:h" opt; do
  case $opt in
    b) build_dir=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

tidy=clang-tidy-14
if ! command -v "$tidy" >/dev/null; then
  echo "tidy: $tidy is missing (Debian: apt install clang-tidy-14)" >&2
  exit 2
fi
db="$build_dir/compile_commands.json"
if [[ ! -f $db ]]; then
  echo "tidy: no $db (configure first: cmake --preset dev)" >&2
  exit 2
fi

# The src/ translation units the build dir compiles, or the ones asked for.
mapfile -t known < <(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].startswith(sys.argv[2] + "/src/"):
        print(e["file"])' "$db" "$root" | sort -u)
files=()
if (($# == 0)); then
  files=("${known[@]}")
else
  for f in "$@"; do
    abs=$(realpath -m "$f")
    if ! printf '%s\n' "${known[@]}" | grep -qxF "$abs"; then
      echo "tidy: $f is not a src/ file compiled in $db (a header: name a .cpp including it)" >&2
      exit 2
    fi
    files+=("$abs")
  done
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "==> tidy: ${#files[@]} files, $jobs jobs, $build_dir"
# One output file per translation unit, so parallel runs do not interleave their reports.
printf '%s\n' "${files[@]}" |
  xargs -P "$jobs" -I{} sh -c '
    log="$1/$(echo "$2" | tr / _).log"
    "$3" -p "$4" --quiet --header-filter="^$5/src/" "$2" >"$log" 2>&1 || echo "$2" >>"$1/failed"
  ' sh "$out" {} "$tidy" "$build_dir" "$root" || true

# A finding is "file:line:col: warning|error: message [check]"; the same header finding comes
# from every .cpp including it, so print each once, with the source lines of its first report.
cat "$out"/*.log | python3 -c '
import re, sys
seen, keep, printing = set(), [], False
for line in sys.stdin:
    m = re.match(r"^(/\S+):\d+:\d+: (warning|error): ", line)
    if m:
        printing = line not in seen
        seen.add(line)
    elif re.match(r"^\d+ warnings? (and \d+ errors? )?generated", line):
        printing = False
        continue
    if printing:
        keep.append(line)
sys.stdout.write("".join(keep))
print(f"==> tidy: {len(seen)} findings", file=sys.stderr)
sys.exit(1 if seen else 0)
' && status=0 || status=$?

if [[ -f $out/failed && $status == 0 ]]; then
  # clang-tidy failed without a finding it could print (a crash, a bad command line).
  echo "tidy: clang-tidy failed on:" >&2
  cat "$out/failed" >&2
  cat "$out"/*.log >&2
  status=1
fi
exit "$status"
