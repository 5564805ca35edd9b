#!/usr/bin/env bash
# 50 WebSockets that never say hello are all closed within the hello deadline (5 s, the
# default) plus 2 s, with a close reason; an honest pair playing meanwhile finishes.
source "$(dirname "$0")/../lib.sh"
hostile_server
honest_start 2
out=$("${ATTACK[@]}" "$SRV_PORT" silent --count 50 --wait 9)
echo "$out" | sed 's/^/    /'
last=$(echo "$out" | tail -n1)
kv() { echo "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(kv opened)" = 50 ] && [ "$(kv closed)" = 50 ] && ok "all 50 silent sockets were closed" ||
  fail "silent sockets closed: $(kv closed) of $(kv opened)"
awk -v m="$(kv max_s)" 'BEGIN{exit !(m != "-" && m + 0 <= 7.0)}' && ok "the last within $(kv max_s) s (deadline 5 s + 2)" ||
  fail "the last silent socket closed after $(kv max_s) s"
[ "$(kv reason_ok)" = 1 ] && ok "the close frame says why" || fail "no close reason naming the hello"
honest_check
server_alive
case_end
