// The rollback client in a four-player game: the real commons env (web/env.js +
// commons.wasm), so every client predicts three remote seats and rolls back when any of
// them differs. Skipped unless build/web/envs/commons.wasm exists (`make`).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipe, prng, resimulate, runEpisode, scriptedAction } from './sim.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmPath = path.join(root, 'build/web/envs/commons.wasm');
const skip = fs.existsSync(wasmPath) ? false : `needs ${path.relative(root, wasmPath)}`;

async function envPool(n) {
  const { loadEnv } = await import('../../web/env.js');
  const bytes = fs.readFileSync(wasmPath);
  const envs = await Promise.all(Array.from({ length: n }, () => loadEnv('commons/harvest', { bytes })));
  return () => {
    if (!envs.length) throw new Error('env pool exhausted');
    return envs.pop();
  };
}

// Seats 0 and 2 harvest with the scripted players, 1 and 3 wander and tag (action 5).
const mixed = (seat, frame, client) =>
  seat === 0 ? client.env.policy('sustainable', 0)
    : seat === 2 ? client.env.policy('greedy', 2)
      : scriptedAction(seat, frame, 6);

test('commons: four clients at 0 to 7 frames of latency, inputs out of order, all match the server', { skip }, async () => {
  const makeEnv = await envPool(6);
  const rnd = prng(17);
  const lag = [0, 2, 4, 6];
  const up = lag.map((l) => new Pipe(() => l + Math.floor(rnd() * 2), { ordered: false }));
  const down = lag.map((l) => new Pipe(l));
  const horizon = 400;
  const seed = 1234567890123n;
  const run = runEpisode({ makeEnv, nseats: 4, D: 2, W: 15, P: 30, horizon, seed, up, down, action: mixed });
  assert.ok(run.ended.every(Boolean));
  // The greedy player may strip the orchard before the horizon: the episode then ends.
  const frames = run.relay.confirmed;
  assert.ok(frames > 200, `${frames} frames`);
  const ref = resimulate(makeEnv, seed, horizon, run.relay.actions);
  assert.deepEqual(ref.hashes, run.relay.hashes, 'the server trajectory re-simulates exactly');
  for (const c of run.clients) {
    assert.equal(c.frame, frames);
    assert.equal(c.env.hash(), ref.final, `seat ${c.seat} ends on the server's state`);
    assert.equal(c.desyncs, 0);
    assert.ok(c.maxRollback <= 30);
  }
  // Each client mispredicted some remote seat, and the far ones rolled back deeper.
  assert.ok(run.clients.every((c) => c.rollbacks > 0), `rollbacks ${run.clients.map((c) => c.rollbacks)}`);
  assert.equal(run.relay.desyncEvents, 0);
  assert.ok(run.relay.verified > 4 * 150, 'every client reported hashes that were checked');
  const eaten = run.clients.map((c) => c.lastInfo?.[1]);
  assert.ok(eaten.every((e) => e === eaten[0]) && eaten[0] > 0, `all see the same apples eaten (${eaten})`);
  assert.ok(run.relay.actions.some((a) => a.includes(5)), 'somebody tagged');
});
