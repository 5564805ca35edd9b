#!/usr/bin/env bash
# A host with 64 open files (the server in a subshell under `ulimit -n 64`). 200 connection
# attempts: the connection cap, sized below the limit, refuses what does not fit; then the
# limit is cut under the server (prlimit) so that accept() itself fails with EMFILE, and
# 200 more attempts must make it pause, not spin. Throughout, the server's CPU stays low and
# its log small; after the attackers close, an honest pair completes.
source "$(dirname "$0")/../lib.sh"
SRV_WRAP=(bash -c 'ulimit -n 64; exec "$@"' --)
hostile_server
grep -q 'allows [0-9]*: the cap is' "$SRV_LOG" && ok "the cap was sized to the open-file limit: $(sed -n 's/.*the cap is \([0-9]*\).*/\1/p' "$SRV_LOG")" ||
  fail "no cap sized to the open-file limit in the log"

# attack PHASE: 200 connections held 3 s; the server's CPU over those seconds.
attack() {
  local t0 c0 out
  c0=$(cpu_ticks "$SRV_PID")
  out=$("${ATTACK[@]}" "$SRV_PORT" conns --count 200 --hold 3)
  echo "$out" | sed 's/^/    /'
  local used=$(( $(cpu_ticks "$SRV_PID") - c0 ))
  # 30% of a core over 3 s; lws's spin took 85%
  [ "$used" -le $((3 * CLK_TCK * 30 / 100)) ] && ok "$1: the server used $used CPU ticks in 3 s" ||
    fail "$1: the server used $used CPU ticks in 3 s (spinning?)"
}
attack "over the cap"
if command -v prlimit >/dev/null 2>&1; then
  sleep 1
  prlimit --pid "$SRV_PID" --nofile=20:64
  attack "at EMFILE"
  prlimit --pid "$SRV_PID" --nofile=64:64
  grep -q 'accept failed: Too many open files' "$SRV_LOG" && ok "accept hit EMFILE and said so" ||
    fail "accept never reported EMFILE"
else
  echo "  (no prlimit: the EMFILE phase is skipped)"
fi
lines=$(wc -l <"$SRV_LOG")
[ "$lines" -lt 200 ] && ok "the server's log has $lines lines" || fail "the server's log has $lines lines"
sleep 6 # what got through waits out the header timeout
server_alive
honest_start 2
honest_check
case_end
