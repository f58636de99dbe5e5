#!/usr/bin/env bash
# Builds the .deb from a build tree and proves it works, without installing anything on this
# machine: no dpkg -i, no user created, nothing written outside a temp folder.
#   scripts/test-package.sh [BUILD_DIR]   (default build/dev; scripts/test.sh calls it)
# Checks:
#   1. `cpack -G DEB` builds it; its control files (dpkg-deb -I) and file list (dpkg-deb -c) have
#      what packaging/ says: the binary, unit, conffile, man page per verb, headers, CMake files.
#      The maintainer scripts run against logging stubs: first install adds the spool user and
#      /var/lib/spool, an upgrade does not add the user again, remove masks, purge purges.
#   2. `dpkg -x` unpacks it into a scratch root; the unit passes `systemd-analyze verify` (as a
#      copy whose paths point into the scratch root) and its hardening is measured by
#      `systemd-analyze security --offline`, which must stay under a threshold.
#   3. The unpacked `spool serve` starts with the unpacked default config (data folder and port
#      overridden to a temp folder and a free loopback port; unprivileged when this runs as root),
#      takes a job over HTTP (curl), a program built against the unpacked headers and CMake
#      package (find_package(spool), CMAKE_PREFIX_PATH into the scratch root) reserves and acks
#      it, curl reads it back completed, and the server stops on SIGTERM by its PID with exit 0.
#      That run is traced (strace): every system call and socket family the server used must be
#      one the unit's SystemCallFilter= and RestrictAddressFamilies= allow. A restart on the same
#      data folder still has the job; a start with every commented example of the default config
#      uncommented works too.
# What it cannot check here: the unit running under systemd (this is a container, PID 1 is not
# systemd), and the maintainer scripts' real adduser/chown/systemctl on a real system.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/dev}
work=$(mktemp -d)
server_pid=""
launcher_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$launcher_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "package: $*" >&2
  exit 1
}

if [[ ! -f $build/CPackConfig.cmake ]]; then
  fail "$build is not a configured build tree (no CPackConfig.cmake); run cmake --preset dev first"
fi
if grep -q '^SPOOL_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  fail "$build is a sanitizer build, which makes no man pages: package a dev or release build"
fi

echo "==> package: cpack -G DEB in $build"
cmake --build "$build" --target spool spool_man spool_client >/dev/null
(cd "$build" && cpack -G DEB -B "$work/cpack" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  fail "cpack failed"
}
deb=$(find "$work/cpack" -maxdepth 1 -name 'spool_*.deb' | head -1)
[[ -n $deb ]] || fail "cpack made no spool_*.deb; its output: $(cat "$work/cpack.log")"
echo "    $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"

echo "==> package: control files (dpkg-deb -I)"
dpkg-deb -I "$deb" >"$work/info"
control=$(dpkg-deb -f "$deb")
grep -qx 'Package: spool' <<<"$control" || fail "Package is not spool: $control"
grep -q '^Depends:.*adduser' <<<"$control" || fail "Depends lacks adduser (postinst uses it)"
grep -q '^Depends:.*libsqlite3' <<<"$control" || fail "Depends lacks the shared libraries (dpkg-shlibdeps)"
mkdir -p "$work/control"
dpkg-deb -e "$deb" "$work/control"
[[ $(cat "$work/control/conffiles") == /etc/spool/spool.toml ]] ||
  fail "conffiles is not exactly /etc/spool/spool.toml: $(cat "$work/control/conffiles")"
for script in postinst prerm postrm; do
  [[ -x $work/control/$script ]] || fail "$script is missing or not executable"
  sh -n "$work/control/$script" || fail "$script is not valid sh"
  shellcheck -s sh "$work/control/$script" || fail "shellcheck finds fault with $script"
done
grep -q 'adduser --system --group .* spool$' "$work/control/postinst" ||
  fail "postinst does not create the spool system user"
