#!/usr/bin/env bash
# A player who stops reading mid-game (and so stops answering pings) while holding the
# socket open is cut off once pings go unanswered for the idle timeout (30 s), and the
# server's memory stays flat meanwhile. Their partner plays the 5 s game to its end (the
# silent seat's inputs are defaulted once late) and gets the completed code; another
# honest pair plays beside them.
source "$(dirname "$0")/../lib.sh"
hostile_server
attack_start slow_reader --hold 40
for _ in $(seq 200); do grep -q '^waiting' "$WORK/attack.txt" && break; sleep 0.05; done
grep -q '^waiting' "$WORK/attack.txt" || fail "the slow reader never reached the waiting room"
rss0=$(rss_kb "$SRV_PID")
# The slow reader's partner: the first to arrive after it is matched with it.
"${BOTS[@]}" "$URL" -n 1 --policy greedy --duration 60 --run partner >"$WORK/partner.txt" 2>&1 &
PARTNER_PID=$!
LOAD_PIDS+=("$PARTNER_PID")
for _ in $(seq 200); do sqlite3 "file:$DB?mode=ro" "SELECT 1 FROM waits WHERE subject='slowreader' AND outcome='matched'" 2>/dev/null | grep -q 1 && break; sleep 0.05; done
honest_start 2
honest_check
attack_wait
[ "$(attack_field closed)" = 1 ] && ok "the slow reader was cut off" || fail "the slow reader was never cut off: $ATTACK_LAST"
reap "$PARTNER_PID" || true
[ "$(field completed "$WORK/partner.txt")" = 1 ] && [ "$(field errors "$WORK/partner.txt")" = 0 ] &&
  ok "its partner played the game to its end" || fail "its partner: $(tail -n1 "$WORK/partner.txt")"
rss1=$(rss_kb "$SRV_PID")
[ $((rss1 - rss0)) -lt 8192 ] && ok "server RSS grew $((rss1 - rss0)) kB meanwhile (less than 8 MB)" ||
  fail "server RSS grew $((rss1 - rss0)) kB while the reader held its socket"
server_alive
stop_pid "$SRV_PID" || fail "server exit code"
timeouts=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM events WHERE subject='slowreader' AND kind IN ('ping_timeout','send_queue_full')")
[ "$timeouts" -ge 1 ] && ok "the cut is recorded ($timeouts ping_timeout/send_queue_full event)" || fail "no ping_timeout or send_queue_full event for the slow reader"
got=$(sqlite3 "file:$DB?mode=ro" "SELECT outcome FROM outcomes WHERE subject LIKE 'bot-partner-%'")
[ "$got" = completed ] && ok "the partner's completed outcome is recorded" || fail "the partner's recorded outcome: '$got'"
HONEST_N=2 honest_records
exit "$CASE_FAILED"
