// Wasm env benchmark under Node, through web/env.js (`make bench`, or
// node bench/envs/bench.mjs [--wasm build/web/envs] [--seconds 0.3]).
// Per env, nanoseconds per call of the loader API the game client uses:
// step(actions) (returns a result object), stepRaw(actions) (no result object), hash(),
// getState()+setState() (a snapshot and a restore), policy(), render(). Best of 5 rounds.
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = { wasm: 'build/web/envs', seconds: '0.3' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const { loadEnv } = await import(pathToFileURL(join(root, 'web/env.js')).href);
const budget = Number(args.seconds) * 1000;

const { envNames } = await import(pathToFileURL(join(root, 'tests/determinism/env_names.mjs')).href);
const ENVS = await envNames(resolve(root, args.wasm)); // every family module there

const NACT = 65536;
const acts = new Int32Array(NACT);
let r = 12345;
for (let i = 0; i < NACT; i++) { r = (Math.imul(r, 1664525) + 1013904223) >>> 0; acts[i] = (r >>> 16) % 6; }

// Best of 5 rounds (the machine may be busy with other work).
function measure(fn) {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let ops = 0;
    const t0 = performance.now();
    let t;
    do {
      for (let k = 0; k < 1024; k++) fn(k);
      ops += 1024;
      t = performance.now();
    } while (t - t0 < budget / 5);
    best = Math.min(best, ((t - t0) * 1e6) / ops);
  }
  return best;
}

const pad = (s, n) => String(s).padStart(n);
console.log(`wasm (Node ${process.version}, via web/env.js), ns per operation`);
console.log(`${'env'.padEnd(31)} ${pad('step', 8)} ${pad('steps/s', 9)} ${pad('stepRaw', 8)} ${pad('hash', 7)} ${pad('get+setState', 12)} ${pad('policy', 8)} ${pad('render', 8)}`);
const bytesByFamily = new Map();
for (const name of ENVS) {
  const family = name.split('/')[0];
  if (!bytesByFamily.has(family)) bytesByFamily.set(family, readFileSync(resolve(root, args.wasm, `${family}.wasm`)));
  const env = await loadEnv(name, { bytes: bytesByFamily.get(family) });
  let ai = 0, episodes = 0;
  const pair = [0, 0];
  const fresh = () => { env.reset(BigInt(++episodes), 0); for (let k = 0; k < 100; k++) env.step([acts[2 * k], acts[2 * k + 1]]); };
  const stepper = (raw) => () => {
    pair[0] = acts[ai]; pair[1] = acts[ai + 1]; ai = (ai + 2) & (NACT - 4);
    if (raw) { env.stepRaw(pair); if (env._out.getUint8(16) || env._out.getUint8(17)) env.reset(BigInt(++episodes), 0); }
    else { const o = env.step(pair); if (o.terminated || o.truncated) env.reset(BigInt(++episodes), 0); }
  };
  let sink = 0n;
  fresh(); const step = measure(stepper(false));
  fresh(); const stepRaw = measure(stepper(true));
  fresh(); const hash = measure(() => { sink ^= env.hash(); });
  fresh();
  const snap = measure(() => { const s = env.getState(); env.setState(s); });
  fresh();
  const policy = measure((k) => { sink += BigInt(env.policy(0, k & 1)); if ((k & 63) === 0) stepper(true)(); });
  fresh(); const render = measure(() => { sink += BigInt(env.render().length); });
  console.log(`${name.padEnd(31)} ${pad(step.toFixed(1), 8)} ${pad((1e9 / step).toPrecision(3), 9)} ${pad(stepRaw.toFixed(1), 8)} ${pad(hash.toFixed(1), 7)} ${pad(snap.toFixed(1), 12)} ${pad(policy.toFixed(1), 8)} ${pad(render.toFixed(1), 8)}`);
  if (sink === -1n) console.log('');
}
