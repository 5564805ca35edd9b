#!/usr/bin/env bash
# Small messages cannot cause large work: a repeated stale `advance` gets the scene back at
# most once a second; a tab flipping visibility 100 times a second writes a few rows; bad
# messages carrying a forged log record neither forge a line nor flood the log. An honest
# pair plays meanwhile and completes.
source "$(dirname "$0")/../lib.sh"
hostile_server
honest_start 2

attack_start stale_advance --count 150
attack_wait
scenes=$(attack_field scenes)
[ "$scenes" -le 3 ] && ok "150 stale advances over 1.5 s got $scenes scene replies (at most one a second)" ||
  fail "150 stale advances got $scenes scene replies"

honest_check
attack_start visibility_flap --count 150
# The flapper plays with an honest partner of its own.
"${BOTS[@]}" "$URL" -n 1 --policy greedy --duration 60 --run partner >"$WORK/partner.txt" 2>&1 || true
attack_wait
[ "$(field completed "$WORK/partner.txt")" = 1 ] && ok "the flapper's honest partner completed" ||
  fail "the flapper's partner: $(tail -n1 "$WORK/partner.txt")"

log_before=$(wc -l <"$SRV_LOG")
attack_start forged_log --count 600
attack_wait
log_after=$(wc -l <"$SRV_LOG")
grep -q '^2030-01-01' "$SRV_LOG" && fail "a forged record starts a line of the server log" ||
  ok "no forged line in the server log (newlines escaped)"
grep -q 'x\\n2030-01-01' "$SRV_LOG" && ok "the bad type is logged escaped" || fail "the bad type is not in the log"
lines=$((log_after - log_before))
[ "$lines" -le 400 ] && ok "600 bad connections wrote $lines log lines (rate limited)" ||
  fail "600 bad connections wrote $lines log lines"
server_alive

stop_pid "$SRV_PID" || fail "server exit code"
rows=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM events WHERE subject='flapper' AND kind IN ('hidden','visible')")
[ "$rows" -le 12 ] && ok "150 visibility flips in 1.5 s wrote $rows event rows" || fail "150 flips wrote $rows rows"
HONEST_N=2 honest_records
exit "$CASE_FAILED"
