// Issue 17: the four-player commons-harvest game end to end in browsers. Four people play
// with parity (every browser's hashes verified, `cohort compare` and `cohort replay` on
// every file), then 12 and 24 people in four-person games at once, and one person dropping
// in one of three games under `on_partner_drop: end` and `ai:sustainable` while the other
// two games play on untouched. Each browser runs rollback with three remote inputs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { checkEpisodeCsv, compare, replay, sidecar, waitForExports } from './lib/exports.js';
import { COHORT, REPO } from './lib/server.js';

const SEATS = ['human', 'human', 'human', 'human'];
const GAME = { scene: 'game', maxSteps: 240, episodes: 1, seats: SEATS }; // 8 s, countdown 1 s
// 20 s: twelve pages take seconds to open on a loaded machine, and the drop (plus the 2 s
// grace) must fall inside the hit game's episode.
const DROP_GAME = { scene: 'game', maxSteps: 600, episodes: 1, seats: SEATS };

/** Every browser of every game took part in rollback: it simulated all 4 seats and matched. */
async function checkBrowsers(orch) {
  for (const g of orch.groups) {
    for (const p of g.members) {
      const st = await p.status();
      expect(st.game.desyncs ?? 0, `${p.name}: desyncs`).toBe(0);
    }
  }
}

