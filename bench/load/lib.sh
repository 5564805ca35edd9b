# Shared by bench/load/run, bench/soak/run and tests/load/run (sourced, bash).
# Everything talks to 127.0.0.1 only. Every process started here is tracked by pid and
# stopped by pid (cleanup runs on exit, also on error or Ctrl-C).

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
COHORT=${COHORT:-$ROOT/build/cohort}
CLK_TCK=$(getconf CLK_TCK)
LOAD_PIDS=()

load_cleanup() {
  local p
  for p in "${LOAD_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${LOAD_PIDS[@]}"; do
    # bounded: 50 x 0.1 s, then KILL
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  LOAD_PIDS=()
}

die() { echo "$*" >&2; exit 1; }

# trap_cleanup: cleans up on exit, and an interrupt ends the script (a trap that only
# cleaned up would let bash go on to the next step with everything killed under it).
trap_cleanup() {
  trap load_cleanup EXIT
  trap 'load_cleanup; exit 130' INT
  trap 'load_cleanup; exit 143' TERM
}

# CPU pinning (pin_cpus): command prefixes for the server side and the bots. Empty unless
# pin_cpus is called, so tests and the soak run wherever the scheduler puts them.
SRV_WRAP=()
BOTS_WRAP=()

# pin_cpus: on a machine with 2+ cores, the server (and the echo server) on core 0 and the
# bots on core 1. Unpinned, the scheduler often lets the bots and the event loop, which
# wake each other thousands of times a second, share one core while the other idles:
# latency then measures that, not the server (bench/README.md has both).
pin_cpus() {
  if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    SRV_WRAP=(taskset -c 0)
    BOTS_WRAP=(taskset -c 1)
  fi
}

# The bots: `cohort bots` (src/bots). Sets BOTS (a command array).
find_bots() {
  "$COHORT" bots --help >/dev/null 2>&1 || die "$COHORT has no bots command (make first)"
  BOTS=("${BOTS_WRAP[@]}" "$COHORT" bots)
}

# The bare libwebsockets echo server (the socket layer's ceiling).
ECHO_BIN=$ROOT/build/bench/lws-echo
build_echo() {
  if [ ! -x "$ECHO_BIN" ] || [ "$ROOT/bench/load/echo.c" -nt "$ECHO_BIN" ]; then
    # cohort does not use libwebsockets; only this reference echo does (scripts/setup --test)
    pkg-config --exists libwebsockets ||
      die "the reference echo needs libwebsockets-dev: run scripts/setup --test"
    mkdir -p "$ROOT/build/bench"
    # shellcheck disable=SC2046
    cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wno-unused-parameter "$ROOT/bench/load/echo.c" \
      -o "$ECHO_BIN" $(pkg-config --cflags --libs libwebsockets) -lev || die "cannot build $ECHO_BIN"
  fi
}

# The floor: a WebSocket echo on bare epoll, no library (bench/load/floor.c).
FLOOR_BIN=$ROOT/build/bench/ws-floor
build_floor() {
  if [ ! -x "$FLOOR_BIN" ] || [ "$ROOT/bench/load/floor.c" -nt "$FLOOR_BIN" ]; then
    mkdir -p "$ROOT/build/bench"
    cc -std=c11 -O2 -g -Wall -Wextra "$ROOT/bench/load/floor.c" -o "$FLOOR_BIN" -lcrypto ||
      die "cannot build $FLOOR_BIN"
  fi
}

# WRITER_CPU=N: the store's writer thread (named cohort-writer) moves to core
# N once it listens, so that the loop's core holds the loop alone, as a machine with a core
# to spare runs it (docs/SCALE.md). Unset: the threads stay where SRV_WRAP put them.
writer_off_loop() {
  [ -n "${WRITER_CPU:-}" ] || return 0
  local t
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = cohort-writer ] && taskset -pc "$WRITER_CPU" "${t##*/}" >/dev/null
  done
  return 0
}

