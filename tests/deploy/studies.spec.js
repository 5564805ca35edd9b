// docs/DEPLOY.md's "Several studies on one machine": two cohorts, each its own study and
// port, behind one real Caddy serving deploy/Caddyfile.studies' site block (/s/pilot/ and
// /s/main/, Caddy's local CA in place of ACME). A pair plays a whole game under
// /s/pilot/; the same browser then joins the other study under /s/main (a link without
// the closing slash); each server sees only its own people, each page's storage keeps its
// own study's identity, each admin page reads its own server.
import fs from 'node:fs';
import path from 'node:path';
import { test as e2e, expect } from '../e2e/fixtures.js';
import { caddyFixture } from '../e2e/lib/caddy.js';
import { trustingBrowser } from '../e2e/lib/trust.js';
import { GameOrchestrator } from '../e2e/lib/orchestrator.js';
import { REPO, Server, experimentPath } from '../e2e/lib/server.js';
import { waitForRows } from '../e2e/lib/exports.js';

const STUDIES_CADDYFILE = path.join(REPO, 'deploy/Caddyfile.studies');

const test = e2e.extend({
  caddy: caddyFixture({ siteFile: STUDIES_CADDYFILE, upstream: { '127.0.0.1:8001': '127.0.0.1:9', '127.0.0.1:8002': '127.0.0.1:9' } }),

  browser: [async ({ playwright, launchOptions, caddy }, use) =>
    trustingBrowser({ playwright, launchOptions, spkis: [caddy.spki()] }, use), { scope: 'worker' }],

  // The second study's server (the first is the suite's `server`), stopped after the test.
  main: async ({}, use, testInfo) => {
    const main = new Server(experimentPath('words'));
    try {
      await main.start();
      await use(main);
    } finally {
      await main.stop();
      const problems = main.problems();
      if (testInfo.status !== testInfo.expectedStatus || problems.length) {
        await testInfo.attach('main-server.log', { body: main.log || '(empty)', contentType: 'text/plain' });
      } else if (!process.env.COHORT_E2E_KEEP) {
        main.removeData();
      }
      if (problems.length && testInfo.status === testInfo.expectedStatus) throw new Error(`main server problems:\n${problems.join('\n')}`);
    }
  },
});

test.use({ experiment: 'game' });

const port = (u) => new URL(u).port;

