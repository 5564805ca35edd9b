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