# start_server EXPERIMENT DATA_DIR [BIN]: sets SRV_PID, SRV_PORT, SRV_LOG (stderr file).
# SRV_EXTRA (an array, may be unset) holds more `cohort serve` options.
start_server() {
  local exp=$1 data=$2 bin=${3:-$COHORT}
  mkdir -p "$data"
  SRV_LOG=$data/server.log
  : >"$data/server.out" # exists before the child opens it (no race with the reads below)
  "${SRV_WRAP[@]}" "$bin" serve "$exp" --port 0 --host 127.0.0.1 --data "$data" "${SRV_EXTRA[@]}" >"$data/server.out" 2>"$SRV_LOG" &
  SRV_PID=$!
  LOAD_PIDS+=("$SRV_PID")
  SRV_PORT=
  for _ in $(seq 100); do
    SRV_PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$data/server.out" 2>/dev/null || true)
    if [ -n "$SRV_PORT" ]; then
      writer_off_loop "$SRV_PID"
      return 0
    fi
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$SRV_LOG" >&2
  die "server did not start"
}

# start_echo DIR [BIN [FLAGS]]: sets ECHO_PID, ECHO_PORT (the lws echo by default; the
# floor with start_echo DIR "$FLOOR_BIN" "").
start_echo() {
  local bin=${2:-$ECHO_BIN} flags=${3-${ECHO_FLAGS:-}}
  : >"$1/echo.out"
  # shellcheck disable=SC2086
  "${SRV_WRAP[@]}" "$bin" --port 0 $flags >"$1/echo.out" 2>&1 &
  ECHO_PID=$!
  LOAD_PIDS+=("$ECHO_PID")
  ECHO_PORT=
  for _ in $(seq 50); do
    ECHO_PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$1/echo.out" 2>/dev/null || true)
    [ -n "$ECHO_PORT" ] && return 0
    sleep 0.1
  done
  die "echo server did not start"
}

# stop_pid PID: TERM, wait (bounded), KILL.
stop_pid() {
  local p=$1
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  local rc=0
  wait "$p" 2>/dev/null || rc=$?
  drop_pid "$p"
  return $rc
}

drop_pid() {
  local keep=() q
  for q in "${LOAD_PIDS[@]}"; do [ "$q" != "$1" ] && keep+=("$q"); done
  LOAD_PIDS=("${keep[@]}")
}

# reap PID: wait for a process started here to end by itself; its exit code.
reap() {
  local rc=0
  wait "$1" || rc=$?
  drop_pid "$1"
  return $rc
}

# pct T0 T1 SECONDS: CPU ticks between two readings as % of one core.
pct() { awk -v a="$1" -v b="$2" -v s="$3" -v c="$CLK_TCK" 'BEGIN{printf "%.0f", (b-a)*100/c/s}'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# The event-loop thread of a server is its main thread (tid == pid).
loop_ticks() { awk '{print $14+$15}' "/proc/$1/task/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# CPU pressure: share of the last 10 s some task waited for a CPU (percent).
cpu_pressure() { sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || echo "?"; }
now_s() { date +%s.%N; }

# HTTP GET on the loopback (bash /dev/tcp: no curl needed). Prints the body.
http_get() {
  local port=$1 path=$2 body
  exec 9<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&9
  body=$(timeout 5 cat <&9)
  exec 9<&- 9>&-
  printf '%s\n' "${body#*$'\r\n\r\n'}"
}

# wait_quiet MAX_S THRESHOLD: wait (bounded) until CPU pressure is below THRESHOLD.
# Other work on this machine distorts latency; the tables record the pressure anyway.
wait_quiet() {
  local max=${1:-0} thr=${2:-10} waited=0 p
  while [ "$waited" -lt "$max" ]; do
    p=$(cpu_pressure)
    awk -v p="$p" -v t="$thr" 'BEGIN{exit !(p+0 < t+0)}' && return 0
    [ "$waited" -eq 0 ] && echo "  (waiting up to ${max}s for the machine to go quiet: cpu pressure ${p}%)" >&2
    sleep 5
    waited=$((waited + 5))
  done
  return 0
}

# field NAME FILE: the value of NAME=... on the machine-readable last line of a bots report.
field() { tail -n 1 "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# wait_for_progress FILE KEY N MAX_S: until the bots' progress line shows KEY=N.
wait_for_progress() {
  local file=$1 key=$2 n=$3 max=$4 t=0 v
  while [ "$t" -lt $((max * 10)) ]; do
    v=$(tail -n 1 "$file" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$key=//p")
    [ "${v:-0}" -ge "$n" ] && return 0
    sleep 0.1
    t=$((t + 1))
  done
  return 1
}
