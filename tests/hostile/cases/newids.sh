#!/usr/bin/env bash
# A flooder making participants from new ids as fast as it can for 5 s (four threads:
# connect, hello with a fresh PROLIFIC_PID, hang up). Nobody it made ever acts, so
# cohort.db gets no row for any of them; the server forgets the longest-gone to stay
# within limits.unacted (default 10000), so its memory stays bounded; honest participants
# arriving meanwhile complete.
source "$(dirname "$0")/../lib.sh"
# Memory: at most limits.unacted entries are held, so once the limit holds RSS stops growing
# with the flood. Measured at 92a961e+: 9.5 MB to reach 10000 held, about 950 B each (the
# 512-byte participant, its two map keys and slots, its stored params, the allocator's
# share of the connections that came and went), then 0.55 MB after the limit held (the
# honest games). Before the map rehashed in place, the forgetting's tombstones doubled
# both participant maps once the limit held: 1.06 MB after it and 10.5 MB in all, which
# failed the old 10 MB bound in CI. The bound is 1.2 kB a held participant: a struct or
# a map that grows per participant shows here. Before these limits the same flood kept
# all of its ~19000-22000 participants and wrote a row and two sessions for each: RSS
# grew 15-17 MB in 5 s, 8.5 MB of it after the same point, and went on.
RSS_BOUND_KB=12288
RSS_AFTER_LIMIT_KB=4096
UNACTED=10000
held_now() { http_get "$SRV_PORT" /healthz | sed -n 's/.*"participants":\([0-9]*\).*/\1/p'; }
hostile_server
rss0=$(rss_kb "$SRV_PID")
"${ATTACK[@]}" "$SRV_PORT" newids --seconds 5 --workers 4 --prefix flood- >"$WORK/flood.txt" 2>&1 &
FLOOD_PID=$!
LOAD_PIDS+=("$FLOOD_PID")
# The honest ones arrive once the flood is under way (the server holds over 1000 of it),
# and RSS is sampled again when the server first holds limits.unacted of it.
started=0 rss_mid=
for _ in $(seq 200); do
  kill -0 "$FLOOD_PID" 2>/dev/null || break
  held=$(held_now)
  if [ "$started" = 0 ] && [ "${held:-0}" -gt 1000 ]; then honest_start 4; started=1; fi
  if [ "${held:-0}" -ge "$UNACTED" ]; then rss_mid=$(rss_kb "$SRV_PID"); break; fi
  sleep 0.05
done
[ "$started" = 1 ] || honest_start 4
reap "$FLOOD_PID" || fail "the flooder failed"
sed 's/^/    /' "$WORK/flood.txt"
created=$(field created "$WORK/flood.txt")
held=$(field held "$WORK/flood.txt")
rss1=$(rss_kb "$SRV_PID")
echo "    flooder: $(field per_s "$WORK/flood.txt") participants/s; server RSS $rss0 -> ${rss_mid:-?} (limit reached) -> $rss1 kB"
[ "${created:-0}" -gt "$UNACTED" ] && ok "the flooder was served: $created participants in $(field seconds "$WORK/flood.txt") s" ||
  fail "the flooder made $created participants, not past the limit of $UNACTED (the test measured nothing)"
[ "${held:-0}" -le $((UNACTED + HONEST_N)) ] && ok "the server held $held participants at the end (limit $UNACTED not yet acted)" ||
  fail "the server held $held participants, over limits.unacted $UNACTED"
[ $((rss1 - rss0)) -lt "$RSS_BOUND_KB" ] && ok "RSS grew $((rss1 - rss0)) kB over the flood (bound $RSS_BOUND_KB)" ||
  fail "RSS grew $((rss1 - rss0)) kB over the flood, over $RSS_BOUND_KB"
if [ -z "$rss_mid" ]; then
  fail "the server never held $UNACTED of the flood while it ran"
elif [ $((rss1 - rss_mid)) -lt "$RSS_AFTER_LIMIT_KB" ]; then
  ok "RSS grew $((rss1 - rss_mid)) kB after the limit held (bound $RSS_AFTER_LIMIT_KB)"
else
  fail "RSS grew $((rss1 - rss_mid)) kB after the limit held, over $RSS_AFTER_LIMIT_KB"
fi
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
