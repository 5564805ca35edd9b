#!/usr/bin/env bash
# A client sending messages far faster than the rate limit is cut off with an error; an
# honest pair playing meanwhile finishes with parity and everything recorded.
source "$(dirname "$0")/../lib.sh"
hostile_server
honest_start 2
attack_start flood --count 3000
attack_wait
[ "$(attack_field error)" = 1 ] && ok "the flooder got an error" || fail "the flooder got no error"
honest_check
server_alive
case_end
