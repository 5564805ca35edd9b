// docs/DEPLOY.md's setup as far as one machine without a domain can have it: cohort on
// loopback behind a real Caddy (deploy/Caddyfile's site block, Caddy's local CA in place
// of ACME: tests/e2e/lib/caddy.js), two headless browsers playing a whole game through
// https and wss, and the data checked as the e2e specs check it.
//
// The browsers trust Caddy's CA for this run only, by the SPKI of its intermediate
// (--ignore-certificate-errors-spki-list: Chromium matches the chain the server sends,
// which holds the intermediate, not the root); every other certificate error still fails.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test as e2e, expect } from '../e2e/fixtures.js';
import { caddyFixture } from '../e2e/lib/caddy.js';
import { trustingBrowser } from '../e2e/lib/trust.js';
import { GameOrchestrator } from '../e2e/lib/orchestrator.js';
import { sqlite, waitForRows } from '../e2e/lib/exports.js';

const test = e2e.extend({
  // One Caddy for the worker; each test points it at its own cohort (`front`).
  caddy: caddyFixture(),

  // The e2e suite's browser, trusting Caddy's local CA.
  browser: [async ({ playwright, launchOptions, caddy }, use) =>
    trustingBrowser({ playwright, launchOptions, spkis: [caddy.spki()] }, use), { scope: 'worker' }],

  // The server as participants reach it: Caddy's https URL, the server's data.
  front: async ({ server, caddy }, use, testInfo) => {
    await caddy.proxyTo(`127.0.0.1:${new URL(server.url).port}`);
    const front = Object.create(server, { url: { value: caddy.url } });
    try {
      await use(front);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('caddy.log', { body: caddy.log || '(empty)', contentType: 'text/plain' });
        await testInfo.attach('Caddyfile', { body: fs.readFileSync(caddy.file, 'utf8'), contentType: 'text/plain' });
      }
    }
  },
});

test.use({ experiment: 'game' });

test('two browsers play a game through Caddy over https and wss: parity, replay, every hash verified', async ({ server, caddy, front, participants }) => {
  expect(server.url, 'cohort itself: plain http on loopback').toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(front.url).toMatch(/^https:\/\/localhost:\d+$/);

  const ps = await participants(2);
  const seen = new Map();
  for (const p of ps) {
    const s = { sockets: [], docs: [] };
    seen.set(p, s);
    p.page.on('websocket', (ws) => s.sockets.push(ws.url()));
    p.page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.frame() === p.page.mainFrame()) {
        s.docs.push(r.securityDetails().then((sec) => ({ url: r.url(), status: r.status(), server: r.headers().server, sec })));
      }
    });
  }
  const orch = new GameOrchestrator(front, ps, { game: { scene: 'game', maxSteps: 150 } });
  await orch.arrive();
  await orch.verifyPairing();

  for (const p of ps) {
    const s = seen.get(p);
    const loc = await p.page.evaluate(() => ({ protocol: location.protocol, origin: location.origin }));
    expect(loc, `${p.name}: the page's location`).toEqual({ protocol: 'https:', origin: caddy.url });
    const docs = await Promise.all(s.docs);
    expect(docs.length, `${p.name}: the page was loaded`).toBeGreaterThan(0);
    for (const d of docs) {
      expect(d.url.startsWith(`${caddy.url}/`), `${p.name}: document ${d.url}`).toBe(true);
      expect(d.status).toBe(200);
      expect(d.server, `${p.name}: served by Caddy`).toBe('Caddy');
      expect(d.sec?.protocol, `${p.name}: TLS`).toMatch(/^TLS 1\.[23]$/);
      expect(d.sec?.issuer, `${p.name}: certificate from Caddy's local CA`).toMatch(/^Caddy Local Authority/);
    }
    expect(s.sockets.length, `${p.name}: a WebSocket was opened`).toBeGreaterThan(0);
    for (const u of s.sockets) expect(u, `${p.name}: the client's WebSocket URL`).toBe(`wss://localhost:${new URL(caddy.url).port}/ws`);
  }

  orch.startKeys();
  await orch.waitDone();
  await orch.stopKeys();
  await orch.checkExports(); // both files, cohort compare, cohort replay, every hash verified
  await orch.verifyMatchedAsArrived();
  const g = orch.groups[0];
  const games = await waitForRows(server.db, `SELECT end_reason FROM games WHERE game = '${g.id}'`, (rs) => rs[0]?.end_reason);
  expect(games[0].end_reason).toBe('completed');

  // /healthz and the admin API through Caddy, the chain verified against Caddy's root.
  const h = await caddy.get('/healthz');
  expect(h.status).toBe(200);
  expect(h.authorized).toBe(true);
  expect(JSON.parse(h.body)).toMatchObject({ status: 'ok', experiment: 'e2e-game', playing: 0, games: 0, games_started: 1 });
  expect((await caddy.get('/api/state', { headers: { Authorization: 'Bearer wrong-key-0123456789' } })).status).toBe(403);
  expect((await caddy.get(`/api/state?key=${server.adminKey}`)).status, 'a key in the address is refused').toBe(400);
  const st = await caddy.get('/api/state', { headers: { Authorization: `Bearer ${server.adminKey}` } });
  expect(st.status, st.body).toBe(200);

  // docs/DEPLOY.md's backup while the server runs: sqlite3's .backup of the live database
  // (WAL mode) is whole and holds the game.
  const backup = path.join(server.dataDir, 'backup.db');
  const b = spawnSync('sqlite3', [server.db, `.backup '${backup}'`], { encoding: 'utf8', timeout: 20000 });
  expect(b.status, b.stderr).toBe(0);
  expect(sqlite(backup, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  expect(sqlite(backup, `SELECT end_reason FROM games WHERE game = '${g.id}'`)).toEqual([{ end_reason: 'completed' }]);
  // The episode is written (its frame log pruned once its files were durable): its row
  // counts the 150 frames.
  expect(sqlite(backup, `SELECT frames FROM episodes WHERE game = '${g.id}'`)).toEqual([{ frames: 150 }]);
  test.info().annotations.push({ type: 'served', description: `${caddy.url} -> ${server.url}, sockets ${[...seen.values()].map((s) => s.sockets.join(' ')).join(', ')}` });
});
