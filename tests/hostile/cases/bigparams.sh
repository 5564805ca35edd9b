#!/usr/bin/env bash
# Hellos with huge params beside an honest pair: a configured study parameter over 256
# bytes is refused with bad_params and the connection closed; 200 hellos stuffed with
# about 60 KB of parameters the experiment does not name are welcome but write nothing
# (they never act); one more acts, and its participant row keeps only the configured
# parameters. Before, 2000 such hellos wrote 132 MB.
source "$(dirname "$0")/../lib.sh"
hostile_server
honest_start 2
out=$("${ATTACK[@]}" "$SRV_PORT" bigparams --count 200 --prefix big-)
echo "$out" | sed 's/^/    /'
last=$(echo "$out" | tail -n 1)
f() { echo "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(f refused)" = 1 ] && [ "$(f refused_code)" = bad_params ] && [ "$(f refused_closed)" = 1 ] &&
  ok "an over-long configured parameter is refused (bad_params) and the connection closed" ||
  fail "over-long parameter: $last"
[ "$(f idle_welcomed)" = 200 ] && [ "$(f acted)" = 1 ] && ok "stuffed hellos are welcome; one acted" ||
  fail "stuffed hellos: $last"
honest_check
server_alive
stop_pid "$SRV_PID" || fail "server exit code"
q() { sqlite3 "file:$DB?mode=ro" "$1"; }
[ "$(q "SELECT count(*) FROM participants WHERE subject LIKE 'big-%'")" = 1 ] &&
  ok "one participant row for the hellos with huge params: the one that acted" ||
  fail "participant rows for big-*: $(q "SELECT group_concat(subject) FROM participants WHERE subject LIKE 'big-%'")"
params=$(q "SELECT params FROM participants WHERE subject = 'big-stuffed'")
len=${#params}
if [ "$len" -gt 200 ] && [ "$len" -lt 400 ] && ! echo "$params" | grep -q junk; then
  ok "its params keep the configured ones only ($len bytes: PROLIFIC_PID, STUDY_ID)"
else
  fail "stored params ($len bytes): ${params:0:200}"
fi
kb=$(du -sk "$DATA/hostile" | cut -f1)
[ "$kb" -lt 2048 ] && ok "the data folder is $kb kB after 12 MB of parameters" || fail "the data folder is $kb kB"
honest_records
exit "$CASE_FAILED"
