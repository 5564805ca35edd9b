#!/usr/bin/env bash
# The per-address cap: 40 WebSockets from one address (127.0.0.2) against a cap of 20 get
# 20 accepted and the rest refused at once, with rate-limited log lines; an honest pair
# from another address (127.0.0.1: the bots cannot choose theirs) is not affected; and the
# address's places come back when its sockets close.
source "$(dirname "$0")/../lib.sh"
hostile_server --max-per-address 20
honest_start 2
out=$("${ATTACK[@]}" "$SRV_PORT" conns --ws --count 40 --hold 3 --source 127.0.0.2)
echo "$out" | sed 's/^/    /'
last=$(echo "$out" | tail -n1)
kv() { echo "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(kv accepted)" = 20 ] && [ "$(kv refused)" = 20 ] && ok "20 accepted, 20 refused over the cap" ||
  fail "from one address: accepted $(kv accepted), refused $(kv refused) (cap 20)"
refusals=$(grep -c 'refused' "$SRV_LOG" || true)
[ "$refusals" -ge 1 ] && [ "$refusals" -le 3 ] && ok "the refusals took $refusals log lines" ||
  fail "refusal log lines: $refusals (want 1 to 3)"
# Their places are given back when they close: the address gets its 20 again.
out=$("${ATTACK[@]}" "$SRV_PORT" conns --ws --count 20 --hold 1 --source 127.0.0.2)
echo "$out" | sed 's/^/    /'
last=$(echo "$out" | tail -n1)
[ "$(kv accepted)" = 20 ] && ok "after they closed, 20 accepted again" ||
  fail "after they closed: accepted $(kv accepted) of 20"
honest_check
server_alive
case_end
