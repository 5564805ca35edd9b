// The rollback client with the real cooking env (web/env.js + cooking.wasm), when built.
// Looks for build/web/envs/cooking.wasm (`make build/web/envs/cooking.wasm`), or the file
// named by COHORT_COOKING_WASM; skipped if neither exists.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipe, prng, resimulate, runEpisode, scriptedAction } from './sim.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmPath = process.env.COHORT_COOKING_WASM || path.join(root, 'build/web/envs/cooking.wasm');
const haveEnv = fs.existsSync(path.join(root, 'web/env.js')) && fs.existsSync(wasmPath);
const skip = haveEnv ? false : `needs web/env.js and ${path.relative(root, wasmPath)}`;

const NAME = 'cooking/cramped_room';

// runEpisode builds envs synchronously; wasm instantiation is async, so make a pool first.
async function envPool(n) {
  const { loadEnv } = await import('../../web/env.js');
  const bytes = fs.readFileSync(wasmPath);
  const envs = await Promise.all(Array.from({ length: n }, () => loadEnv(NAME, { bytes })));
  return () => {
    if (!envs.length) throw new Error('env pool exhausted');
    return envs.pop();
  };
}

// Seat 0 follows the scripted greedy cook on its own (predicted) state, seat 1 wanders:
// the kitchen sees real pick-ups, pots and deliveries, and plenty of mispredictions.
const greedyAndRandom = (seat, frame, client) =>
  seat === 0 ? client.env.policy('greedy', 0) : scriptedAction(seat, frame, 6);

test('cooking: 0 and 6 frames of latency, out-of-order inputs, both clients match the server', { skip }, async () => {
  const makeEnv = await envPool(4);
  const rnd = prng(2024);
  const up = [new Pipe(() => Math.floor(rnd() * 2), { ordered: false }), new Pipe(() => 5 + Math.floor(rnd() * 3), { ordered: false })];
  const down = [new Pipe(0), new Pipe(6)];
  const horizon = 400;
  const seed = 987654321987654321n;
  const run = runEpisode({ makeEnv, D: 2, W: 15, P: 30, horizon, seed, up, down, action: greedyAndRandom });
  assert.ok(run.ended.every(Boolean));
  assert.equal(run.relay.confirmed, horizon);
  const ref = resimulate(makeEnv, seed, horizon, run.relay.actions);
  assert.deepEqual(ref.hashes, run.relay.hashes, 'the server trajectory re-simulates exactly');
  for (const c of run.clients) {
    assert.equal(c.frame, horizon);
    assert.equal(c.env.hash(), ref.final, `seat ${c.seat} ends on the server's state`);
    assert.equal(c.desyncs, 0);
    assert.ok(c.rollbacks > 0, `seat ${c.seat} rolled back (${c.rollbacks}, max depth ${c.maxRollback})`);
    assert.ok(c.maxRollback <= 30);
  }
  assert.equal(run.relay.desyncEvents, 0);
  assert.ok(run.relay.verified > 300, 'client hashes were checked against the server');
  const scores = run.clients.map((c) => c.lastInfo?.[0]);
  assert.equal(scores[0], scores[1], 'both see the same score');
  assert.ok(scores[0] > 0, `soups were served (score ${scores[0]})`);
});

test('cooking: a dropped connection resumes from STATE and converges', { skip }, async () => {
  const makeEnv = await envPool(4);
  const up = [new Pipe(1), new Pipe(2)];
  const down = [new Pipe(1), new Pipe(2)];
  const run = runEpisode({
    makeEnv, D: 2, W: 15, P: 30, horizon: 400, seed: 42n, up, down, action: greedyAndRandom,
    onTick(t, { relay, resend }) {
      if (t === 90) { up[1].cut(); down[1].cut(); relay.disconnect(1); }
      if (t === 150) { up[1].restore(); down[1].restore(); relay.reconnect(1); resend.add(1); }
    },
  });
  const ref = resimulate(makeEnv, 42n, 400, run.relay.actions);
  for (const c of run.clients) assert.equal(c.env.hash(), ref.final);
  assert.ok(run.clients[1].resyncs >= 1);
  assert.equal(run.clients[0].stalls, 0);
});
