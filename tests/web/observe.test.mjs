// Observations in the browser's env (web/env.js over the wasm build): env.info.observations,
// env.observe(name or index, seat), and the values against overcooked_ai's own
// (tests/fixtures/obs/, the same reference the native test_env_obs checks).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmDir = path.join(root, 'build/web/envs');
const have = fs.existsSync(path.join(wasmDir, 'cooking.wasm')) && fs.existsSync(path.join(wasmDir, 'volley.wasm'));
const skip = have ? false : 'needs build/web/envs/{cooking,volley}.wasm (make web)';
const { loadEnv } = await import(pathToFileURL(path.join(root, 'web/env.js')).href);

const bytes = (family) => fs.readFileSync(path.join(wasmDir, `${family}.wasm`));
const open = (name) => loadEnv(name, { bytes: bytes(name.split('/')[0]) });
const idx = (h, c, x, y, ch) => (x * h + y) * c + ch;

test('every cooking env lists lossless2019 and lossless with its grid size', { skip }, async () => {
  const sizes = {
    cramped_room: [5, 4], asymmetric_advantages: [9, 5], coordination_ring: [5, 5],
    forced_coordination: [5, 5], counter_circuit: [8, 5], counter_circuit_site2019: [8, 5],
  };
  for (const [layout, [w, h]] of Object.entries(sizes)) {
    const env = await open(`cooking/${layout}`);
    assert.deepEqual(env.info.observations.map((o) => ({ name: o.name, shape: [...o.shape] })), [
      { name: 'lossless2019', shape: [w, h, 20] },
      { name: 'lossless', shape: [w, h, 26] },
    ]);
    env.reset(3n, 0);
    assert.equal(env.observe('lossless2019', 0).length, w * h * 20);
    assert.equal(env.observe('lossless', 1).length, w * h * 26);
  }
  const volley = await open('volley/slime');
  assert.deepEqual(volley.info.observations, []);
  assert.throws(() => volley.observe('lossless2019', 0), /unknown observation/);
});

test('observe encodes the current state with the seat as the primary agent', { skip }, async () => {
  const env = await open('cooking/cramped_room'); // chef 0 starts at (1,2), chef 1 at (3,1)
  env.reset(1n, 0);
  const a = env.observe('lossless2019', 0);
  assert.ok(a instanceof Int32Array);
  assert.equal(a[idx(4, 20, 1, 2, 0)], 1); // primary's cell
  assert.equal(a[idx(4, 20, 3, 1, 1)], 1); // the other's
  assert.equal(a[idx(4, 20, 1, 2, 2)], 1); // primary faces north
  const b = env.observe('lossless2019', 1);
  assert.equal(b[idx(4, 20, 3, 1, 0)], 1);
  assert.equal(b[idx(4, 20, 1, 2, 1)], 1);
  assert.deepEqual(env.observe(0, 0), a); // by index as by name
  env.step([3, 4]); // chef 0 right: to (2,2), now facing east (overcooked_ai's index 2)
  const c = env.observe('lossless2019', 0);
  assert.equal(c[idx(4, 20, 1, 2, 0)], 0);
  assert.equal(c[idx(4, 20, 2, 2, 0)], 1);
  assert.equal(c[idx(4, 20, 2, 2, 2 + 2)], 1);
  assert.equal(a[idx(4, 20, 1, 2, 0)], 1); // the earlier array is a copy: unchanged
  c.fill(9);
  assert.equal(env.observe('lossless2019', 0)[idx(4, 20, 0, 0, 0)], 0);
});

test('observe throws on an unknown observation or seat, or a state of another layout', { skip }, async () => {
  const env = await open('cooking/cramped_room');
  env.reset(1n, 0);
  assert.throws(() => env.observe('lossless2020', 0), /unknown observation lossless2020/);
  assert.throws(() => env.observe(2, 0), /unknown observation/);
  assert.throws(() => env.observe(-1, 0), /unknown observation/);
  assert.throws(() => env.observe('lossless', 2), /bad seat/);
  assert.throws(() => env.observe('lossless', -1), /bad seat/);
  assert.throws(() => env.observe('lossless', 0.5), /bad seat/);
  const other = await open('cooking/asymmetric_advantages');
  other.reset(1n, 0);
  env.setState(other.getState());
  assert.throws(() => env.observe('lossless', 0), /cannot encode/);
});

function readFixture(file) {
  const states = [];
  for (const line of fs.readFileSync(path.join(root, 'tests/fixtures/obs', file), 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'state') states.push({ env: f[1], bytes: Uint8Array.from(Buffer.from(f[2], 'hex')), obs: [] });
    else if (f[0] === 'obs') states.at(-1).obs[Number(f[1])] = f.slice(3).map((p) => p.split(':').map(Number));
  }
  return states;
}

for (const [file, name] of [['lossless2019.txt', 'lossless2019'], ['lossless.txt', 'lossless']]) {
  test(`the wasm ${name} equals overcooked_ai's on the reference states`, { skip }, async () => {
    const states = readFixture(file);
    assert.ok(states.length >= 200);
    const envs = new Map();
    for (const s of states) {
      if (!envs.has(s.env)) envs.set(s.env, await open(s.env));
      const env = envs.get(s.env);
      env.setState(s.bytes);
      for (let seat = 0; seat < 2; seat++) {
        const got = env.observe(name, seat);
        const want = new Int32Array(got.length);
        for (const [i, v] of s.obs[seat]) want[i] = v;
        assert.deepEqual(got, want, `${s.env} seat ${seat}`);
      }
    }
    assert.equal(envs.size, 6);
  });
}
