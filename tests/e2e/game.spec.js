// Issue 4: playing (docs/DESIGN.md sections 6 and 8): whole episodes with random keys, the
// data files of both players, parity (`cohort compare`), re-simulation (`cohort replay`),
// every reported hash verified; rollbacks under latency; a human-AI game.
import { test, expect } from './fixtures.js';
import { sqlite, waitForRows } from './lib/exports.js';

const COOKING_DEFAULT = '4'; // "stay"

test.describe('two players', () => {
  test.use({ experiment: 'twoeps' });

  test('play two episodes with random keys: files, parity, replay, every reported hash verified', async ({ server, participants, orchestrate }) => {
    const ps = await participants(2);
    const orch = orchestrate(ps, { game: { scene: 'game', maxSteps: 90, episodes: 2 } });
    await orch.arrive();
    await orch.verifyPairing();
    orch.startKeys();
    // Both see the break between the episodes.
    await Promise.all(ps.map((p) => p.waitFor(() => window.cohort.game.episode === 1 || window.cohort.state === 'between_episodes',
      { what: 'the second episode', timeout: 15000 })));
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports();

    // The keys reached the game: each seat has real inputs and non-default actions.
    for (const s of summaries) {
      s.seats.forEach((seat, k) => {
        expect(seat.sources.input ?? 0, `${s.file} seat ${k}: frames with source input`).toBeGreaterThan(45);
        const moved = Object.entries(seat.actions).filter(([a]) => a !== COOKING_DEFAULT).reduce((n, [, c]) => n + c, 0);
        expect(moved, `${s.file} seat ${k}: frames with a key action`).toBeGreaterThan(0);
        expect(seat.verified0).toBe(0);
      });
    }
    const g = orch.groups[0];
    const eps = await waitForRows(server.db, `SELECT episode, frames, reason FROM episodes WHERE game = '${g.id}' ORDER BY episode`, (rs) => rs.length === 2);
    expect(eps).toEqual([{ episode: 0, frames: 90, reason: 'truncated' }, { episode: 1, frames: 90, reason: 'truncated' }]);
    const games = await waitForRows(server.db, `SELECT end_reason FROM games WHERE game = '${g.id}'`, (rs) => rs[0]?.end_reason);
    expect(games[0].end_reason).toBe('completed');
  });
});

test.describe('latency', () => {
  test.use({ experiment: 'game' });

  test('100 ms each way on one player: the episode completes with parity and rollbacks', async ({ participants, orchestrate }) => {
    const [slow, fast] = await participants(2, { names: ['slow', 'fast'] });
    (await slow.withNet(101)).latency(100);
    const orch = orchestrate([slow, fast], { game: { scene: 'game', maxSteps: 150 } });
    await orch.arrive();
    await orch.verifyPairing();
    orch.startKeys();
    await orch.waitDone();
    await orch.stopKeys();
    await orch.checkExports();
    const [s, f] = orch.groups[0].final;
    test.info().annotations.push({ type: 'rollbacks', description: `slow ${s.game.rollbacks} (max ${s.game.maxRollback}), fast ${f.game.rollbacks} (max ${f.game.maxRollback}); stalls ${s.game.stalls}/${f.game.stalls}` });
    expect(Math.max(s.game.rollbacks, f.game.rollbacks), 'rollbacks observed in window.cohort.game').toBeGreaterThan(0);
    expect(s.game.desyncs + f.game.desyncs).toBe(0);
    expect(slow.net.stats.connections).toBe(1);
  });
});

test.describe('human and AI', () => {
  test.use({ experiment: 'ai' });

  test('a human-AI episode completes with one browser', async ({ server, participants, orchestrate }) => {
    const [human] = await participants(1);
    const orch = orchestrate([human], { game: { scene: 'game', maxSteps: 150, seats: ['human', 'ai:greedy'] } });
    await orch.arrive();
    await orch.verifyPairing();
    expect(orch.groups[0].seats).toEqual([0]);
    orch.startKeys();
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports();
    const [s] = summaries;
    expect(s.seats[1].sources, 'the AI seat acts on every frame').toEqual({ ai: 150 });
    expect(s.seats[1].verified1 + s.seats[1].verified0, 'nobody reports hashes for the AI seat').toBe(0);
    expect(s.seats[0].verified1).toBeGreaterThan(0);
    const rows = sqlite(server.db, `SELECT seats FROM games WHERE game = '${orch.groups[0].id}'`);
    expect(rows[0].seats).toContain('ai:greedy');
  });
});
