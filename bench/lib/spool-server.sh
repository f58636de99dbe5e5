# Sourced by the bench scripts: start and stop one `spool serve` on a free loopback port.
#
#   start_spool DATA_DIR LOG_FILE DURABILITY [more serve flags...]   sets server_pid and url
#   stop_spool                                                        (also run on exit)
#
# Needs SPOOL_BIN and a say() function from the script that sources it.

server_pid=""
url=""

start_spool() {
  local data=$1 log=$2 durability=$3
  shift 3
  "$SPOOL_BIN" serve --listen 127.0.0.1:0 --data "$data" --durability "$durability" \
    --log-level warn "$@" >"$log" 2>&1 &
  server_pid=$!
  url=""
  for _ in $(seq 100); do
    url="$(grep -o 'spool listening on http://[^ ]*' "$log" | head -1 | sed 's/spool listening on //')" || true
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  say "spool serve did not start"
  cat "$log" >&2
  exit 1
}

stop_spool() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# The CPU time (utime + stime, in clock ticks of TICK per second) process $1 has used.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK="$(getconf CLK_TCK)"

# The machine, for the record beside every figure.
machine() { echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"; }
