// Issue 5: one test per lifecycle row (docs/DESIGN.md section 9) that lifecycle.spec.js and
// flow.spec.js do not already cover: a reload mid-game, a partner's context closed
// (not a network cut), on_partner_drop default and ai:greedy, a 5 s hidden tab, and
// coming back after finishing. (Already covered elsewhere: a hidden tab past
// focus_loss_timeout_s -> lifecycle.spec.js; waiting-room timeout with code and redirect
// link, and leaving the waiting room -> flow.spec.js.)
import { setTimeout as sleep } from 'node:timers/promises';
import { test, expect } from './fixtures.js';
import { compare, replay, checkEpisodeCsv, readCsv, sidecar, unfocusedFrames, waitForExports, waitForRows } from './lib/exports.js';
import { playingPair } from './lib/orchestrator.js';
import { Participant, setVisibility } from './lib/participant.js';

test.describe('reload and hidden tab', () => {
  test.use({ experiment: 'long' }); // 10 s episode, grace 10 s, focus loss 30 s

  test('reload mid-game: the page resumes its seat and the episode ends with parity', async ({ participants, orchestrate }) => {
    const { a, orch, g, seatA } = await playingPair(participants, orchestrate);
    await a.stopKeys();
    const before = (await a.status()).game.frame;
    await a.page.reload();
    await a.waitFor(() => window.cohort?.connected === true && window.cohort.state === 'playing' && window.cohort.game?.id,
      { what: 'back in the game after the reload', timeout: 10000 });
    const st = await a.status();
    expect(st.game.id, 'same game').toBe(g.id);
    expect(st.game.seat, 'same seat').toBe(seatA);
    expect(st.game.frame, 'resumed at the current frame, not frame 0').toBeGreaterThanOrEqual(before);
    a.startKeys(undefined, { seed: 77 });
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports(); // both CSVs, compare exit 0, replay, verified
    expect(summaries.length).toBe(2);
    const { rows } = readCsv(summaries[0].file);
    expect(rows.slice(-60).filter((r) => r[`source.${seatA}`] === 'input').length, "the reloaded page's inputs count again").toBeGreaterThanOrEqual(45);
  });

  test('a tab hidden for 5 s mid-episode: the game goes on, focused is 0 meanwhile, parity', async ({ participants, orchestrate }) => {
    const { a, orch, seatA } = await playingPair(participants, orchestrate);
    await setVisibility(a.page, false);
    await sleep(5000); // hold the hidden tab for its stated time
    await setVisibility(a.page, true);
    expect((await a.status()).state, 'not excluded (focus_loss_timeout_s is 30)').toBe('playing');
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports();
    const { rows } = readCsv(summaries[0].file);
    const unfocused = unfocusedFrames(rows, seatA);
    expect(unfocused, 'about 150 frames marked unfocused').toBeGreaterThan(120);
    expect(unfocused).toBeLessThan(200);
    expect(unfocusedFrames(rows, 1 - seatA), 'the partner stayed focused').toBe(0);
  });
});

test.describe('partner gone', () => {
  test.use({ experiment: 'lifecycle' }); // grace 3 s, on_partner_drop end

  test("a partner's context closed mid-game: partner_dropped within grace + 2 s, the partial episode is cut and replays", async ({ server, participants, orchestrate }) => {
    const { a, b, orch, g } = await playingPair(participants, orchestrate);
    await b.stopKeys();
    const t0 = Date.now();
    await b.context.close();
    const r = await a.completionCode(3000 + 2000);
    expect(r.outcome).toBe('partner_dropped');
    expect(r.code).toBe('LIFEDROP');
    await expect(a.page.locator('#completion-code')).toHaveText('LIFEDROP');
    test.info().annotations.push({ type: 'drop', description: `partner_dropped shown ${Date.now() - t0} ms after the close` });
    await orch.stopKeys();
    const files = await waitForExports(server.dataDir, server.experiment, 'game', [a.pid, b.pid], 1);
    const f = files[a.pid][0];
    const side = sidecar(f);
    expect(side.end_reason).toBe('cut');
    const c = checkEpisodeCsv(f, { game: g.id, seats: orch.seatNames(g), episode: 0 });
    expect(c.problems).toEqual([]);
    expect(c.summary.frames).toBeGreaterThanOrEqual(60);
    expect(c.summary.frames).toBeLessThan(300);
    expect(c.rows.at(-1).truncated, 'the last row of a cut episode is truncated').toBe('1');
    const rp = replay(f);
    expect(rp.code, rp.output).toBe(0);
    expect(compare(f, files[b.pid][0]).code, "the dropped player's file is the same trajectory").toBe(0);
    const outcomes = await waitForRows(server.db, `SELECT outcome FROM outcomes WHERE subject = '${a.pid}'`);
    expect(outcomes[0].outcome).toBe('partner_dropped');
  });
});

