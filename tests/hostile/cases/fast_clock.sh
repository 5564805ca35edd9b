#!/usr/bin/env bash
# A seat sending 190 inputs a second (six times the game's 30 fps) is held to the room's
# clock: the 450-frame episode still takes its real 15 s, and the honest partner's inputs
# are never replaced by defaults; the fast clock is recorded.
HOSTILE_EXP=$(dirname "$0")/../experiment/clock.yaml
source "$(dirname "$0")/../lib.sh"
hostile_server
attack_start fast_clock --rate 190
honest_start 1
attack_wait
honest_check
stop_pid "$SRV_PID" || fail "server exit code"
csv=$(find "$DATA" -name 'bot-honest-*_ep0.csv' | head -n 1)
[ -n "$csv" ] || { fail "no episode file for the honest participant"; exit 1; }
read -r frames last_ms defaulted < <(python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
seat = next(i for i in range(8) if rows[0].get(f"seat.{i}", "").startswith("bot-honest-"))
print(len(rows), rows[-1]["t_ms"], sum(r[f"source.{seat}"] == "default" for r in rows))
PY
)
echo "    episode: $frames frames in $last_ms ms; honest inputs defaulted: $defaulted"
[ "$frames" = 450 ] && ok "all 450 frames confirmed" || fail "$frames frames, not 450"
# 450 frames at 30 fps are 15 s; the input delay lets the last ones in a few frames early.
[ "$last_ms" -ge 14500 ] && ok "the episode took its real length ($last_ms ms >= 14500)" ||
  fail "the episode took $last_ms ms: shorter than its real 15 s"
[ "$defaulted" = 0 ] && ok "no honest input was replaced by a default" ||
  fail "$defaulted honest inputs were replaced by defaults"
held=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM events WHERE kind='ahead_of_clock' AND subject='fastclock'")
[ "$held" -ge 1 ] && ok "the fast clock is recorded ($held ahead_of_clock events)" ||
  fail "no ahead_of_clock event recorded"
HONEST_N=1 honest_records
exit "$CASE_FAILED"