test('two studies under /s/pilot/ and /s/main/ on one Caddy: a game, its data, identities and admin pages kept apart', async ({ server, main, caddy, participants }, testInfo) => {
  await caddy.proxyTo({ '127.0.0.1:8001': `127.0.0.1:${port(server.url)}`, '127.0.0.1:8002': `127.0.0.1:${port(main.url)}` },
    { healthPath: '/s/pilot/healthz' });
  const pilot = Object.create(server, { url: { value: `${caddy.url}/s/pilot` } });

  // Each study's /healthz under its path is its own server's; anything else is Caddy's 404.
  expect(JSON.parse((await caddy.get('/s/pilot/healthz')).body).experiment).toBe('e2e-game');
  expect(JSON.parse((await caddy.get('/s/main/healthz')).body).experiment).toBe('e2e-words');
  for (const p of ['/', '/healthz', '/ws', '/s/other/', '/s/pilotx/healthz']) {
    expect((await caddy.get(p)).status, `${p} through Caddy`).toBe(404);
  }

  // A pair plays the whole game under /s/pilot/: the client's socket, wasm and sprites all
  // under the path; the episode files replay with every hash verified.
  const ps = await participants(2);
  const sockets = new Map(ps.map((p) => [p, []]));
  for (const p of ps) p.page.on('websocket', (ws) => sockets.get(p).push(ws.url()));
  const orch = new GameOrchestrator(pilot, ps, { game: { scene: 'game', maxSteps: 150 } });
  await orch.arrive();
  await orch.verifyPairing();
  orch.startKeys();
  await orch.waitDone();
  await orch.stopKeys();
  await orch.checkExports();
  const g = orch.groups[0];
  const games = await waitForRows(server.db, `SELECT end_reason FROM games WHERE game = '${g.id}'`, (rs) => rs[0]?.end_reason);
  expect(games[0].end_reason).toBe('completed');
  for (const p of ps) {
    expect(sockets.get(p).length, `${p.name}: a socket`).toBeGreaterThan(0);
    for (const u of sockets.get(p)) expect(u, `${p.name}: its socket`).toBe(`wss://localhost:${port(caddy.url)}/s/pilot/ws`);
  }
  const [a] = ps;
  const pilotEnd = await a.status();
  expect(pilotEnd.state).toBe('done');

  // The same browser (a's context: one origin, one localStorage) follows the other
  // study's link, written without the closing slash: Caddy adds it and keeps the query.
  const other = await a.context.newPage();
  const sockB = [];
  other.on('websocket', (ws) => sockB.push(ws.url()));
  await other.goto(`${caddy.url}/s/main?PROLIFIC_PID=${a.pid}&STUDY_ID=two`);
  expect(other.url()).toBe(`${caddy.url}/s/main/?PROLIFIC_PID=${a.pid}&STUDY_ID=two`);
  await other.waitForFunction(() => window.cohort?.connected === true && window.cohort.state === 'page', null, { timeout: 15000 });
  const st = await other.evaluate(() => JSON.parse(JSON.stringify(window.cohort)));
  expect([st.experiment, st.subject, st.scene]).toEqual(['e2e-words', a.pid, 'welcome']);
  expect(sockB.every((u) => u === `wss://localhost:${port(caddy.url)}/s/main/ws`) && sockB.length > 0, sockB.join(' ')).toBe(true);
  await expect(other.locator('html')).toHaveAttribute('dir', 'rtl');
  fs.writeFileSync(testInfo.outputPath('main-study.png'), await other.screenshot());

  // Each server knows only its own: the main study has a.pid alone, on its first page;
  // the pilot has the pair, both finished (a's visit to the other study changed nothing
  // there).
  const stateB = await main.state();
  expect(stateB.people.map((p) => [p.subject, p.scene])).toEqual([[a.pid, 'welcome']]);
  const stateA = await server.state();
  expect(stateA.people.map((p) => [p.subject, p.state]).sort()).toEqual(ps.map((p) => [p.pid, 'done']).sort());

  // One storage, two studies' identities, neither overwritten by the other.
  const stored = await other.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
  expect(stored['cohort/s/pilot/subject']).toBe(a.pid);
  expect(stored['cohort/s/main/subject']).toBe(a.pid);
  expect(stored['cohort/s/pilot/token']).toMatch(/^[0-9a-f]{16,}$/);
  expect(stored['cohort/s/main/token']).toMatch(/^[0-9a-f]{16,}$/);
  expect(stored['cohort/s/main/token']).not.toBe(stored['cohort/s/pilot/token']);
  expect(stored['cohort.token'], 'the root keys are not used under a path').toBeUndefined();

  // A reload of the pilot's tab resumes the pilot's participant where they were: the end
  // page with the same code, not a fresh start and not the main study's identity.
  await a.page.reload();
  await a.page.waitForFunction(() => window.cohort?.connected === true && window.cohort.state === 'done', null, { timeout: 15000 });
  const again = await a.status();
  expect([again.experiment, again.subject, again.outcome, again.code]).toEqual(['e2e-game', a.pid, pilotEnd.outcome, pilotEnd.code]);

  // Each admin page, under its study's path, reads its own server with its own key.
  for (const [name, srv, id] of [['pilot', server, 'e2e-game'], ['main', main, 'e2e-words']]) {
    const admin = await a.context.newPage();
    await admin.goto(`${caddy.url}/s/${name}/admin.html#key=${srv.adminKey}`);
    await expect(admin.locator('#experiment')).toHaveText(id, { timeout: 10000 });
    await expect(admin.locator('#status')).toHaveText('live', { timeout: 10000 });
    fs.writeFileSync(testInfo.outputPath(`admin-${name}.png`), await admin.screenshot({ fullPage: true }));
    await admin.close();
  }
  await other.close();
});
