// Playwright Test fixtures for cohort's many-participant harness (docs/DESIGN.md section 11).
//
//   test.use({ experiment: 'game' })   which file `server` serves (tests/e2e/experiments/NAME)
//   test.use({ serveArgs: [...] })      more `cohort serve` options (default --drain-s 0)
//   server                             build/cohort serve FILE --port 0 --data <fresh dir>
//   participants(n, {prefix})          n pages, each in its own context of the one browser
//   orchestrate(pages, opts)           a GameOrchestrator bound to this test's server
//
// After every test the server is stopped and its cohort.db checked: every wall time in it
// must fall within the run (lib/exports.js checkWallTimes). A problem there, or a crash,
// sanitizer report or hang of the server, fails a test that otherwise passed.
// On failure the server log, each page's console and window.cohort are attached to the
// report; contexts are always closed and the server's process group always killed.

import fs from 'node:fs';
import { test as base, expect } from '@playwright/test';
import { Server, experimentPath } from './lib/server.js';
import { Participant, uniquePid } from './lib/participant.js';
import { GameOrchestrator } from './lib/orchestrator.js';
import { checkWallTimes } from './lib/exports.js';

export const test = base.extend({
  experiment: ['game', { option: true }],
  // More `cohort serve` options (undefined: the harness's default, `--drain-s 0`).
  serveArgs: [undefined, { option: true }],

  server: async ({ experiment, serveArgs }, use, testInfo) => {
    const server = new Server(experimentPath(experiment), serveArgs ? { serveArgs } : {});
    let failed = false;
    try {
      await server.start();
      await use(server);
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      const diedDuringTest = server.exit !== null && !server.stopRequested;
      await server.stop();
      const problems = server.problems();
      if (diedDuringTest) problems.unshift(`server was not running at the end of the test (exit ${JSON.stringify(server.exit)})`);
      // Once the server has stopped, everything it recorded is in cohort.db (shutdown
      // records included): every wall time in it must fall within this run.
      if (server.startedAt !== null && fs.existsSync(server.db)) {
        try {
          problems.push(...checkWallTimes(server.db, { since: server.startedAt }));
        } catch (e) {
          problems.push(`wall-time check of ${server.db}: ${e.message}`);
        }
      }
      const testFailed = failed || testInfo.status !== testInfo.expectedStatus;
      const bad = testFailed || problems.length > 0;
      if (bad) {
        const logFile = testInfo.outputPath('server.log');
        fs.writeFileSync(logFile, server.log || '(empty)');
        await testInfo.attach('server.log', { path: logFile, contentType: 'text/plain' });
        await testInfo.attach('data-dir', { body: server.dataDir, contentType: 'text/plain' });
        // Thrown below when the test passed otherwise; attached when it failed anyway.
        if (problems.length && testFailed) await testInfo.attach('server-problems.txt', { body: problems.join('\n'), contentType: 'text/plain' });
      } else if (!process.env.COHORT_E2E_KEEP) {
        server.removeData();
      }
      if (problems.length && !testFailed) throw new Error(`server problems:\n${problems.join('\n')}`);
    }
  },

  // Depends on server so that pages close before the server stops (teardown runs in
  // reverse); stopping a server with people connected has its own test.
  participants: async ({ browser, server }, use, testInfo) => {
    const all = [];
    const make = async (n, { prefix = 'p', names } = {}) => {
      const out = [];
      for (let i = 0; i < n; i++) {
        const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
        try {
          const page = await context.newPage();
          const p = new Participant(context, page, { name: names?.[i] ?? `${prefix}${all.length}`, pid: uniquePid(prefix) });
          all.push(p);
          out.push(p);
        } catch (e) {
          await context.close().catch(() => {});
          throw e;
        }
      }
      return out;
    };
    try {
      await use(make);
    } finally {
      const failed = testInfo.status !== testInfo.expectedStatus;
      if (failed) {
        for (const p of all) {
          let st = null;
          try { st = await p.status(); } catch { /* closed */ }
          const lines = [`subject ${p.pid}`, `window.cohort = ${JSON.stringify(st)}`];
          if (p.net) lines.push(p.net.summary());
          lines.push('--- console ---', ...p.console);
          const file = testInfo.outputPath(`${p.name}.txt`);
          fs.writeFileSync(file, lines.join('\n'));
          await testInfo.attach(`${p.name}.txt`, { path: file, contentType: 'text/plain' }).catch(() => {});
          if (!p.page.isClosed()) {
            const png = await p.page.screenshot({ timeout: 3000 }).catch(() => null);
            if (png) await testInfo.attach(`${p.name}.png`, { body: png, contentType: 'image/png' }).catch(() => {});
          }
        }
      }
      await Promise.all(all.map((p) => p.close()));
      // Let the server see the sockets close before it is stopped (a stop with people
      // still connected is lifecycle.spec.js's business, not every test's).
      const deadline = Date.now() + 3000;
      while (server.alive && Date.now() < deadline) {
        const h = await server.health().catch(() => null);
        if (!h || h.body.connected === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  },

  orchestrate: async ({ server }, use) => {
    await use((pages, opts) => new GameOrchestrator(server, pages, opts));
  },
});

export { expect };
// The helpers, for specs that want them from one place.
export { GameOrchestrator, playingPair } from './lib/orchestrator.js';
export { Net } from './lib/network.js';
export { Participant, setVisibility, COOKING_KEYS } from './lib/participant.js';
export { waitForExports, compare, replay, readCsv, checkEpisodeCsv, sqlite, waitForRows, sidecar, unfocusedFrames, checkWallTimes } from './lib/exports.js';
