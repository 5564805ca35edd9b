// Trained-model seats (web/agent.js, docs/AGENTS.md): the shipped models load and answer as
// TensorFlow.js itself answers on the published files; the ONNX path agrees with the
// TensorFlow.js one on the same weights; picks and seeded draws are reproducible.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ModelAgent, drawUniform, episodeSeed, pickIndex } from '../../web/agent.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const models = path.join(root, 'models');

let tf = null;
let ort = null;
try {
  tf = await import('@tensorflow/tfjs');
  tf.enableProdMode(); // no advert for the native backend on the first tensor
  await tf.setBackend('cpu');
  ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
} catch {
  // scripts/setup --agents installs them; without them only the pure parts are tested
}
const runtimes = { tf, ort };
const skip = !tf || !ort ? 'the model runtimes are not installed (scripts/setup --agents)' : false;
const readFile = async (f) => fs.readFileSync(f);

function modelDirs() {
  const out = [];
  for (const set of ['site', 'hrl']) {
    for (const d of fs.readdirSync(path.join(models, 'overcooked-2019', set)).sort()) out.push(path.join(models, 'overcooked-2019', set, d));
  }
  return out;
}

// The input shape a model was exported with: [batch, x, y, channels].
function exportedShape(dir) {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json')));
  const ph = m.modelTopology.node.find((n) => n.op === 'Placeholder');
  return ph.attr.shape.shape.dim.map((d) => Number(d.size));
}

// A fake env holding one observation: what ModelAgent reads of an Env.
function fakeEnv(shape, obs) {
  return {
    info: { name: 'cooking/test', defaultAction: 4, observations: [{ name: 'lossless2019', shape }] },
    observe(name) { assert.equal(name, 'lossless2019'); return obs; },
  };
}

// Fixed, varied observations: a few ones and small counts, like the lossless encoding's.
function fixedObservation(shape, salt) {
  const n = shape[0] * shape[1] * shape[2];
  const obs = new Int32Array(n);
  let x = 0x9e3779b9 ^ salt;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    obs[i] = x % 17 === 0 ? 1 + (x >>> 28) % 3 : 0;
  }
  return obs;
}

const spec = (dir, format = 'tfjs') => ({
  seat: 1,
  url: format === 'tfjs' ? path.join(dir, 'model.json') : dir,
  format,
  obs: 'lossless2019',
  actions: [0, 1, 3, 2, 4, 5],
  pick: 'argmax',
});

test('the shipped model files are byte for byte as published (models/SHA256SUMS)', () => {
  const lines = fs.readFileSync(path.join(models, 'SHA256SUMS'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 60, '30 agents of two files each');
  for (const line of lines) {
    const [sum, file] = line.split(/\s+/);
    const digest = crypto.createHash('sha256').update(fs.readFileSync(path.join(models, file))).digest('hex');
    assert.equal(digest, sum, file);
  }
});

test('every shipped agent answers one state as TensorFlow.js answers the published batch of 30', { skip }, async () => {
  const dirs = modelDirs();
  assert.equal(dirs.length, 30);
  for (const dir of dirs) {
    const [batch, w, h, c] = exportedShape(dir);
    assert.equal(batch, 30, dir);
    assert.equal(c, 20, dir);
    const obs = fixedObservation([w, h, c], dir.length);
    const agent = await ModelAgent.load(spec(dir), fakeEnv([w, h, c], obs), runtimes, readFile);
    const mine = agent.probabilities(fakeEnv([w, h, c], obs));
    agent.dispose();
    // The runtime's own output on the files as published: the state in row 0 of a batch
    // of 30, the rest zeros, exactly as the 2019 site fed it.
    const raw = await tf.loadGraphModel(tf.io.fromMemory(await (async () => {
      const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json')));
      const bin = fs.readFileSync(path.join(dir, 'group1-shard1of1'));
      return { modelTopology: m.modelTopology, weightSpecs: m.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) };
    })()));
    const input = new Float32Array(30 * w * h * c);
    input.set(obs);
    const theirs = tf.tidy(() => raw.execute(tf.tensor(input, [30, w, h, c])).arraySync()[0]);
    raw.dispose();
    assert.equal(mine.length, 6, dir);
    let sum = 0;
    for (let i = 0; i < 6; i++) {
      assert.ok(Math.abs(mine[i] - theirs[i]) < 1e-6, `${dir} output ${i}: ${mine[i]} vs ${theirs[i]}`);
      sum += mine[i];
    }
    assert.ok(Math.abs(sum - 1) < 1e-5, `${dir}: probabilities sum to ${sum}`);
  }
});

