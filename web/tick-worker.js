// The game clock. A dedicated worker, because browsers throttle main-thread timers in
// hidden tabs (to once a second or less) but not worker timers: a participant who
// switches tabs keeps ticking, so the partner's game goes on (docs/DESIGN.md section 6).
//
// Messages in: {type: 'start', fps} | {type: 'stop'}. Out: {type: 'tick', n}.
// Ticks are scheduled against an absolute timeline (start + n * interval), so timer
// lateness does not accumulate into drift.

let timer = null;
let generation = 0;

function run(fps, gen) {
  const interval = 1000 / fps;
  let next = performance.now() + interval;
  let n = 0;
  const fire = () => {
    if (gen !== generation) return;
    const now = performance.now();
    // Far behind (the machine stalled): skip ahead rather than fire a burst. The game
    // catches up on confirmed frames by itself, and a burst would flood the socket.
    if (now - next > 4 * interval) next = now;
    postMessage({ type: 'tick', n: n++ });
    next += interval;
    timer = setTimeout(fire, Math.max(0, next - performance.now()));
  };
  timer = setTimeout(fire, Math.max(0, next - performance.now()));
}

self.onmessage = ({ data }) => {
  generation++;
  clearTimeout(timer);
  timer = null;
  if (data?.type === 'start' && data.fps > 0) run(data.fps, generation);
};
