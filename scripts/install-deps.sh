#!/usr/bin/env bash
# Installs the Debian 12 packages Spool needs to build and test, skipping what is present.
# Safe to run again. Uses sudo when not root.
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config
  clang-14 libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libhiredis-dev libssl-dev libspdlog-dev libcli11-dev
  libhowardhinnant-date-dev tzdata libexpected-dev libtoml11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl ca-certificates sqlite3
  openssl
  prometheus
  chromium
  dpkg-dev file systemd groff-base shellcheck strace  # the .deb: cpack, scripts/test-package.sh
)
# The dashboard is built with npm (ui/); Debian's nodejs (18) and npm (9) only when none is
# installed, and a newer Node.js on the PATH is kept. ui/'s packages are held to ones that run
# on Node 18 (vite 6, playwright-core 1.61): scripts/check-node18.sh proves it.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "spool setup: all build packages are installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "spool setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "spool setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