/** Drop b (context closed) and let a play the episode out; return a's rows and seats. */
async function survivorFinishes(server, participants, orchestrate) {
  const { a, b, orch, g, seatB } = await playingPair(participants, orchestrate);
  await b.stopKeys();
  await b.context.close();
  const dropFrame = (await a.status()).game.frame; // after the close, however long it took
  const r = await a.completionCode(30000);
  expect(r.outcome, 'the survivor finishes the episode').toBe('completed');
  await a.stopKeys();
  const files = await waitForExports(server.dataDir, server.experiment, 'game', [a.pid], 1);
  const f = files[a.pid][0];
  const c = checkEpisodeCsv(f, { game: g.id, frames: 300, episode: 0 });
  expect(c.problems).toEqual([]);
  expect(['terminated', 'truncated'], 'the episode ran to its end').toContain(sidecar(f).end_reason);
  const rp = replay(f);
  expect(rp.code, rp.output).toBe(0);
  const src = c.rows.map((row) => row[`source.${seatB}`]);
  const lastInput = src.lastIndexOf('input');
  expect(lastInput, "b's inputs counted before the drop").toBeGreaterThan(30);
  // b's last inputs were for at most its frame + input_delay, and b led a by at most the
  // confirm window: nothing from b is recorded past that.
  expect(lastInput, 'no input from b after it was dropped').toBeLessThan(dropFrame + 2 + 15);
  return { a, seatB, src, lastInput };
}

test.describe('on_partner_drop: default', () => {
  test.use({ experiment: 'dropdefault' });

  test("the survivor finishes the episode; the dropped seat's source is default after the drop", async ({ server, participants, orchestrate }) => {
    const { src, lastInput } = await survivorFinishes(server, participants, orchestrate);
    const after = src.slice(lastInput + 1);
    expect(after.length).toBeGreaterThan(100);
    expect([...new Set(after)], 'every frame after the drop').toEqual(['default']);
  });
});

test.describe('on_partner_drop: ai:greedy', () => {
  test.use({ experiment: 'dropai' });

  test("the survivor finishes the episode; the dropped seat's source becomes ai", async ({ server, participants, orchestrate }) => {
    const { src, lastInput } = await survivorFinishes(server, participants, orchestrate);
    const firstAi = src.indexOf('ai');
    expect(firstAi, 'the AI took the seat').toBeGreaterThan(lastInput);
    // Between the drop and the AI: the grace (2 s, default actions); from the AI on: only ai.
    expect(src.slice(lastInput + 1, firstAi).every((s) => s === 'default')).toBe(true);
    expect([...new Set(src.slice(firstAi))]).toEqual(['ai']);
    expect(src.length - firstAi, 'the AI played the rest of the episode').toBeGreaterThan(60);
  });
});

test.describe('after the end', () => {
  test.use({ experiment: 'game' });

  test('coming back after finishing (same PROLIFIC_PID) shows the same completion code, never a new game', async ({ server, participants, orchestrate, browser }) => {
    const ps = await participants(2);
    const orch = orchestrate(ps, { game: { scene: 'game', maxSteps: 150 } });
    await orch.arrive();
    await orch.verifyPairing();
    orch.startKeys();
    await orch.waitDone();
    await orch.stopKeys();
    const [a] = ps;
    const first = await a.completionCode();
    expect(first.code).toBe('GAMEOK');

    // The same browser (stored token): a new tab.
    const page2 = await a.context.newPage();
    const again = new Participant(a.context, page2, { name: 'a-again', pid: a.pid });
    let ctx3 = null;
    try {
      for (const which of ['again', 'other']) {
        let p = again;
        if (which === 'other') {
          // Later, in another browser (no stored token), with the first browser closed
          // (while a tab of it is still open the server answers subject_in_use).
          await a.context.close();
          ctx3 = await browser.newContext();
          p = new Participant(ctx3, await ctx3.newPage(), { name: 'a-other-browser', pid: a.pid });
        }
        await p.open(server.url);
        const r = await p.completionCode();
        expect(r.outcome, `${p.name}: outcome`).toBe('completed');
        expect(r.code, `${p.name}: same code`).toBe('GAMEOK');
        expect(r.status.state).toBe('done');
        await expect(p.page.locator('#start')).toBeHidden();
      }
      const h = await server.health();
      expect(h.body.games_started, 'no new game').toBe(1);
      const st = await server.state();
      expect(st.waiting?.game ?? 0, 'nobody waiting').toBe(0);
    } finally {
      await ctx3?.close().catch(() => {});
    }
  });
});
