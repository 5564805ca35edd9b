#!/usr/bin/env bash
# A flooder making participants from new ids as fast as it can for 5 s (four threads:
# connect, hello with a fresh PROLIFIC_PID, hang up). Nobody it made ever acts, so
# cohort.db gets no row for any of them; the server forgets the longest-gone to stay
# within limits.unacted (default 10000), so its memory stays bounded; honest participants
# arriving meanwhile complete.
source "$(dirname "$0")/../lib.sh"
# RSS growth allowed over the flood: at most limits.unacted entries of a few hundred bytes
# each, plus what the allocator keeps of the connections' buffers; measured 6 MB. Before
# these limits the same flood kept all of its ~19500 participants and wrote a row and two
# sessions for each: RSS grew 15 MB in 5 s and kept growing until the 200000 cap.
RSS_BOUND_KB=16384
UNACTED=10000
hostile_server
rss0=$(rss_kb "$SRV_PID")
"${ATTACK[@]}" "$SRV_PORT" newids --seconds 5 --workers 4 --prefix flood- >"$WORK/flood.txt" 2>&1 &
FLOOD_PID=$!
LOAD_PIDS+=("$FLOOD_PID")
# The honest ones arrive once the flood is under way (the server holds over 1000 of it).
for _ in $(seq 100); do
  held=$(http_get "$SRV_PORT" /healthz | sed -n 's/.*"participants":\([0-9]*\).*/\1/p')
  [ "${held:-0}" -gt 1000 ] && break
  sleep 0.05
done
honest_start 4
reap "$FLOOD_PID" || fail "the flooder failed"
sed 's/^/    /' "$WORK/flood.txt"
created=$(field created "$WORK/flood.txt")
held=$(field held "$WORK/flood.txt")
rss1=$(rss_kb "$SRV_PID")
echo "    flooder: $(field per_s "$WORK/flood.txt") participants/s; server RSS $rss0 -> $rss1 kB"
[ "${created:-0}" -gt 0 ] && ok "the flooder was served: $created participants in $(field seconds "$WORK/flood.txt") s" ||
  fail "the flooder made no participants (the test measured nothing)"
[ "${held:-0}" -le $((UNACTED + HONEST_N)) ] && ok "the server held $held participants at the end (limit $UNACTED not yet acted)" ||
  fail "the server held $held participants, over limits.unacted $UNACTED"
[ $((rss1 - rss0)) -lt "$RSS_BOUND_KB" ] && ok "RSS grew $((rss1 - rss0)) kB (bound $RSS_BOUND_KB)" ||
  fail "RSS grew $((rss1 - rss0)) kB, over $RSS_BOUND_KB"
honest_check
server_alive
stop_pid "$SRV_PID" || fail "server exit code"
rows=0
for t in participants sessions scene_visits forms waits outcomes events; do
  n=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM $t WHERE subject LIKE 'flood-%'")
  rows=$((rows + n))
done
[ "$rows" = 0 ] && ok "cohort.db has no row for any of the flooder's ids" || fail "cohort.db has $rows rows for the flooder's ids"
everyone=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM participants")
[ "$everyone" = "$HONEST_N" ] && ok "participants holds the $HONEST_N honest ones only" || fail "participants holds $everyone rows"
honest_records
exit "$CASE_FAILED"
