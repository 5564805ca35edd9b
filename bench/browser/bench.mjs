// Browser-side netcode figures, measured in headless Chromium against a real server:
//  1. input-to-confirmation latency on loopback: two browsers play one 600-frame round
//     with random keys; each client timestamps its own INPUTs and the CONFIRMs covering
//     them (window.cohortStats.latencies).
//  2. the cost of a rollback of W frames: in one page, the real RollbackClient and the
//     cooking wasm are driven W frames ahead on predictions, then a CONFIRM that
//     contradicts frame 0 forces a W-frame rollback; timed over many repetitions.
// Usage: node bench/browser/bench.mjs   (after `make`)
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../server.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];


const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (x) => x.toFixed(2);

async function latency(browser, url) {
  const pages = [];
  for (const id of ['bench-a', 'bench-b']) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${url}/?PROLIFIC_PID=${id}`);
    pages.push(page);
  }
  for (const p of pages) await p.click('#start');
  await Promise.all(pages.map((p) => p.waitForFunction(() => window.cohort?.state === 'playing', null, { timeout: 30000 })));
  const keys = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', ' '];
  let playing = true;
  const press = pages.map(async (p) => {
    while (playing) {
      const k = keys[Math.floor(Math.random() * keys.length)];
      await p.keyboard.down(k).catch(() => {});
      await p.waitForTimeout(60 + Math.random() * 120);
      await p.keyboard.up(k).catch(() => {});
    }
  });
  await Promise.all(pages.map((p) => p.waitForFunction(
    () => ['between_episodes', 'page', 'done'].includes(window.cohort?.state), null, { timeout: 60000 })));
  playing = false;
  await Promise.all(press);
  const samples = [];
  const rollbacks = [];
  for (const p of pages) {
    const s = await p.evaluate(() => ({ l: window.cohortStats.latencies.slice(), g: window.cohort.game }));
    samples.push(...s.l);
    rollbacks.push(s.g);
  }
  for (const p of pages) await p.context().close();
  return { samples, rollbacks };
}

async function rollbackCost(browser, url, depths) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${url}/admin.html`); // any page of the origin: modules load from it
  const result = await page.evaluate(async (depths) => {
    const { loadEnv } = await import('/env.js');
    const { RollbackClient } = await import('/rollback.js');
    const env = await loadEnv('cooking/cramped_room', { base: '/envs/' });
    const out = [];
    // A page's clock is coarse (about 0.1 ms), shorter than one rollback: prepare BATCH
    // clients each W frames ahead, then time all their rollbacks together.
    const BATCH = 100, ROUNDS = 20;
    for (const W of depths) {
      const perRollback = [];
      for (let round = 0; round < ROUNDS; round++) {
        const clients = [];
        for (let i = 0; i < BATCH; i++) {
          const rc = new RollbackClient({ env, seat: 0, nseats: 2, inputDelay: 0, predictionLimit: W + 2, defaultAction: 4 });
          rc.startEpisode(String(round * BATCH + i + 1), 400, 0);
          for (let f = 0; f < W; f++) { rc.localInput(f % 4); rc.tick(); }
          clients.push(rc);
        }
        // Each one's frame 0: the remote seat was predicted to stay; the server says it interacted.
        // The clients share one wasm env: each must restore its own snapshot, as a real
        // rollback does, so the timing includes that restore.
        const t0 = performance.now();
        for (const rc of clients) { rc.onConfirm(0, [[0, 5]], [0n]); rc.tick(); }
        perRollback.push((performance.now() - t0) / BATCH);
        for (const rc of clients) if (rc.rollbacks !== 1) throw new Error('no rollback happened');
      }
      perRollback.sort((a, b) => a - b);
      out.push({ W, p50: perRollback[ROUNDS / 2], p99: perRollback[ROUNDS - 1], max: perRollback[ROUNDS - 1] });
    }
    return out;
  }, depths);
  await ctx.close();
  return result;
}

const server = await startServer('bench/browser/experiment.yaml');
const browser = await chromium.launch({ executablePath: '/usr/lib/chromium/chromium-headless-shell', args: ARGS });
try {
  const lat = await latency(browser, server.url);
  const costs = await rollbackCost(browser, server.url, [5, 15, 30]);
  console.log('input-to-confirmation latency, two headless browsers on loopback, 30 fps, input delay 2');
  console.log('samples  p50_ms  p95_ms  p99_ms  max_ms');
  console.log(`${String(lat.samples.length).padStart(7)}  ${fmt(pct(lat.samples, 50)).padStart(6)}  ${fmt(pct(lat.samples, 95)).padStart(6)}  ${fmt(pct(lat.samples, 99)).padStart(6)}  ${fmt(Math.max(...lat.samples)).padStart(6)}`);
  console.log(`rollbacks during play: ${lat.rollbacks.map((g) => `${g.rollbacks} (max depth ${g.maxRollback})`).join(', ')}`);
  console.log('');
  console.log('browser cost of one rollback (restore snapshot + re-simulate W frames + hashes), cooking/cramped_room');
  console.log('(mean over batches of 100 rollbacks; median and worst of 20 batches)');
  console.log('   W  median_us  worst_us');
  for (const c of costs) console.log(`${String(c.W).padStart(4)}  ${(c.p50 * 1000).toFixed(1).padStart(9)}  ${(c.max * 1000).toFixed(1).padStart(8)}`);
} finally {
  await browser.close();
  server.stop();
}
