#!/usr/bin/env bash
# X-Forwarded-For. From a peer that is not a trusted proxy it is ignored: the session's
# recorded address stays the TCP peer's. With --trusted-proxy 127.0.0.1 it is used (the
# right-most address that is not a trusted proxy: the left part is the client's to forge),
# and the per-address cap applies to the forwarded address, not to the proxy's.
source "$(dirname "$0")/../lib.sh"
XFF="198.51.100.9, 203.0.113.7"
addr_of() { sqlite3 "file:$DB?mode=ro" "SELECT detail FROM sessions WHERE subject='$1' AND event='connect'"; }

hostile_server
out=$("${ATTACK[@]}" "$SRV_PORT" xff --subject xff-untrusted --xff "$XFF")
echo "$out" | sed 's/^/    /'
stop_pid "$SRV_PID" || fail "server exit code"
got=$(addr_of xff-untrusted)
[ "$got" = 127.0.0.1 ] && ok "untrusted peer: recorded address $got (header ignored)" ||
  fail "untrusted peer: recorded address '$got', want 127.0.0.1"

DATA=$WORK/data-proxy
DB=$DATA/hostile/cohort.db
hostile_server --trusted-proxy 127.0.0.1 --max-per-address 3
honest_start 2 # no header, through the "proxy": counted under the proxy, which has no cap
out=$("${ATTACK[@]}" "$SRV_PORT" xff --subject xff-trusted --xff "$XFF" --more 4)
echo "$out" | sed 's/^/    /'
last=$(echo "$out" | tail -n1)
kv() { echo "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(kv more_accepted)" = 2 ] && [ "$(kv more_refused)" = 2 ] &&
  ok "the per-address cap (3) counted 203.0.113.7: 2 more accepted, 2 refused" ||
  fail "forwarded address under a cap of 3: $(kv more_accepted) more accepted, $(kv more_refused) refused"
honest_check
stop_pid "$SRV_PID" || fail "server exit code"
got=$(addr_of xff-trusted)
[ "$got" = 203.0.113.7 ] && ok "trusted proxy: recorded address $got" ||
  fail "trusted proxy: recorded address '$got', want 203.0.113.7"
honest_records
exit "$CASE_FAILED"