test.describe('commons: four players', () => {
  test.use({ experiment: 'commons' });

  test('four participants play the commons game with parity; a screenshot of it being played; the export replays in the viewer', async ({ server, participants, orchestrate, page }, testInfo) => {
    test.setTimeout(90_000);
    const ps = await participants(4);
    const orch = orchestrate(ps, { game: GAME });
    await orch.arrive();
    await orch.verifyPairing();
    const g = orch.groups[0];
    expect([...g.seats].sort()).toEqual([0, 1, 2, 3]);
    orch.startKeys();
    await ps[0].waitFor(() => window.cohort.state === 'playing' && window.cohort.game.confirmed >= 120, { what: 'frame 120', timeout: 20000 });
    const shot = testInfo.outputPath('commons-playing.png');
    await ps[0].page.screenshot({ path: shot });
    fs.mkdirSync(path.join(REPO, 'build', 'e2e'), { recursive: true });
    fs.copyFileSync(shot, path.join(REPO, 'build', 'e2e', 'commons-playing.png'));
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports();
    await checkBrowsers(orch);
    // Each of the four files has the four seats' columns, every seat verified by its browser.
    for (const s of summaries) {
      expect(s.seats.length).toBe(4);
      for (const seat of s.seats) expect(seat.verified1).toBeGreaterThan(0);
    }
    // The record holds the game's own state description: every player ate or moved.
    const f = g.files[ps[0].pid][0];
    expect(sidecar(f).env).toBe('commons/harvest');
    expect(sidecar(f).seats.length).toBe(4);

    // The export of the study, in the episode viewer: the four seats, every hash verified.
    const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-commons-export-'));
    const r = spawnSync(COHORT, ['export', server.expDir, '--out', exportDir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}/viewer.html`);
    await page.setInputFiles('#folder', exportDir);
    await expect.poll(() => page.evaluate(() => window.cohortViewer.selected)).not.toBeNull();
    const v = await page.evaluate(() => window.cohortViewer);
    expect(v.env).toBe('commons/harvest');
    expect(v.frames).toBe(240);
    expect(v.mismatches).toEqual([]);
    expect(v.verifiedFrames).toBe(240);
    await expect(page.locator('.seat')).toHaveCount(4);
    await page.locator('#scrub').evaluate((el) => { el.value = '200'; el.dispatchEvent(new Event('input')); });
    const vshot = testInfo.outputPath('commons-viewer.png');
    await page.screenshot({ path: vshot });
    fs.copyFileSync(vshot, path.join(REPO, 'build', 'e2e', 'commons-viewer.png'));
    fs.rmSync(exportDir, { recursive: true, force: true });
  });
});

test.describe('commons: many groups at once', () => {
  test.use({ experiment: 'commons' });

  for (const [n, limitMs] of [[12, 120_000], [24, 180_000]]) {
    test(`${n} participants in ${n / 4} four-person games at once: matched as they arrived, parity in every game`, async ({ server, participants, orchestrate }) => {
      test.setTimeout(limitMs + 60_000);
      const t0 = Date.now();
      const ps = await participants(n);
      const orch = orchestrate(ps, { game: GAME, groupStaggerMs: 500, memberStaggerMs: 50 });
      await orch.arrive();
      await orch.verifyPairing({ timeoutMs: 30000 });
      orch.startKeys();
      await orch.waitDone({ timeoutMs: orch.expectedMs(40000) });
      await orch.stopKeys();
      await orch.checkExports({ timeoutMs: 30000 });
      await orch.verifyMatchedAsArrived();
      await checkBrowsers(orch);
      expect((await server.health()).body.games_started).toBe(n / 4);
      const wallMs = Date.now() - t0;
      test.info().annotations.push({ type: 'scale', description: `${n} participants (commons): wall ${(wallMs / 1000).toFixed(1)} s` });
      expect(wallMs).toBeLessThan(limitMs);
    });
  }
});

/**
 * Three four-person games; once the middle one plays, its third member closes its tab.
 * Returns what the caller checks for its drop policy.
 */
async function dropOneOfThree(participants, orchestrate) {
  const ps = await participants(12);
  const orch = orchestrate(ps, { game: DROP_GAME, groupStaggerMs: 300, memberStaggerMs: 50 });
  await orch.arrive();
  await orch.verifyPairing({ timeoutMs: 30000 });
  orch.startKeys();
  const [, hit] = orch.groups;
  // The drop comes once the hit game plays (the others, which arrived earlier or later,
  // may be anywhere in theirs).
  await hit.members[0].waitFor(
    () => window.cohort.state === 'playing' && window.cohort.game.confirmed >= 60, { what: 'frame 60', timeout: 20000 });
  const gone = hit.members[2];
  const goneSeat = hit.seats[2];
  await gone.stopKeys();
  await gone.context.close();
  const dropFrame = (await hit.members[0].status()).game.confirmed;
  expect(dropFrame, 'the drop and its grace fall inside the episode').toBeLessThan(600 - 120);
  const survivors = hit.members.filter((p) => p !== gone);
  // The two other games: as if nothing happened.
  const others = orch.only([0, 2]);
  return { orch, others, hit, gone, goneSeat, survivors };
}

test.describe('commons: a drop in one group, on_partner_drop end', () => {
  test.use({ experiment: 'commons-drop-end' });

  test('the dropped game ends for its three others with partner_dropped; the two other games complete with parity', async ({ server, participants, orchestrate }) => {
    test.setTimeout(120_000);
    const { others, hit, survivors } = await dropOneOfThree(participants, orchestrate);
    for (const p of survivors) {
      const r = await p.completionCode(30000);
      expect(r.outcome, `${p.name} in the game that lost a player`).toBe('partner_dropped');
      expect(r.code).toBe('CDEDROP');
    }
    await others.waitDone();
    await others.stopKeys();
    await others.checkExports({ timeoutMs: 30000 });
    await checkBrowsers(others);
    // The cut game's files: every human seat's, the same rows, replayed; cut before the end.
    const subjects = hit.members.map((p) => p.pid);
    const files = await waitForExports(server.dataDir, server.experiment, 'game', subjects, 1, { timeout: 20000 });
    const eFiles = subjects.map((s) => files[s][0]);
    for (const f of eFiles) {
      expect(sidecar(f).end_reason).toBe('cut');
      const rp = replay(f);
      expect(rp.code, rp.output).toBe(0);
      const c = checkEpisodeCsv(f, { game: hit.id, episode: 0 });
      expect(c.problems).toEqual([]);
      expect(c.rows.length).toBeLessThan(600);
    }
    for (let i = 1; i < eFiles.length; i++) {
      const r = compare(eFiles[0], eFiles[i]);
      expect(r.code, r.output).toBe(0);
    }
    for (const p of survivors) await p.stopKeys();
  });
});

test.describe('commons: a drop in one group, on_partner_drop ai:sustainable', () => {
  test.use({ experiment: 'commons-drop-ai' });

  test("the sustainable harvester takes the dropped seat and its game completes; the two other games complete with parity", async ({ server, participants, orchestrate }) => {
    test.setTimeout(120_000);
    const { others, hit, survivors, goneSeat } = await dropOneOfThree(participants, orchestrate);
    for (const p of survivors) {
      const r = await p.completionCode(40000);
      expect(r.outcome, `${p.name} plays on beside the AI`).toBe('completed');
    }
    await others.waitDone();
    await others.stopKeys();
    await others.checkExports({ timeoutMs: 30000 });
    await checkBrowsers(others);
    for (const p of survivors) await p.stopKeys();
    const subjects = survivors.map((p) => p.pid);
    const files = await waitForExports(server.dataDir, server.experiment, 'game', subjects, 1, { timeout: 20000 });
    const eFiles = subjects.map((s) => files[s][0]);
    for (const f of eFiles) {
      expect(['terminated', 'truncated']).toContain(sidecar(f).end_reason);
      const rp = replay(f);
      expect(rp.code, rp.output).toBe(0);
    }
    for (let i = 1; i < eFiles.length; i++) {
      const r = compare(eFiles[0], eFiles[i]);
      expect(r.code, r.output).toBe(0);
    }
    const c = checkEpisodeCsv(eFiles[0], { game: hit.id, frames: 600, episode: 0 });
    expect(c.problems).toEqual([]);
    const src = c.rows.map((row) => row[`source.${goneSeat}`]);
    const lastInput = src.lastIndexOf('input'), firstAi = src.indexOf('ai');
    expect(lastInput, 'inputs counted before the drop').toBeGreaterThan(30);
    expect(firstAi, 'the AI took the seat after the drop').toBeGreaterThan(lastInput);
    expect(src.slice(lastInput + 1, firstAi).every((s) => s === 'default'), 'the grace: defaults').toBe(true);
    expect([...new Set(src.slice(firstAi))]).toEqual(['ai']);
    // The three others kept playing from their keyboards throughout.
    for (const k of hit.seats.filter((s) => s !== goneSeat)) {
      const tail = c.rows.slice(-60).map((row) => row[`source.${k}`]);
      expect(tail.filter((s) => s === 'input').length, `seat ${k} still sends inputs at the end`).toBeGreaterThan(40);
    }
  });
});
