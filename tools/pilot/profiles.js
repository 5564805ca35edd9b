// Network profiles and scripted events (docs/PILOT.md "Networks and events").
//
// A profile is applied with tools/harness/network.js below the page: every WebSocket
// message of the participant is delayed (base +- jitter, order kept) and lost segments
// stall the stream for a TCP retransmit timeout. HTTP requests (the page, the scripts,
// the wasm module) get the same one-way delay through page.route, so a slow profile loads
// the study slowly too. Figures are one-way, in ms; loss per message.

export const PROFILES = {
  loopback: { what: 'no added delay (the machine itself)', base: 0, range: 0, loss: 0 },
  broadband: { what: 'home broadband: 10-20 ms, no loss', base: 15, range: 5, loss: 0 },
  '4g': { what: 'mobile 4G: 25-75 ms, 0.5% loss', base: 50, range: 25, loss: 0.005 },
  'wifi-lossy': { what: 'crowded Wi-Fi: 10-50 ms, 3% loss', base: 30, range: 20, loss: 0.03 },
  far: { what: 'another continent: 120-180 ms, 1% loss', base: 150, range: 30, loss: 0.01 },
};

export const EVENTS = {
  drop: 'the network dies at a random moment of their first game, for longer than the reconnect grace; they come back to their end page',
  hide: 'the tab is hidden for a few seconds mid-game (shorter than focus_loss_timeout_s)',
  reload: 'the page is reloaded mid-game; they continue where they were',
  late: 'they arrive --late-s seconds after the others',
};

/**
 * "broadband:3,4g:2,wifi-lossy" -> a list of profile names of length n, in the given
 * proportions (a name without a count weighs 1), dealt round-robin so that every profile
 * meets every other. "mix" is broadband, 4g and wifi-lossy in equal parts.
 */
export function dealProfiles(spec, n) {
  const parts = (spec === 'mix' ? 'broadband,4g,wifi-lossy' : spec).split(',').map((s) => s.trim()).filter(Boolean);
  const weights = [];
  for (const p of parts) {
    const [name, w = '1'] = p.split(':');
    if (!PROFILES[name]) throw new Error(`--network: unknown profile "${name}" (known: ${Object.keys(PROFILES).join(', ')}, mix)`);
    if (!/^\d+$/.test(w) || Number(w) < 1) throw new Error(`--network: "${p}": the weight must be a whole number >= 1`);
    weights.push([name, Number(w)]);
  }
  if (!weights.length) throw new Error('--network: no profile given');
  const total = weights.reduce((a, [, w]) => a + w, 0);
  const out = [];
  // Largest remainder per participant: the first n slots follow the weights as closely as n allows.
  const given = weights.map(() => 0);
  for (let i = 0; i < n; i++) {
    let best = 0, bestGap = -Infinity;
    weights.forEach(([, w], k) => { const gap = ((i + 1) * w) / total - given[k]; if (gap > bestGap) { bestGap = gap; best = k; } });
    given[best]++;
    out.push(weights[best][0]);
  }
  return out;
}

/** "drop:1,hide:2" -> {drop: 1, hide: 2}; unknown events are an error. */
export function parseEvents(spec) {
  const out = {};
  if (!spec || spec === 'none') return out;
  for (const p of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, k = '1'] = p.split(':');
    if (!EVENTS[name]) throw new Error(`--events: unknown event "${name}" (known: ${Object.keys(EVENTS).join(', ')})`);
    if (!/^\d+$/.test(k)) throw new Error(`--events: "${p}": the count must be a whole number`);
    out[name] = Number(k);
  }
  return out;
}

/** Apply a profile to a participant's Net (WebSocket) and page (HTTP). */
export async function applyProfile(page, net, name) {
  const p = PROFILES[name];
  if (p.base || p.range) net.jitter(p.base, p.range);
  if (p.loss) net.loss(p.loss);
  if (p.base > 0) {
    // HTTP: a request and its answer each wait one way; no loss (the browser retries).
    await page.route('**/*', async (route) => {
      const wait = 2 * Math.max(0, p.base + (net.random() * 2 - 1) * p.range);
      await new Promise((r) => setTimeout(r, wait));
      await route.continue().catch(() => {});
    });
  }
}
