# Shared by the hostile cases (sourced, bash). Each case starts its own server on the
# loopback, runs honest participants (the C bots) beside an attack, and checks that the
# attacker was refused or cut off while every honest participant finished with parity and
# everything they did recorded. Nothing here talks to any address but 127.0.0.1.
set -euo pipefail
HOSTILE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HOSTILE_DIR/../.." && pwd)
# shellcheck source=../../bench/load/lib.sh
source "$ROOT/bench/load/lib.sh"
trap_cleanup
find_bots
HOSTILE_EXP=${HOSTILE_EXP:-$HOSTILE_DIR/experiment/experiment.yaml}
WORK=$(mktemp -d /tmp/cohort-hostile.XXXXXX)
trap 'load_cleanup; rm -rf "$WORK"' EXIT
DATA=$WORK/data
DB=$DATA/hostile/cohort.db
CASE_FAILED=0
# Raw-socket attackers (python3, standard library only): tests/hostile/attack.py.
ATTACK=(python3 "$HOSTILE_DIR/attack.py")

ok() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; CASE_FAILED=1; }

# attack_start ATTACK [options...]: an attacker (attack.py) in the background, ATTACK_PID;
# attack_wait: wait for it, show its report, keep its last line in ATTACK_LAST;
# attack_field NAME: the value of NAME=... in that line.
attack_start() {
  "${ATTACK[@]}" "$SRV_PORT" "$@" >"$WORK/attack.txt" 2>&1 &
  ATTACK_PID=$!
  LOAD_PIDS+=("$ATTACK_PID")
}
attack_wait() {
  reap "$ATTACK_PID" || true
  sed 's/^/    /' "$WORK/attack.txt"
  ATTACK_LAST=$(tail -n 1 "$WORK/attack.txt")
}
attack_field() { echo "$ATTACK_LAST" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# hostile_server [serve options...]: the suite's study on a free port (SRV_PORT, SRV_PID).
hostile_server() {
  SRV_EXTRA=("$@")
  start_server "$HOSTILE_EXP" "$DATA"
  URL=http://127.0.0.1:$SRV_PORT
}

# honest_start N [bots options...]: N honest participants in the background (HONEST_PID).
honest_start() {
  local n=$1
  shift
  "${BOTS[@]}" "$URL" -n "$n" --policy greedy --duration 60 --run honest "$@" >"$WORK/honest.txt" 2>&1 &
  HONEST_PID=$!
  LOAD_PIDS+=("$HONEST_PID")
  HONEST_N=$n
}

# honest_check: the honest bots all completed with no error and no desync. What they did
# on disk is checked by case_end, once the server has stopped and so written everything.
honest_check() {
  reap "$HONEST_PID" || true
  local f=$WORK/honest.txt
  if [ "$(field completed "$f")" = "$HONEST_N" ] && [ "$(field errors "$f")" = 0 ] &&
    [ "$(field desyncs "$f")" = 0 ]; then
    ok "$HONEST_N honest participants completed, 0 errors, 0 desyncs"
  else
    fail "honest participants: $(tail -n 1 "$f")"
    sed 's/^/    /' "$f" | tail -n 12
  fi
}

# honest_records: each honest participant has its completed outcome in cohort.db and every
# one of their episode files replays.
honest_records() {
  local done
  done=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM outcomes WHERE outcome='completed' AND subject LIKE 'bot-honest-%'" 2>/dev/null || echo 0)
  [ "$done" = "$HONEST_N" ] && ok "their $HONEST_N outcomes are recorded" ||
    fail "recorded completed outcomes of honest participants: $done of $HONEST_N"
  local bad=0 n=0
  for csv in $(find "$DATA" -name 'bot-honest-*_ep*.csv' | sort); do
    n=$((n + 1))
    "$COHORT" replay "$csv" >/dev/null 2>&1 || { fail "replay $csv"; bad=1; }
  done
  if [ "$n" -ge "$HONEST_N" ] && [ "$bad" = 0 ]; then ok "their $n episode files replay"
  elif [ "$bad" = 0 ]; then fail "episode files of honest participants: $n of at least $HONEST_N"; fi
}

# server_alive: the server still answers /healthz.
server_alive() {
  if http_get "$SRV_PORT" /healthz | grep -q '"status"'; then ok "server still answers /healthz"; else fail "server does not answer /healthz"; fi
}

# case_end: stop the server (it must exit 0), check the honest participants' records, and
# exit with the case's verdict.
case_end() {
  stop_pid "$SRV_PID" || fail "server exit code"
  [ -z "${HONEST_N:-}" ] || honest_records
  exit "$CASE_FAILED"
}

# ---- durability cases (disk_full, kill9) ----------------------------------------------

# small_disk SIZE: a tmpfs of SIZE mounted at $WORK/disk (DISK), unmounted on exit (after
# every process started here is stopped). A case that needs it fails loudly when mount is
# not permitted: CI runs as root, and a skipped disk-full test would prove nothing.
small_disk() {
  DISK=$WORK/disk
  mkdir -p "$DISK"
  if ! mount -t tmpfs -o "size=$1,mode=0755" tmpfs "$DISK"; then
    echo "  FAIL: cannot mount a $1 tmpfs at $DISK (this case must run as root)"
    exit 1
  fi
  trap 'load_cleanup; umount "$DISK" 2>/dev/null || umount -l "$DISK" 2>/dev/null; rm -rf "$WORK"' EXIT
}

# health_field NAME: the value of NAME in the server's /healthz ("" when it does not
# answer).
health_field() {
  { http_get "$SRV_PORT" /healthz 2>/dev/null || true; } |
    sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[a-z0-9]*\).*/\1/p" | tr -d '"'
}

