// Issue 6: faults on the game path (docs/DESIGN.md sections 6 and 11), one pair per fault,
// injected per page with page.routeWebSocket (lib/network.js). Every game must complete
// with parity and verified hashes; the healthy partner must never stall because of the
// faulty one (section 6: "a healthy player never stalls because of a bad one").
import { test, expect } from './fixtures.js';

// name, faults per player [a, b] (null = direct connection), extra checks.
const FAULTS = [
  ['fixed 100 ms each way on one player', [(n) => n.latency(100), null]],
  ['fixed 200 ms each way on one player', [(n) => n.latency(200), null]],
  ['asymmetric: 50 ms on one player, 200 ms on the other', [(n) => n.latency(50), (n) => n.latency(200)]],
  ['jitter 100 +- 75 ms on one player', [(n) => n.jitter(100, 75), null]],
  ['15% loss (TCP-like 200 ms stalls) on one player', [(n) => n.loss(0.15), null]],
];

async function playPair({ participants, orchestrate }, faults, game) {
  const [a, b] = await participants(2, { names: ['a', 'b'] });
  const nets = [];
  for (const [i, p] of [a, b].entries()) {
    if (faults[i]) {
      const net = await p.withNet(7000 + i);
      faults[i](net);
      nets.push(net);
    }
  }
  const orch = orchestrate([a, b], { game });
  await orch.arrive();
  await orch.verifyPairing();
  orch.startKeys();
  return { a, b, orch, nets };
}

function note(orch, nets) {
  const [sa, sb] = orch.groups[0].final;
  const d = (s) => `rollbacks ${s.game.rollbacks} (max ${s.game.maxRollback}) stalls ${s.game.stalls} desyncs ${s.game.desyncs}`;
  test.info().annotations.push({ type: 'result', description: `a: ${d(sa)}; b: ${d(sb)}; ${nets.map((n) => n.summary()).join('; ')}` });
  return [sa, sb];
}

test.describe('faults', () => {
  test.use({ experiment: 'game' });
  for (const [name, faults] of FAULTS) {
    test(`${name}: completes with parity`, async ({ participants, orchestrate }) => {
      const { orch, nets } = await playPair({ participants, orchestrate }, faults, { scene: 'game', maxSteps: 150 });
      await orch.waitDone();
      await orch.stopKeys();
      await orch.checkExports();
      const [sa, sb] = note(orch, nets);
      expect(sa.game.desyncs + sb.game.desyncs, 'desyncs').toBe(0);
      if (!faults[1]) expect(sb.game.stalls, 'the healthy partner never stalls').toBe(0);
      for (const n of nets) expect(n.stats.connections, 'no reconnects needed').toBe(1);
    });
  }
});

test.describe('stall', () => {
  test.use({ experiment: 'long' });

  test('a 5 s stall on one player: the partner plays on, both recover, parity', async ({ participants, orchestrate }) => {
    const { a, b, orch, nets } = await playPair({ participants, orchestrate }, [() => {}, null], { scene: 'game', maxSteps: 300 });
    const [net] = nets;
    await a.waitFor(() => window.cohort.state === 'playing' && window.cohort.game.frame >= 30, { what: 'frame 30' });
    const before = (await b.status()).game.frame;
    await net.stall(5000); // hold the stall for its stated duration
    const after = (await b.status()).game.frame;
    expect(after - before, 'the healthy partner kept playing through the stall').toBeGreaterThan(120);
    await orch.waitDone();
    await orch.stopKeys();
    const [{ summaries }] = await orch.checkExports();
    const [sa, sb] = note(orch, nets);
    expect(sb.game.stalls, 'the healthy partner never stalls').toBe(0);
    expect(sa.game.desyncs + sb.game.desyncs).toBe(0);
    // Seat of a: its inputs count again in the last 2 s (after the stall plus 2 s).
    const seatA = orch.groups[0].seats[0];
    const { rows } = await import('./lib/exports.js').then((m) => m.readCsv(summaries[0].file));
    const tail = rows.slice(-60);
    const inputs = tail.filter((r) => r[`source.${seatA}`] === 'input').length;
    expect(inputs, `frames of the last 60 where the stalled player's own input counted (seat ${seatA})`).toBeGreaterThanOrEqual(45);
  });
});
