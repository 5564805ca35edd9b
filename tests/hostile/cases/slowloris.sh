#!/usr/bin/env bash
# 300 half-sent HTTP requests (slowloris, from 127.0.0.2, with the per-address cap raised so
# that all of them reach the HTTP layer) are closed within the header timeout (5 s) plus 2,
# a new request meanwhile is answered at once, and an honest pair started while they hang
# connects and completes.
source "$(dirname "$0")/../lib.sh"
hostile_server --max-per-address 1000
"${ATTACK[@]}" "$SRV_PORT" slowloris --count 300 --wait 10 --source 127.0.0.2 >"$WORK/slow.txt" &
slow=$!
LOAD_PIDS+=("$slow")
sleep 1
honest_start 2
reap "$slow" || true
sed 's/^/    /' "$WORK/slow.txt"
last=$(tail -n1 "$WORK/slow.txt")
kv() { echo "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(kv opened)" = 300 ] && [ "$(kv closed)" = 300 ] && ok "all 300 were closed" ||
  fail "half-sent requests closed: $(kv closed) of $(kv opened)"
awk -v m="$(kv max_s)" 'BEGIN{exit !(m != "-" && m + 0 <= 7.0)}' && ok "the last after $(kv max_s) s (header timeout 5 s + 2)" ||
  fail "the last half-sent request was closed after $(kv max_s) s"
p=$(kv probe_ms)
[ "$p" -ge 0 ] && [ "$p" -lt 1000 ] && ok "a new request meanwhile took $p ms" || fail "a new request meanwhile took $p ms"
honest_check
server_alive
case_end
