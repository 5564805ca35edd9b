#!/usr/bin/env bash
# Hijack: an honest pair plays; an attacker who knows one of their ids (bot subjects are
# bot-honest-INDEX; panel ids are not secrets) sends token-less hellos naming it, each
# claiming missing browser features, while the victim plays, and twice after the victim
# finished and hung up (then it is shown the end page, with a welcome whose token names
# nobody; the second time it brings that token). It never receives the victim's token,
# pushes nobody off, excludes nobody; the pair completes. (A victim disconnected mid-game: tests/unit/test_flow.c,
# a_player_away_mid_game_is_neither_taken_nor_excluded; the bots do not reconnect.)
source "$(dirname "$0")/../lib.sh"
hostile_server
honest_start 2
out=$("${ATTACK[@]}" "$SRV_PORT" hijack --victim bot-honest-0 --count 5)
echo "$out" | sed 's/^/    /'
last=$(echo "$out" | tail -n 1)
f() { echo "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(f tokens_during_game)" = 0 ] && [ "$(f in_use)" = "$(f tries)" ] && [ "$(f other)" = 0 ] &&
  ok "all $(f tries) hellos during the game were refused with subject_in_use, no welcome" ||
  fail "during the game: $last"
[ "$(f views)" = 2 ] && [ "$(f view_outcome)" = completed ] && [ "$(f distinct_tokens)" = 2 ] &&
  ok "after the end: shown the victim's end page (completed), twice, each with a token of its own" ||
  fail "after the end: $last"
honest_check
server_alive
stop_pid "$SRV_PID" || fail "server exit code"
q() { sqlite3 "file:$DB?mode=ro" "$1"; }
real=$(q "SELECT token FROM participants WHERE subject = 'bot-honest-0'")
if [ -n "$real" ] && ! echo ",$(f tokens_seen)," | grep -q ",$real,"; then
  ok "none of the tokens the attacker saw is the victim's"
else
  fail "the attacker saw the victim's token ($real) or it is unknown"
fi
[ "$(q "SELECT count(*) FROM events WHERE kind IN ('excluded_browser', 'resumed_without_token')")" = 0 ] &&
  ok "no exclusion or token-less resume was recorded" || fail "events: $(q "SELECT group_concat(kind) FROM events")"
[ "$(q "SELECT group_concat(outcome) FROM outcomes WHERE subject = 'bot-honest-0'")" = completed ] &&
  ok "the victim's only outcome is completed" || fail "victim outcomes: $(q "SELECT group_concat(outcome) FROM outcomes WHERE subject = 'bot-honest-0'")"
[ "$(q "SELECT count(*) FROM sessions WHERE subject = 'bot-honest-0' AND event = 'replaced'")" = 0 ] &&
  ok "the victim was never replaced" || fail "the victim was replaced"
honest_records
exit "$CASE_FAILED"
