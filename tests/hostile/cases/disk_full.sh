#!/usr/bin/env bash
# The disk fills up for real (a 4 MB tmpfs holds the data folder; root only, as in CI):
#   1. an honest pair plays to the end;
#   2. the disk is filled; a second honest pair plays to the end: nothing of theirs may be
#      lost; /healthz says degraded; a newcomer is refused with the try-later sentence;
#   3. the filler is removed: admission resumes by itself within seconds, a newcomer is
#      welcomed, a third pair plays to the end;
#   4. after a clean stop every episode's files exist and replay, every outcome (those
#      written while the disk was full too) is in cohort.db, the frame log is empty.
source "$(dirname "$0")/../lib.sh"
small_disk 4m
STORE_DATA=$DISK/data
# Logs stay off the small disk (a full disk must not swallow what the server says).
SRV_EXTRA=(--data "$STORE_DATA")
start_server "$HOSTILE_EXP" "$DATA"
URL=http://127.0.0.1:$SRV_PORT
DB=$STORE_DATA/hostile/cohort.db
DATA=$STORE_DATA
TRY_LATER="The study cannot take new participants right now. Please try again in a few minutes."

pair() { # pair RUN: an honest pair to completion; 0 when both completed without error
  bots_run 2 "$1" "$WORK/$1.txt"
  reap "$BOTS_PID" || true
  sed -n 's/^/    /;/^    bots: participants=/p' "$WORK/$1.txt"
  [ "$(field completed "$WORK/$1.txt")" = 2 ] && [ "$(field errors "$WORK/$1.txt")" = 0 ]
}

echo "  -- 1. disk with room"
pair fullA && ok "pair A completed" || fail "pair A: $(tail -n 1 "$WORK/fullA.txt")"
[ "$(health_field status)" = ok ] && ok "/healthz: ok" || fail "/healthz before the disk filled: $(http_get "$SRV_PORT" /healthz)"
df -k "$DISK" | tail -n 1 | awk '{print "    disk: " $3 " kB used, " $4 " kB free"}'

echo "  -- 2. disk full"
dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null || true # until ENOSPC
df -k "$DISK" | tail -n 1 | awk '{print "    disk: " $3 " kB used, " $4 " kB free"}'
bots_run 2 fullB "$WORK/fullB.txt"
if ms=$(wait_health status degraded 10); then ok "/healthz: degraded $ms ms after pair B arrived"
else fail "/healthz never said degraded: $(http_get "$SRV_PORT" /healthz)"; fi
echo "    /healthz: $(http_get "$SRV_PORT" /healthz)"
[ "$(health_field store_failing)" = true ] && ok "/healthz: store_failing true" || fail "store_failing is not true"
[ "$(health_field store_errors)" -gt 0 ] 2>/dev/null && ok "/healthz: store_errors $(health_field store_errors)" || fail "store_errors not counted"
out=$("${ATTACK[@]}" "$SRV_PORT" hello --subject newcomer-full)
echo "$out" | sed 's/^/    /'
last=$(echo "$out" | tail -n 1)
msg=$(python3 -c 'import json,sys; m=json.load(sys.stdin) or {}; print(m.get("message",""))' <<<"${out%%$'\n'*}")
if [[ $last == *"type=error code=try_later closed=1"* ]] && [ "$msg" = "$TRY_LATER" ]; then
  ok "a newcomer is refused: try_later, \"$msg\", connection closed"
else
  fail "a newcomer while the disk is full: $last / $msg"
fi
reap "$BOTS_PID" || true
sed -n 's/^/    /;/^    bots: participants=/p' "$WORK/fullB.txt"
[ "$(field completed "$WORK/fullB.txt")" = 2 ] && [ "$(field errors "$WORK/fullB.txt")" = 0 ] &&
  ok "pair B completed while the disk was full (returning participants keep going)" ||
  fail "pair B: $(tail -n 1 "$WORK/fullB.txt")"
[ "$(health_field status)" = degraded ] && ok "/healthz still degraded while full (held: $(health_field store_held))" ||
  fail "/healthz not degraded while full: $(http_get "$SRV_PORT" /healthz)"

echo "  -- 3. space back"
rm -f "$DISK/filler"
if ms=$(wait_health status ok 10); then ok "/healthz: ok again by itself, $ms ms after the filler went"
else fail "/healthz did not recover: $(http_get "$SRV_PORT" /healthz)"; fi
out=$("${ATTACK[@]}" "$SRV_PORT" hello --subject newcomer-after)
echo "$out" | tail -n 1 | sed 's/^/    /'
[[ $(echo "$out" | tail -n 1) == *"type=welcome"* ]] && ok "a newcomer is welcomed again" ||
  fail "admission did not resume: ${out%%$'\n'*}"
pair fullC && ok "pair C completed" || fail "pair C: $(tail -n 1 "$WORK/fullC.txt")"

echo "  -- 4. after a clean stop"
stop_pid "$SRV_PID" && ok "server exited 0" || fail "server exit code"
grep -E "store: (writes are failing|writes succeed again)" "$SRV_LOG" | sed 's/^/    /' || true
for run in fullA fullB fullC; do
  n=$(sql "SELECT count(*) FROM outcomes WHERE outcome='completed' AND code='HOSTILE-OK' AND subject LIKE 'bot-$run-%'")
  [ "$n" = 2 ] && ok "pair ${run#full}: both completed outcomes in cohort.db" || fail "pair ${run#full}: $n completed outcomes recorded"
  f=$(find "$DATA/hostile/consent" -name "bot-$run-*_form.json" 2>/dev/null | wc -l)
  [ "$f" = 2 ] && ok "pair ${run#full}: both form files" || fail "pair ${run#full}: $f form files"
done
[ "$(sql "SELECT count(*) FROM participants WHERE subject='newcomer-full'")" = 0 ] &&
  ok "the refused newcomer left no record" || fail "the refused newcomer was recorded"
if episodes_intact; then ok "every episode's files exist and replay"; else fail "episode files"; fi
[ "$(sql "SELECT count(*) FROM episodes")" = 3 ] && ok "3 episodes recorded (one per pair)" || fail "episodes: $(sql "SELECT count(*) FROM episodes")"
[ "$(sql "SELECT coalesce(sum(n), 0) FROM frame_log")" = 0 ] && ok "frame log pruned (0 rows left)" || fail "frames left in the log: $(sql "SELECT coalesce(sum(n), 0) FROM frame_log")"
modes=$(stat -c '%a' "$DATA/hostile" "$DATA/hostile/cohort.db" "$DATA/hostile/game" \
  "$(find "$DATA/hostile/game" -name '*.csv' -print -quit)" | tr '\n' ' ')
[ "$modes" = "700 600 700 600 " ] && ok "modes: folders 0700, files 0600" || fail "modes: $modes"
exit "$CASE_FAILED"