grep -q 'install -d -o spool -g spool -m 0750 /var/lib/spool' "$work/control/postinst" ||
  fail "postinst does not make /var/lib/spool owned by spool"

# Run the maintainer scripts with PATH holding only stubs that log their arguments, so nothing
# on this machine changes (a command left unstubbed fails as not found instead of running).
# /run/systemd/system decides whether they talk to systemd; here they do not.
stubs=$work/stubs
mkdir -p "$stubs"
stub() {  # stub NAME EXIT_STATUS
  printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit %s\n' "$1" "$work/calls" "$2" >"$stubs/$1"
  chmod +x "$stubs/$1"
}
# shellcheck disable=SC2016  # expanded by the stub, when postinst runs it
stub getent '"$GETENT_RC"'  # 2: no such user (first install), 0: the user exists
stub dpkg-statoverride 1     # --list: no override
for cmd in adduser install chown chmod deb-systemd-helper deb-systemd-invoke systemctl; do
  stub "$cmd" 0
done
maintainer() {  # maintainer SCRIPT ARGS...: the calls it made, one a line
  : >"$work/calls"
  PATH=$stubs /bin/sh "$work/control/$1" "${@:2}" || fail "$1 $* failed: $(cat "$work/calls")"
  cat "$work/calls"
}
calls=$(GETENT_RC=2 maintainer postinst configure "")
for want in 'adduser --system --group --quiet --home /var/lib/spool --no-create-home spool' \
  'install -d -o spool -g spool -m 0750 /var/lib/spool' 'chown root:spool /etc/spool/spool.toml' \
  'chmod 0640 /etc/spool/spool.toml' 'deb-systemd-helper enable spool.service'; do
  grep -qxF "$want" <<<"$calls" || fail "postinst configure (first install) did not run: $want; it ran: $calls"
done
calls=$(GETENT_RC=0 maintainer postinst configure 0.1.0)
if grep -q '^adduser' <<<"$calls"; then fail "postinst on upgrade adds the user again: $calls"; fi
grep -qxF 'install -d -o spool -g spool -m 0750 /var/lib/spool' <<<"$calls" ||
  fail "postinst on upgrade does not keep /var/lib/spool: $calls"
GETENT_RC=0 maintainer prerm remove >/dev/null
calls=$(GETENT_RC=0 maintainer postrm remove)
grep -qxF 'deb-systemd-helper mask spool.service' <<<"$calls" || fail "postrm remove does not mask the unit: $calls"
calls=$(GETENT_RC=0 maintainer postrm purge)
grep -qxF 'deb-systemd-helper purge spool.service' <<<"$calls" || fail "postrm purge does not purge the unit: $calls"

echo "==> package: file list (dpkg-deb -c)"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$work/files"
for f in /usr/bin/spool /lib/systemd/system/spool.service /etc/spool/spool.toml \
  /usr/include/spool/client.hpp /usr/include/spool/worker.hpp /usr/lib/libspool_client.a \
  /usr/lib/cmake/spool/spoolConfig.cmake /usr/lib/cmake/spool/spoolTargets.cmake \
  /usr/lib/pkgconfig/spool.pc /usr/share/man/man1/spool.1.gz /usr/share/doc/spool/install.md; do
  grep -qx "$f" "$work/files" || fail "the package has no $f"
done
# Anything under /usr/local or the build tree would mean an install rule escaped the prefix.
if grep -E '^/usr/local|^/(work|tmp|home)/' "$work/files"; then fail "files outside the package layout"; fi

