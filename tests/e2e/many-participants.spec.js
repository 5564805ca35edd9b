// Issue 6 at scale: 12 participants (6 games) and 24 participants (12 games) arriving in
// pairs, matched as they arrived, every game completing with parity; the 24-participant
// test's wall time and the browser's peak memory. And the lifecycle mix: 3 games at once
// where one ends normally, one loses a participant, one has a tab hidden for 5 s, plus a
// 7th participant who leaves the waiting room.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, expect } from './fixtures.js';
import { checkEpisodeCsv, episodeFile, readCsv, replay, sidecar, unfocusedFrames, waitForExports, waitForRows } from './lib/exports.js';
import { setVisibility } from './lib/participant.js';
import { sampleMemory } from './lib/procmem.js';
import { REPO } from './lib/server.js';

const GAME = { scene: 'game', maxSteps: 150, episodes: 1 }; // 5 s, countdown 1 s

function record(name, data) {
  const dir = path.join(REPO, 'build', 'e2e', 'metrics');
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, `${name}.jsonl`), `${JSON.stringify({ t: new Date().toISOString(), ...data })}\n`);
}

test.describe('scale', () => {
  test.use({ experiment: 'game' });

  for (const [n, limitMs] of [[12, 120_000], [24, 180_000]]) {
    test(`${n} participants (${n / 2} games), staggered arrivals in pairs: matched as they arrived, every game with parity`, async ({ server, participants, orchestrate }) => {
      test.setTimeout(limitMs + 60_000);
      const t0 = Date.now();
      const mem = sampleMemory(500);
      let m;
      try {
        const ps = await participants(n);
        const orch = orchestrate(ps, { game: GAME, groupStaggerMs: 500, memberStaggerMs: 50 });
        await orch.arrive();
        await orch.verifyPairing({ timeoutMs: 30000 });
        orch.startKeys();
        await orch.waitDone({ timeoutMs: orch.expectedMs(40000) });
        await orch.stopKeys();
        await orch.checkExports({ timeoutMs: 30000 });
        await orch.verifyMatchedAsArrived();
        expect((await server.health()).body.games_started).toBe(n / 2);
      } finally {
        m = mem.stop();
      }
      const wallMs = Date.now() - t0;
      const line = `${n} participants: wall ${(wallMs / 1000).toFixed(1)} s; browser peak RSS ${m.peakRssMB.toFixed(0)} MB `
        + `(${(m.peakRssMB / n).toFixed(1)} MB per participant), peak PSS ${m.peakPssMB.toFixed(0)} MB `
        + `(${(m.peakPssMB / n).toFixed(1)} MB per participant), ${m.peakProcs} processes, ${m.samples} samples`;
      console.log(line);
      test.info().annotations.push({ type: 'scale', description: line });
      record(`scale-${n}`, { wallMs, ...m });
      expect(wallMs, `${n} participants within ${limitMs / 1000} s`).toBeLessThan(limitMs);
    });
  }
});

test.describe('lifecycle mix', () => {
  test.use({ experiment: 'mix' }); // 10 s games, grace 3 s, focus loss 30 s, on_partner_drop end

  test('3 games at once: one normal, one loses a participant, one hides a tab 5 s; a 7th leaves the waiting room', async ({ server, participants, orchestrate }) => {
    test.setTimeout(120_000);
    const ps = await participants(6, { names: ['n0', 'n1', 'd0', 'd1', 'h0', 'h1'] });
    const [leaver] = await participants(1, { names: ['leaver'] });
    const orch = orchestrate(ps, { game: { scene: 'game', maxSteps: 300 }, groupStaggerMs: 300, memberStaggerMs: 50 });
    await orch.arrive();
    await orch.verifyPairing();
    orch.startKeys();
    const [normal, dropped, hidden] = orch.groups;
    const [d0, d1] = dropped.members;
    const [h0] = hidden.members;

    // Faults, once every game plays: d1's context closes; h0's tab is hidden for 5 s.
    // (Only the two faulty games must still be playing; the normal one may be ahead.)
    await Promise.all([dropped, hidden].map((g) => g.members[0].waitFor(
      () => window.cohort.state === 'playing' && window.cohort.game.confirmed >= 45, { what: 'frame 45', timeout: 20000 })));
    await d1.stopKeys();
    await d1.context.close();
    const tDrop = Date.now();
    await setVisibility(h0.page, false);
    const hiding = sleep(5000).then(() => setVisibility(h0.page, true)); // hold the hidden tab 5 s

    // The 7th arrives while the games run (during the hidden tab), waits alone and leaves.
    await leaver.open(server.url);
    await leaver.advanceTo('game');
    await leaver.start();
    await leaver.waitState('waiting');
    await expect.poll(async () => (await server.state()).waiting?.game, { message: 'the 7th is waiting' }).toBe(1);


    await leaver.page.locator('#leave').click();
    await leaver.waitState('page');
    await expect.poll(async () => (await server.state()).waiting?.game, { message: 'Leave empties the room' }).toBe(0);

    // The survivor is told within the grace + 2 s.
    const r = await d0.completionCode(5000 + 5000);
    expect(r.outcome).toBe('partner_dropped');
    expect(r.code).toBe('MIXDROP');
    test.info().annotations.push({ type: 'drop', description: `partner_dropped ${Date.now() - tDrop} ms after the close` });
    await d0.stopKeys();
    await hiding;

    // The other two games end normally with parity.
    const ok = orch.only([normal.index, hidden.index]);
    await ok.waitDone();
    await ok.stopKeys();
    const [, hres] = await ok.checkExports({ frames: 300 });
    const hcsv = hres.files[h0.pid][0];
    const seatH = hidden.seats[0];
    const unfocused = unfocusedFrames(readCsv(hcsv).rows, seatH);
    expect(unfocused, 'about 150 frames unfocused in the hidden game').toBeGreaterThan(120);

    // The dropped game: partial data, cut, replays.
    const files = await waitForExports(server.dataDir, server.experiment, 'game', [d0.pid], 1);
    const f = files[d0.pid][0];
    const c = checkEpisodeCsv(f, { game: dropped.id, seats: orch.seatNames(dropped), episode: 0 });
    expect(c.problems).toEqual([]);
    expect(c.summary.frames).toBeLessThan(300);
    expect(c.rows.at(-1).truncated).toBe('1');
    expect(sidecar(f).end_reason).toBe('cut');
    expect(replay(f).code).toBe(0);
    expect(fs.existsSync(episodeFile(server.dataDir, server.experiment, 'game', leaver.pid, 0)), 'no data for the leaver').toBe(false);

    // The leaver: left, in no game, nobody else matched with it; 3 games in all.
    const waits = await waitForRows(server.db, 'SELECT subject, outcome, game FROM waits', (rs) => rs.length >= 7);
    expect(waits.find((w) => w.subject === leaver.pid)).toMatchObject({ outcome: 'left' });
    expect(waits.filter((w) => w.outcome === 'matched').length).toBe(6);
    expect((await server.health()).body.games_started).toBe(3);
    expect((await leaver.status()).state).toBe('page');
  });
});
