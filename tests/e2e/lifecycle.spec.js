// docs/DESIGN.md sections 8 and 9: what happens to people and data when things stop.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, expect } from './fixtures.js';
import { compare, replay, episodeFile, checkEpisodeCsv, readCsv, sidecar, sqlite, unfocusedFrames, waitForExports, waitForRows } from './lib/exports.js';
import { playingPair } from './lib/orchestrator.js';
import { Participant, setVisibility } from './lib/participant.js';

/** Wait (bounded) until the server's log shows re. */
async function waitForLog(server, re, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(server.log)) {
    if (Date.now() > deadline) throw new Error(`server log never showed ${re}:\n${server.log.slice(-2000)}`);
    await sleep(50);
  }
}

test.describe('server shutdown', () => {
  test.use({ experiment: 'long' });

  // The first SIGTERM drains: nobody new, running games finish (docs/DESIGN.md section 9).
  test.describe('drain', () => {
    test.use({ serveArgs: ['--drain-s', '60'] });

    test('SIGTERM mid-game: the game completes and is written, a newcomer sees the closed page, then the server exits 0', async ({ server, participants, orchestrate }) => {
      const { a, b, orch, g } = await playingPair(participants, orchestrate);
      server.signal('SIGTERM');
      await waitForLog(server, /draining: no new participants/);
      const [c] = await participants(1, { names: ['c'] });
      await c.page.goto(`${server.url}/?PROLIFIC_PID=${c.pid}`);
      await c.waitFor(() => window.cohort?.state === 'done', { what: 'the closed page' });
      expect(await c.page.locator('#scene').textContent()).toContain('This study is closed');
      await orch.waitDone();
      await orch.checkExports();
      const exit = await Promise.race([server.exited, sleep(15000).then(() => null)]);
      expect(exit, `exit once the game was over; server log:\n${server.log.slice(-3000)}`).toEqual({ code: 0, signal: null });
      expect(server.problems()).toEqual([]);
      const outcomes = sqlite(server.db, 'SELECT subject, outcome FROM outcomes');
      expect(outcomes.filter((r) => r.outcome === 'completed').map((r) => r.subject).sort()).toEqual([a.pid, b.pid].sort());
      expect(outcomes.find((r) => r.subject === c.pid), 'the newcomer did nothing: no outcome').toBeUndefined();
      expect(sqlite(server.db, `SELECT reason FROM episodes WHERE game = '${g.id}'`)).toEqual([{ reason: 'truncated' }]);
    });

    test('a second SIGTERM stops at once: the episode is saved as cut, with parity', async ({ server, participants, orchestrate }) => {
      const { a, b, orch, g } = await playingPair(participants, orchestrate);
      server.signal('SIGTERM');
      await waitForLog(server, /draining: no new participants/); // the first was acted on
      server.signal('SIGTERM');
      const exit = await Promise.race([server.exited, sleep(5000).then(() => null)]);
      await orch.stopKeys();
      expect(exit, `exit status; server log:\n${server.log.slice(-3000)}`).toEqual({ code: 0, signal: null });
      expect(server.problems()).toEqual([]);
      const files = [a, b].map((p) => episodeFile(server.dataDir, server.experiment, 'game', p.pid, 0));
      for (const f of files) expect(fs.existsSync(f), `${f} written at shutdown`).toBe(true);
      for (const f of files) {
        expect(sidecar(f).end_reason).toBe('cut');
        const c = checkEpisodeCsv(f, { game: g.id, seats: orch.seatNames(g), episode: 0 });
        expect(c.problems).toEqual([]);
        expect(c.summary.frames).toBeGreaterThanOrEqual(60);
        expect(c.summary.frames).toBeLessThan(300);
        expect(replay(f).code).toBe(0);
      }
      expect(compare(files[0], files[1])).toMatchObject({ code: 0 });
      expect(sqlite(server.db, `SELECT reason FROM episodes WHERE game = '${g.id}'`)).toEqual([{ reason: 'cut' }]);
    });
  });
});

