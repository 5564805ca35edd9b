#!/usr/bin/env bash
# Two sockets that reach a game and never send an input do not keep their room open for
# ever: after no_input_timeout_s (3 s here) the game ends as stalled, both get the
# abandoned outcome with reason stalled, and an honest pair meanwhile completes.
HOSTILE_EXP=$(dirname "$0")/../experiment/stall.yaml
source "$(dirname "$0")/../lib.sh"
hostile_server
attack_start silent_pair --timeout 20
attack_wait
[ "$(attack_field game_end)" = stalled,stalled ] && ok "both silent seats were told the game stalled" ||
  fail "silent pair: $ATTACK_LAST"
after=$(attack_field after_s)
python3 -c "import sys; sys.exit(0 if 2.9 <= float('$after') <= 6 else 1)" &&
  ok "it ended $after s after the episode began (no_input_timeout_s is 3)" ||
  fail "it ended $after s after the episode began"
honest_start 2
honest_check
stop_pid "$SRV_PID" || fail "server exit code"
rows=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM outcomes WHERE subject LIKE 'silent%' AND outcome='abandoned' AND reason='stalled'")
[ "$rows" = 2 ] && ok "both have the abandoned outcome, reason stalled" || fail "$rows stalled outcomes recorded, not 2"
ended=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM games WHERE end_reason='stalled'")
[ "$ended" = 1 ] && ok "the game is recorded as stalled" || fail "$ended stalled games recorded"
HONEST_N=2 honest_records
exit "$CASE_FAILED"
