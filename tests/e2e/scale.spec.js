// Issue 6: many participants at once (docs/DESIGN.md section 11): 3 concurrent games of 2,
// staggered arrivals paired as they arrived, concurrent games under different faults.
// Every game is checked on its own, and a failure names the game.
import { test, expect } from './fixtures.js';

test.use({ experiment: 'game' });
const GAME = { scene: 'game', maxSteps: 150, episodes: 1 };

test('3 concurrent games (6 participants): every game completes with parity', async ({ server, participants, orchestrate }) => {
  test.setTimeout(120_000);
  const ps = await participants(6);
  const orch = orchestrate(ps, { game: GAME, groupStaggerMs: 300, memberStaggerMs: 50 });
  await orch.arrive();
  await orch.verifyPairing();
  orch.startKeys();
  await orch.waitDone();
  await orch.stopKeys();
  await orch.checkExports();
  const h = await server.health();
  expect(h.body.games_started).toBe(3);
});

test('staggered arrival: pairs 2 s apart, partners within 100 ms, paired as they arrived', async ({ participants, orchestrate }) => {
  test.setTimeout(120_000);
  const ps = await participants(6);
  const orch = orchestrate(ps, { game: GAME, groupStaggerMs: 2000, memberStaggerMs: 80 });
  await orch.arrive();
  await orch.verifyPairing();
  // Partners pressed Start within 100 ms of each other (plus the time the server took to answer).
  for (const g of orch.groups) {
    const ts = orch.arrivals.filter((a) => g.members.some((p) => p.name === a.name)).map((a) => a.t);
    test.info().annotations.push({ type: 'arrival', description: `${orch.label(g)}: partners ${Math.max(...ts) - Math.min(...ts)} ms apart` });
  }
  orch.startKeys();
  await orch.waitDone();
  await orch.stopKeys();
  await orch.checkExports();
  await orch.verifyMatchedAsArrived(); // the matches table pairs exactly the arrival groups
});

test('3 concurrent games under different faults (200 ms, jitter 100+-75, 15% loss): parity for each', async ({ participants, orchestrate }) => {
  test.setTimeout(120_000);
  const ps = await participants(6);
  (await ps[0].withNet(11)).latency(200);
  (await ps[2].withNet(12)).jitter(100, 75);
  (await ps[4].withNet(13)).loss(0.15);
  const orch = orchestrate(ps, { game: GAME, groupStaggerMs: 300, memberStaggerMs: 50 });
  await orch.arrive();
  await orch.verifyPairing();
  orch.startKeys();
  await orch.waitDone();
  await orch.stopKeys();
  await orch.checkExports();
  for (const g of orch.groups) {
    const d = g.final.map((s) => `rollbacks ${s.game.rollbacks} stalls ${s.game.stalls}`).join(' / ');
    test.info().annotations.push({ type: 'result', description: `${orch.label(g)}: ${d}` });
    for (const s of g.final) expect(s.game.desyncs, `${orch.label(g)} desyncs`).toBe(0);
  }
});