# wait_health NAME VALUE SECONDS: bounded polling (every 0.1 s) until /healthz has
# NAME=VALUE. Prints how long it took; returns 1 when it never did.
wait_health() {
  local t0 t
  t0=$(date +%s%N)
  for _ in $(seq $(($3 * 10))); do
    if [ "$(health_field "$1")" = "$2" ]; then
      t=$((($(date +%s%N) - t0) / 1000000))
      echo "$t"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# bots_run N RUN FILE [options...]: N honest greedy bots (subjects bot-RUN-*) in the
# background, report in FILE; sets BOTS_PID.
bots_run() {
  local n=$1 run=$2 out=$3
  shift 3
  "${BOTS[@]}" "$URL" -n "$n" --policy greedy --duration 60 --run "$run" "$@" >"$out" 2>&1 &
  BOTS_PID=$!
  LOAD_PIDS+=("$BOTS_PID")
}

# sql QUERY: one value from cohort.db ($DB), read-only.
sql() { sqlite3 "file:$DB?mode=ro" "$1"; }

# episodes_intact: every `episodes` row has a CSV and a sidecar for each human seat, and
# every CSV replays (`cohort replay`); a full-length episode (frames = horizon) is never
# labelled cut, a truncated one is full-length. Prints what it checked; 1 on any failure.
episodes_intact() {
  local bad=0 n=0 missing=0 replayed=0 game ep scene reason frames horizon subject
  while IFS='|' read -r game ep scene reason frames horizon; do
    n=$((n + 1))
    if [ "$frames" = "$horizon" ] && [ "$reason" = cut ]; then
      echo "    $game episode $ep: full length ($frames frames) but labelled cut"; bad=1
    fi
    if [ "$reason" = truncated ] && [ "$frames" != "$horizon" ]; then
      echo "    $game episode $ep: truncated after $frames of $horizon frames"; bad=1
    fi
    for subject in $(sql "SELECT name FROM seats WHERE game='$game' AND kind='human'"); do
      local csv=$DATA/hostile/$scene/${subject}_ep$ep.csv
      if [ ! -f "$csv" ] || [ ! -f "${csv%.csv}.json" ]; then
        echo "    $game episode $ep: $csv or its sidecar missing"; missing=$((missing + 1)); bad=1
        continue
      fi
      if "$COHORT" replay "$csv" >/dev/null 2>&1; then replayed=$((replayed + 1))
      else echo "    replay $csv:"; "$COHORT" replay "$csv" 2>&1 | tail -2 | sed 's/^/      /'; bad=1; fi
    done
  done < <(sql "SELECT e.game, e.episode, e.scene, e.reason, e.frames, e.horizon FROM episodes e ORDER BY e.t")
  echo "    $n episodes recorded, $replayed files replayed, $missing missing"
  return $bad
}