echo "==> package: unpack into a scratch root (dpkg -x)"
root=$work/root
dpkg -x "$deb" "$root"
spool=$root/usr/bin/spool
# One man page per verb `spool --help` lists, and each one renders without a warning.
verbs=$("$spool" --help | awk '/^Subcommands:$/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[[ -n $verbs ]] || fail "spool --help lists no verbs"
for verb in $verbs; do
  page=$root/usr/share/man/man1/spool-$verb.1.gz
  [[ -f $page ]] || fail "no man page for spool $verb"
  zcat "$page" | grep -q '^\.SH OPTIONS' || fail "spool-$verb.1 has no OPTIONS section"
  warnings=$(zcat "$page" | groff -man -Tutf8 -ww -z 2>&1)
  [[ -z $warnings ]] || fail "spool-$verb.1 does not render cleanly: $warnings"
done
zcat "$root/usr/share/man/man1/spool-serve.1.gz" | grep -q 'config' ||
  fail "spool-serve.1 does not mention --config"
echo "    $(echo "$verbs" | wc -w) verbs, $(find "$root/usr/share/man/man1" -name '*.1.gz' | wc -l) man pages"

echo "==> package: the unit (systemd-analyze)"
unit=$root/lib/systemd/system/spool.service
grep -qx 'ExecStart=/usr/bin/spool serve --config /etc/spool/spool.toml' "$unit" ||
  fail "ExecStart does not run the packaged binary with the packaged config"
grep -qx 'User=spool' "$unit" || fail "the unit does not run as the spool user"
grep -qx 'ReadWritePaths=/var/lib/spool' "$unit" || fail "ReadWritePaths is not /var/lib/spool"
grep -qx 'ProtectSystem=strict' "$unit" || fail "ProtectSystem is not strict"
grep -qx 'data = "/var/lib/spool"' "$root/etc/spool/spool.toml" ||
  fail "the default config's data folder is not /var/lib/spool"
if ! command -v systemd-analyze >/dev/null; then
  fail "systemd-analyze is not installed (Debian package systemd; scripts/install-deps.sh)"
fi
# verify checks that ExecStart is executable at its path, so the copy points into the root.
mkdir -p "$work/unit"
sed -e "s#/usr/bin/spool#$spool#" -e "s#/etc/spool/spool.toml#$root/etc/spool/spool.toml#" \
  "$unit" >"$work/unit/spool.service"
# Unknown keys and bad values are only warnings for systemd: any output at all fails the test.
if ! out=$(systemd-analyze verify --man=no "$work/unit/spool.service" 2>&1) || [[ -n $out ]]; then
  fail "systemd-analyze verify: $out"
fi
# Exposure 0 (locked down) .. 10 (unprotected); a unit with no hardening, run as root, scores 9.6. A change
# that loosens the unit past the threshold fails here.
# The unit as shipped scores 1.4 (systemd 252); the threshold leaves a little room.
exposure_max=2.0
security=$(systemd-analyze security --offline=true --threshold="${exposure_max/./}" \
  "$work/unit/spool.service" 2>&1) ||
  fail "systemd-analyze security: exposure above $exposure_max: $(tail -3 <<<"$security")"
echo "    verify: clean; $(grep -o 'Overall exposure level.*' <<<"$security")"

echo "==> package: build a program against the unpacked headers and CMake package"
mkdir -p "$work/consumer"
cat >"$work/consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(package_consumer LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(spool 0.1 REQUIRED)
add_executable(work_one main.cpp)
target_link_libraries(work_one PRIVATE spool::client)
EOF
cat >"$work/consumer/main.cpp" <<'EOF'
// Reserves one job of queue "package_check" from SPOOL_URL and acks it.
#include <iostream>

#include "spool/client.hpp"

int main() {
  auto client = spool::Client::create(spool::ClientOptions::from_env());
  if (!client) return std::cerr << client.error().message << "\n", 2;
  auto jobs = client->reserve({.queues = {"package_check"}, .wait = spool::Millis(5000)});
  if (!jobs || jobs->size() != 1) return std::cerr << "reserve got no job\n", 1;
  const spool::ReservedJob& job = jobs->front();
  auto acked = client->ack(job.id, job.lease, boost::json::value{{"checked", true}});
  if (!acked) return std::cerr << acked.error().message << "\n", 1;
  std::cout << job.id << " " << acked->state << "\n";
  return 0;
}
EOF
cmake -S "$work/consumer" -B "$work/consumer/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$root/usr" >"$work/consumer.log" 2>&1 || {
  cat "$work/consumer.log" >&2
  fail "configuring a project with find_package(spool) failed"
}
found=$(grep '^spool_DIR:' "$work/consumer/build/CMakeCache.txt" | cut -d= -f2)
[[ $found == "$root/usr/lib/cmake/spool" ]] || fail "find_package(spool) found $found, not the scratch root's"
cmake --build "$work/consumer/build" >>"$work/consumer.log" 2>&1 || {
  cat "$work/consumer.log" >&2
  fail "building against the unpacked client library failed"
}

echo "==> package: run the unpacked spool serve with the unpacked default config"
data=$work/data
run_as=()
if [[ $(id -u) -eq 0 ]]; then
  # As the unit does: an unprivileged user (User=spool), no_new_privs (NoNewPrivileges=yes),
  # and only the data folder writable by it.
  chmod 0755 "$work"
  mkdir -p "$data"
  chown nobody:nogroup "$data"
  chmod 0750 "$data"
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs)
fi
# start_server [TRACER...]: starts the unpacked server; with a tracer (strace) in front of it,
# server_pid is still the server's own pid (the tracer's child), and launcher_pid the tracer's.
start_server() {
  "$@" "${run_as[@]}" "$spool" serve --config "$root/etc/spool/spool.toml" --data "$data" \
    --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
  launcher_pid=$!
  server_pid=$launcher_pid
  url=""
  for _ in $(seq 1 100); do
    if (($# > 0)); then server_pid=$(pgrep -P "$launcher_pid" || echo "$launcher_pid"); fi
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.out" | head -1 || true)
    [[ -n $url ]] && return 0
    kill -0 "$launcher_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/serve.log" >&2
  fail "spool serve did not start with the packaged config"
}
stop_server() {
  kill -TERM "$server_pid"
  local rc=0
  timeout 15 tail --pid="$server_pid" -f /dev/null || fail "spool serve did not stop within 15 s of SIGTERM"
  wait "$launcher_pid" || rc=$?
  server_pid=""
  [[ $rc -eq 0 ]] || fail "spool serve exited $rc on SIGTERM; its log: $(cat "$work/serve.log")"
}
# The first run is traced, to hold the unit's SystemCallFilter= and RestrictAddressFamilies=
# against what the server really calls (below).
start_server strace -f -qq -o "$work/syscalls.trace" --
if ((${#run_as[@]} > 0)); then
  user=$(ps -o user= -p "$server_pid" | tr -d ' ')
  [[ $user == nobody ]] || fail "spool serve runs as $user, expected nobody"
fi
# The config's own settings are in force: durability from the file, data from the flag.
grep -q 'event=listening.*durability=strict' "$work/serve.log" ||
  fail "the packaged config's durability = \"strict\" is not in force: $(cat "$work/serve.log")"
grep -q "event=listening.*data=$data" "$work/serve.log" || fail "--data did not override the config"

answer=$(curl -sS -m 10 -w '\n%{http_code}' -X POST "$url/v1/jobs" \
  -d '{"type":"package_check","payload":{"from":"test-package.sh"}}')
[[ $(tail -1 <<<"$answer") == 202 ]] || fail "enqueue answered $answer"
id=$(head -1 <<<"$answer" | grep -o '"id":"[0-9A-Z]*"' | cut -d'"' -f4)
[[ -n $id ]] || fail "enqueue answered no id: $answer"
job=$(curl -sS -m 10 "$url/v1/jobs/$id")
grep -q '"state":"queued"' <<<"$job" || fail "job $id is not queued: $job"
grep -q '"from":"test-package.sh"' <<<"$job" || fail "job $id lost its payload: $job"

worked=$(SPOOL_URL=$url timeout 30 "$work/consumer/build/work_one") || fail "the consumer program failed"
[[ $worked == "$id completed" ]] || fail "the consumer program answered '$worked', expected '$id completed'"
job=$(curl -sS -m 10 "$url/v1/jobs/$id")
grep -q '"state":"completed"' <<<"$job" || fail "job $id is not completed: $job"
stop_server

# Every system call the server made (after exec; setpriv's own calls come before) is one the
# unit's SystemCallFilter= lines allow, and its sockets are of RestrictAddressFamilies=. A new call outside them would be EPERM under systemd: this catches it here.
syscall_set() {  # the calls of a systemd set, nested sets expanded
  systemd-analyze syscall-filter "$1" | tail -n +2 | awk '$1 !~ /^#/ && NF { print $1 }' |
    while read -r name; do if [[ $name == @* ]]; then syscall_set "$name"; else echo "$name"; fi; done
}
awk -v bin="$spool" 'index($0, "execve(\"" bin "\"") { on = 1 } on {
    l = $0; sub(/^[0-9]+ +/, "", l); if (match(l, /^[a-z0-9_]+\(/)) print substr(l, 1, RLENGTH - 1)
  }' "$work/syscalls.trace" | sort -u >"$work/syscalls.used"
[[ -s $work/syscalls.used ]] || fail "the trace holds no system calls of $spool"
# The unit's own lines: SystemCallFilter=SETS allows, SystemCallFilter=~SETS denies.
allow_sets=$(grep '^SystemCallFilter=[^~]' "$unit" | cut -d= -f2- | tr '\n' ' ')
deny_sets=$(grep '^SystemCallFilter=~' "$unit" | cut -d'~' -f2- | tr '\n' ' ')
[[ -n $allow_sets ]] || fail "the unit has no SystemCallFilter= allow list"
for set in $allow_sets; do syscall_set "$set"; done | sort -u >"$work/syscalls.allowed"
for set in $deny_sets; do syscall_set "$set"; done | sort -u >"$work/syscalls.denied"
outside=$(comm -23 "$work/syscalls.used" "$work/syscalls.allowed" | tr '\n' ' ')
[[ -z $outside ]] || fail "the server calls $outside, outside SystemCallFilter=$allow_sets"
denied=$(comm -12 "$work/syscalls.used" "$work/syscalls.denied" | tr '\n' ' ')
[[ -z $denied ]] || fail "the server calls $denied, denied by SystemCallFilter=~$deny_sets"
families=$(grep -o 'socket(AF_[A-Z0-9]*' "$work/syscalls.trace" | cut -d'(' -f2 | sort -u | tr '\n' ' ')
allowed_families=$(grep '^RestrictAddressFamilies=' "$unit" | cut -d= -f2)
for family in $families; do
  [[ " $allowed_families " == *" $family "* ]] || fail "the server opens $family sockets, not in RestrictAddressFamilies"
done
echo "    $(wc -l <"$work/syscalls.used") system calls, all allowed by the unit; socket families: $families"

# And the job is on disk in the data folder: a restarted server still has it.
start_server
job=$(curl -sS -m 10 "$url/v1/jobs/$id")
grep -q '"state":"completed"' <<<"$job" || fail "after a restart job $id is gone or changed: $job"
stop_server
# Every example commented out in the default config is valid once uncommented (auth then on).
sed -E 's/^# (\[|[a-z_]+ = )/\1/' "$root/etc/spool/spool.toml" >"$work/uncommented.toml"
grep -q '^\[\[tokens\]\]' "$work/uncommented.toml" || fail "the default config has no commented [[tokens]] example"
cp "$work/uncommented.toml" "$root/etc/spool/spool.toml"
start_server
grep -q 'event=listening.*auth=on' "$work/serve.log" || fail "the uncommented examples did not turn auth on"
stop_server
echo "    the default config's commented examples are valid uncommented"

echo "==> package: passed (job $id enqueued by curl, acked by a program built against the package)"