test('the ONNX path gives the TensorFlow.js probabilities on the same weights', { skip }, async () => {
  const dir = path.join(models, 'overcooked-2019/site/ppo_sp_cramped_room');
  const onnxFile = path.join(root, 'tests/fixtures/models/ppo_sp_cramped_room.onnx');
  for (let salt = 0; salt < 20; salt++) {
    const obs = fixedObservation([5, 4, 20], salt);
    const env = fakeEnv([5, 4, 20], obs);
    const a = await ModelAgent.load(spec(dir), env, runtimes, readFile);
    const b = await ModelAgent.load(spec(onnxFile, 'onnx'), env, runtimes, readFile);
    assert.equal(a.synchronous, true);
    assert.equal(b.synchronous, false);
    const pa = a.probabilities(env);
    const pb = await b.probabilities(env);
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(pa[i] - pb[i]) < 1e-5, `state ${salt} output ${i}: ${pa[i]} vs ${pb[i]}`);
    assert.equal(a.decide(env, 0, 1n), await b.decide(env, 0, 1n));
    a.dispose();
    b.dispose();
  }
});

test('a model whose input does not fit the observation is refused with both shapes', { skip }, async () => {
  const dir = path.join(models, 'overcooked-2019/site/ppo_sp_cramped_room');
  const env = fakeEnv([9, 5, 20], new Int32Array(900));
  await assert.rejects(ModelAgent.load(spec(dir), env, runtimes, readFile), /takes \[5,4,20\] but lossless2019 of cooking\/test is \[9,5,20\]/);
  await assert.rejects(ModelAgent.load({ ...spec(dir), obs: 'nosuch' }, env, runtimes, readFile), /has no observation "nosuch"/);
});

test('argmax takes the largest output, the first on a tie; actions map to the env', () => {
  assert.equal(pickIndex([0.1, 0.5, 0.5, 0.2], 'argmax', 0), 1);
  assert.equal(pickIndex([0.9, 0.05, 0.05], 'argmax', 0.99), 0);
});

test('sampling draws each output about as often as its probability, the same way each run', () => {
  const probs = [0.1, 0.2, 0.0, 0.3, 0.4];
  const counts = [0, 0, 0, 0, 0];
  const N = 20000;
  for (let f = 0; f < N; f++) counts[pickIndex(probs, 'sample', drawUniform(12345n, f, 1))]++;
  assert.equal(counts[2], 0, 'an output of probability 0 is never drawn');
  for (let i = 0; i < probs.length; i++) {
    const sd = Math.sqrt(N * probs[i] * (1 - probs[i]));
    assert.ok(Math.abs(counts[i] - N * probs[i]) <= 4 * sd + 1, `output ${i}: ${counts[i]} of ${N}`);
  }
  assert.equal(drawUniform(7n, 3, 1), drawUniform(7n, 3, 1));
  assert.notEqual(drawUniform(7n, 3, 1), drawUniform(7n, 3, 0));
  assert.notEqual(drawUniform(7n, 3, 1), drawUniform(7n, 4, 1));
  assert.notEqual(drawUniform(7n, 3, 1), drawUniform(8n, 3, 1));
});

test('episode seeds follow the server\'s room_episode_seed (values printed by the C)', () => {
  // src/room/room.c room_episode_seed(game seed, episode), as tests/unit/test_room.c checks.
  const expected = [
    [0n, 0, 16294208416658607535n], [0n, 2, 487617019471545679n],
    [12345n, 1, 3778200017661327597n], [18446744073709551615n, 2, 4048727598324417001n],
  ];
  for (const [g, e, want] of expected) assert.equal(episodeSeed(g, e), want);
});
