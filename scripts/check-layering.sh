#!/usr/bin/env bash
# Checks the dependency rule: no file under src/ includes a header of a module its module may not
# include. The rule is the table between the `layering:begin` and `layering:end` markers in
# docs/architecture.md (one row per module: the modules its files may include, itself included);
# change the table there and this check follows.
#
# What counts:
#   - `#include "m/..."` names module m (src/m/); `#include "spool/..."` or `<spool/...>` names the
#     installed client library's public headers, module `spool` in the table.
#   - A file's module is its first folder under src/ (src/store/sqlite/x.cpp is `store`).
#   - An include with no folder ("sqlite_store_impl.hpp") is the file's own folder: always allowed.
#   - Unit tests (*_test.cpp, beside the code) may also include what the table's `tests` row
#     lists: they build fixtures from lower modules (a real SQLite store under an engine test) and
#     use test/support.
#
# Usage: scripts/check-layering.sh [ROOT]   (ROOT defaults to the repository; it must hold src/
# and docs/architecture.md). Exits 1 naming each offending file, line and include.
set -euo pipefail
root=${1:-"$(cd "$(dirname "$0")/.." && pwd)"}
table="$root/docs/architecture.md"
[[ -f $table && -d $root/src ]] || { echo "check-layering: no src/ or docs/architecture.md under $root" >&2; exit 2; }

declare -A allowed
while IFS='|' read -r _ module may _; do
  module=$(echo "$module" | tr -d ' `')
  may=$(echo "$may" | tr -d '`' | tr ',' ' ')
  [[ -z $module || $module == module || $module == -* ]] && continue
  allowed[$module]=" $(echo $may) "
done < <(sed -n '/layering:begin/,/layering:end/p' "$table" | grep '^|')

if ((${#allowed[@]} == 0)); then
  echo "check-layering: no module table between layering:begin and layering:end in $table" >&2
  exit 2
fi

violations=0
while IFS= read -r -d '' file; do
  rel=${file#"$root/src/"}
  module=${rel%%/*}
  if [[ -z ${allowed[$module]+x} ]]; then
    echo "check-layering: src/$rel is in module '$module', which the table in docs/architecture.md does not list" >&2
    violations=$((violations + 1))
    continue
  fi
  may=${allowed[$module]}
  [[ $rel == *_test.cpp ]] && may+="${allowed[tests]:-}"
  while IFS=: read -r line include; do
    target=$(sed -E 's/.*#include [<"]([^/">]+)\/.*/\1/' <<<"$include")
    if [[ $may != *" $target "* ]]; then
      echo "src/$rel:$line: includes ${include#*#include } but module '$module' may include only:$may" >&2
      violations=$((violations + 1))
    fi
  done < <(grep -nE '^\s*#\s*include ("[A-Za-z0-9_]+/|<spool/)' "$file" || true)
done < <(find "$root/src" -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z)

if ((violations > 0)); then
  echo "check-layering: $violations include(s) break the dependency rule (docs/architecture.md)" >&2
  exit 1
fi
echo "check-layering: every include in src/ follows the dependency rule"
