#!/usr/bin/env bash
# kill -9 at random moments. 20 bots play the hostile study over and over (--loop, some
# leave early: --churn) while the server is SIGKILLed after a random time (seeded: the
# seed is printed, KILL9_SEED=N repeats a run) and restarted on the same data folder, 20
# times (KILL9_KILLS). The bots reach the server through a relay (attack.py relay) that
# notes every end scene a participant was shown. After a last restart and a clean stop:
#   - nothing a participant was shown as completed is missing from cohort.db;
#   - every episode with an `episodes` row has all its files and they replay;
#   - a full-length episode is never labelled cut, a truncated one is full length
#     (rebuilt episodes included: the log's own ending is kept);
#   - every completed participant has both episodes, full length;
#   - the frame log is empty (everything written was pruned, nothing left unwritten).
# What was lost is reported: frames of the running episodes' last moments (those episodes
# are saved as cut) and games in progress (partner_dropped, reason server_restart).
source "$(dirname "$0")/../lib.sh"
SEED=${KILL9_SEED:-$(($(date +%s%N) / 1000 % 1000000))}
KILLS=${KILL9_KILLS:-20}
echo "  kill9: seed $SEED, $KILLS kills (KILL9_SEED=$SEED bash tests/hostile/run kill9 repeats it)"
RANDOM=$SEED

# The study, shortened: two episodes of 30 frames (1 s) a game, so that games end often
# between kills and kills land in every phase (page, waiting, countdown, play, hand-off).
mkdir -p "$WORK/exp"
cp -r "$HOSTILE_DIR/experiment/pages" "$WORK/exp/"
sed -e 's/^      episodes: 1$/      episodes: 2/' -e 's/^      max_steps: 150 .*/      max_steps: 30/' \
  "$HOSTILE_EXP" >"$WORK/exp/experiment.yaml"
grep -q '^      episodes: 2$' "$WORK/exp/experiment.yaml" && grep -q '^      max_steps: 30$' "$WORK/exp/experiment.yaml" ||
  die "kill9: could not derive the short study from $HOSTILE_EXP"
EXP=$WORK/exp/experiment.yaml
HORIZON=30

# One port for every life of the server, behind one relay for every life of the bots.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SRV_EXTRA=(--port "$PORT")
"${ATTACK[@]}" "$PORT" relay --port-file "$WORK/relay.port" --log "$WORK/seen.txt" 2>"$WORK/relay.err" &
LOAD_PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/relay.port" ] && break; sleep 0.1; done
[ -s "$WORK/relay.port" ] || die "kill9: the relay did not start"
URL=http://127.0.0.1:$(cat "$WORK/relay.port")
: >"$WORK/seen.txt"
: >"$WORK/servers.log"

recorded() { [ -f "$DB" ] && sql "SELECT game || ':' || episode || ' ' || reason FROM episodes ORDER BY 1" || true; }

bots_seen=0 rebuilt_total=0 t0=$(date +%s)
for i in $(seq "$KILLS"); do
  recorded >"$WORK/before.txt"
  start_server "$EXP" "$DATA"
  recorded >"$WORK/after.txt"
  rebuilt=$(comm -13 "$WORK/before.txt" "$WORK/after.txt" | awk '{print $2}' | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
  rebuilt_total=$((rebuilt_total + $(comm -13 "$WORK/before.txt" "$WORK/after.txt" | wc -l)))
  # Arrivals spread over 3 s, so that games end at many different moments.
  bots_run 20 "k9r$i" "$WORK/bots$i.txt" --loop --churn 0.1 --think 100 --rejoin 200 --ramp 3 --duration 30
  life_ms=$((1500 + RANDOM % 7500))
  sleep "$((life_ms / 1000)).$(printf '%03d' $((life_ms % 1000)))"
  kill -KILL "$SRV_PID"
  wait "$SRV_PID" 2>/dev/null || true
  drop_pid "$SRV_PID"
  kill -INT "$BOTS_PID" 2>/dev/null || true
  reap "$BOTS_PID" || true
  cat "$SRV_LOG" >>"$WORK/servers.log"
  done_here=$(field completed "$WORK/bots$i.txt")
  bots_seen=$((bots_seen + ${done_here:-0}))
  printf '    life %2d: killed after %4d ms; bots completed %s; rebuilt at start: %s\n' "$i" "$life_ms" \
    "${done_here:-?}" "${rebuilt:-none}"
done
recorded >"$WORK/before.txt"
start_server "$EXP" "$DATA"
recorded >"$WORK/after.txt"
last=$(comm -13 "$WORK/before.txt" "$WORK/after.txt" | wc -l)
rebuilt_total=$((rebuilt_total + last))
echo "    last start: rebuilt $last; $(($(date +%s) - t0)) s for $KILLS kills"
stop_pid "$SRV_PID" && ok "the last server stopped cleanly (exit 0)" || fail "the last server's exit code"
cat "$SRV_LOG" >>"$WORK/servers.log"

# What participants were shown, against cohort.db.
seen=$(grep -c ' completed ' "$WORK/seen.txt" || true)
lost=0
while read -r _ subject outcome code; do
  [ "$outcome" = completed ] || continue
  n=$(sql "SELECT count(*) FROM outcomes WHERE subject='$subject' AND outcome='completed' AND code='$code'")
  [ "$n" -ge 1 ] || { echo "    LOST: $subject was shown $outcome ($code), cohort.db has no such outcome"; lost=$((lost + 1)); }
done <"$WORK/seen.txt"
[ "$seen" -gt 0 ] || fail "no participant completed in $KILLS lives: the case tested nothing"
[ "$lost" = 0 ] && ok "all $seen completions participants were shown are in cohort.db (bots counted $bots_seen)" ||
  fail "$lost of $seen completions participants were shown are missing from cohort.db"

if episodes_intact; then ok "every recorded episode has its files and they replay"; else fail "episode files"; fi
short=$(sql "SELECT count(*) FROM outcomes o WHERE o.outcome='completed' AND
  (SELECT count(*) FROM seats s JOIN episodes e ON e.game = s.game
    WHERE s.name = o.subject AND s.kind = 'human' AND e.frames = $HORIZON AND e.reason != 'cut') < 2")
[ "$short" = 0 ] && ok "every completed participant has both episodes, full length and not cut" ||
  fail "$short completed participants lack a full episode"
left=$(sql "SELECT coalesce(sum(n), 0) FROM frame_log")
[ "$left" = 0 ] && ok "frame log empty after the last start (every episode written and pruned)" ||
  fail "$left frames left in the log"

# What a kill -9 costs, for the report.
echo "    outcomes: $(sql "SELECT group_concat(n || ' ' || outcome || coalesce('/' || reason, ''), ', ') FROM
  (SELECT outcome, reason, count(*) n FROM outcomes GROUP BY outcome, reason ORDER BY n DESC)")"
echo "    episodes: $(sql "SELECT group_concat(n || ' ' || reason, ', ') FROM (SELECT reason, count(*) n FROM episodes GROUP BY reason)");" \
  "rebuilt from the log at the starts: $rebuilt_total"
echo "    lost to the kills: $(sql "SELECT count(*) FROM episodes WHERE reason='cut'") episodes cut short," \
  "$(sql "SELECT count(*) FROM outcomes WHERE reason='server_restart'") participants ended by a restart (partner_dropped)"
grep -h "NOT SAVED" "$WORK/servers.log" | sed 's/^/    /' || true
exit "$CASE_FAILED"
