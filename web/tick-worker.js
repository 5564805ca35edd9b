// The game clock. A dedicated worker, because browsers throttle main-thread timers in
// hidden tabs (to once a second or less) but not worker timers: a participant who
// switches tabs keeps ticking, so the partner's game goes on (docs/DESIGN.md section 6).
//
// Messages in: {type: 'start', periodMs} | {type: 'stop'}. Out: {type: 'tick', n}.
// periodMs is the game's step (step_ms, or 1000 / fps: a fraction is fine). Tick k is
// due at t0 + k * periodMs, computed afresh each time, so neither timer lateness nor a
// rounded period accumulates into drift.

let timer = null;
let generation = 0;

function run(periodMs, gen) {
  let t0 = performance.now();
  let k = 1; // the next tick's number on the timeline from t0
  let n = 0;
  const fire = () => {
    if (gen !== generation) return;
    const now = performance.now();
    // Far behind (the machine stalled): skip ahead rather than fire a burst. The game
    // catches up on confirmed frames by itself, and a burst would flood the socket.
    if (now - (t0 + k * periodMs) > 4 * periodMs) { t0 = now; k = 0; }
    postMessage({ type: 'tick', n: n++ });
    k++;
    timer = setTimeout(fire, Math.max(0, t0 + k * periodMs - performance.now()));
  };
  timer = setTimeout(fire, Math.max(0, t0 + k * periodMs - performance.now()));
}

self.onmessage = ({ data }) => {
  generation++;
  clearTimeout(timer);
  timer = null;
  if (data?.type === 'start' && data.periodMs > 0) run(data.periodMs, generation);
};