// Drops, reconnects, hidden tabs, a second tab (docs/DESIGN.md section 9), on the lifecycle
// experiment: 10-second episode, reconnect_grace_s 3, focus_loss_timeout_s 3.
test.describe('drops and tabs', () => {
  test.use({ experiment: 'lifecycle' });

  const sources = (rows, seat) => rows.map((r) => r[`source.${seat}`]);

  test('a connection cut for 1 s: the player resumes its seat, the partner is told, parity', async ({ participants, orchestrate }) => {
    const { a, b, orch, seatA } = await playingPair(participants, orchestrate, { netSeed: 21 });
    await a.net.cut(); // network down: reconnects fail until restore()
    await a.waitFor(() => window.cohort.connected === false, { what: 'a notices the cut' });
    await expect(b.page.locator('#overlay'), 'the partner is told').toContainText(/connection|reconnect/i, { timeout: 3000 });
    await sleep(1000); // hold the cut
    a.net.restore();
    await a.waitFor(() => window.cohort.connected === true, { what: 'a reconnected', timeout: 5000 });
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports();
    expect(a.net.stats.connections, 'a came back on a new connection').toBeGreaterThanOrEqual(2);
    const { rows } = readCsv(summaries[0].file);
    const src = sources(rows, seatA);
    expect(src.filter((s) => s === 'default').length, "a's seat was defaulted while away").toBeGreaterThan(10);
    expect(src.slice(-60).filter((s) => s === 'input').length, "a's own inputs count again at the end").toBeGreaterThanOrEqual(45);
    const [, sb] = orch.groups[0].final;
    expect(sb.game.stalls, 'the partner never stalled').toBe(0);
  });

  test('a drop past reconnect_grace_s: the partner gets partner_dropped, the partial episode is saved', async ({ server, participants, orchestrate }) => {
    const { a, b, orch } = await playingPair(participants, orchestrate, { netSeed: 21 });
    const t0 = Date.now();
    await a.net.cut(); // and it stays down
    const r = await b.completionCode(10000);
    expect(r.outcome).toBe('partner_dropped');
    expect(r.code).toBe('LIFEDROP');
    expect(Date.now() - t0, 'not before the grace').toBeGreaterThanOrEqual(2500);
    await orch.stopKeys();
    const g = orch.groups[0];
    const files = await waitForExports(server.dataDir, server.experiment, 'game', [a.pid, b.pid], 1);
    const c = checkEpisodeCsv(files[b.pid][0], { game: g.id, seats: orch.seatNames(g), episode: 0 });
    expect(c.problems).toEqual([]);
    expect(c.summary.frames).toBeLessThan(300);
    expect(replay(files[b.pid][0]).code).toBe(0);
    expect(compare(files[a.pid][0], files[b.pid][0]).code).toBe(0);
    const outcomes = await waitForRows(server.db, `SELECT subject, outcome FROM outcomes WHERE subject = '${b.pid}'`);
    expect(outcomes[0].outcome).toBe('partner_dropped');
    // When a's network comes back, a is told the game is over (an end page, no completed code).
    a.net.restore();
    const ra = await a.completionCode(15000);
    expect(ra.outcome).not.toBe('completed');
  });

  test('a tab hidden for 1 s keeps ticking; focused is 0 meanwhile; the game completes with parity', async ({ participants, orchestrate }) => {
    const { a, orch, seatA } = await playingPair(participants, orchestrate);
    await setVisibility(a.page, false);
    const before = (await a.status()).game.frame;
    await sleep(1000); // hold the hidden state
    const after = (await a.status()).game.frame;
    await setVisibility(a.page, true);
    expect(after - before, 'the hidden tab kept ticking').toBeGreaterThan(20);
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports();
    const { rows } = readCsv(summaries[0].file);
    const unfocused = unfocusedFrames(rows, seatA);
    expect(unfocused, 'frames marked unfocused').toBeGreaterThan(15);
    expect(unfocused).toBeLessThan(60);
    expect(unfocusedFrames(rows, 1 - seatA), 'the partner stayed focused').toBe(0);
  });

  test('a tab hidden past focus_loss_timeout_s: excluded; the partner gets partner_dropped', async ({ server, participants, orchestrate }) => {
    const { a, b, orch } = await playingPair(participants, orchestrate);
    const t0 = Date.now();
    await setVisibility(a.page, false);
    const ra = await a.completionCode(10000);
    expect(ra.outcome).toBe('excluded');
    expect(ra.code).toBe('LIFEEXCL');
    expect(Date.now() - t0, 'not before the timeout').toBeGreaterThanOrEqual(2500);
    const rb = await b.completionCode(10000);
    expect(rb.outcome).toBe('partner_dropped');
    expect(rb.code).toBe('LIFEDROP');
    await orch.stopKeys();
    await waitForExports(server.dataDir, server.experiment, 'game', [a.pid, b.pid], 1);
    const rows = await waitForRows(server.db, 'SELECT subject, outcome, reason FROM outcomes', (rs) => rs.length >= 2);
    expect(rows.find((r) => r.subject === a.pid)).toMatchObject({ outcome: 'excluded' });
  });

  test('a second tab of the same participant takes over the seat; the old tab is told; parity', async ({ participants, orchestrate }) => {
    const { a, b, orch } = await playingPair(participants, orchestrate);
    await a.stopKeys();
    const page2 = await a.context.newPage(); // same browser: same stored token
    const a2 = new Participant(a.context, page2, { name: 'a-tab2', pid: a.pid });
    await page2.goto(`${a.url}/?PROLIFIC_PID=${a.pid}`);
    await a.waitState('ended', { timeout: 5000 });
    await expect(a.page.locator('#overlay')).toContainText(/another tab/i);
    await a2.waitFor(() => window.cohort.connected && ['playing', 'countdown', 'between_episodes'].includes(window.cohort.state),
      { what: 'the new tab is in the game' });
    expect((await a2.status()).game.id).toBe(orch.groups[0].id);
    a2.startKeys();
    orch.groups[0].members[0] = a2;
    await orch.waitDone();
    await orch.stopKeys();
    await orch.checkExports();
    expect((await b.status()).outcome).toBe('completed');
  });
});
