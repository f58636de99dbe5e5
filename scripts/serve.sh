#!/usr/bin/env bash
# Quick start, part one: install what is missing, build, and run `spool serve` on
# 127.0.0.1:7070 with its data in ./spool-data. Extra arguments go to `spool serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build-ui.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSPOOL_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target spool
exec build/release/src/spool serve --listen 127.0.0.1:7070 --data ./spool-data "$@"
