// Writes starting inputs for the fuzz_envs corpus (format in fuzz_envs.c): for every env,
// a reset-mode input and a raw-state input whose state is a real mid-game state (played
// with the wasm build through web/env.js), each followed by mixed action bytes.
//   node tests/determinism/fuzz_seeds.mjs CORPUS_DIR [--wasm build/web/envs]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = process.argv[2];
const wasm = process.argv[3] === '--wasm' ? process.argv[4] : 'build/web/envs';
if (!dir) { console.error('usage: fuzz_seeds.mjs CORPUS_DIR [--wasm DIR]'); process.exit(2); }
const { loadEnv } = await import(pathToFileURL(join(root, 'web/env.js')).href);
const { envNames } = await import(pathToFileURL(join(root, 'tests/determinism/env_names.mjs')).href);
const ENVS = await envNames(resolve(root, wasm)); // registry order
mkdirSync(dir, { recursive: true });
let r = 99;
const next = () => { r = (Math.imul(r, 1664525) + 1013904223) >>> 0; return r >>> 24; };
for (let i = 0; i < ENVS.length; i++) {
  const env = await loadEnv(ENVS[i], { bytes: readFileSync(resolve(root, wasm, `${ENVS[i].split('/')[0]}.wasm`)) });
  env.reset(BigInt(i + 1), 0);
  for (let t = 0; t < 150; t++) {
    env.step(Array.from({ length: env.info.players }, (_, p) => (p === 0 ? env.policy(0, 0) : next() % env.info.actions)));
  }
  const state = env.getState();
  for (const raw of [0, 1]) {
    const head = [i, raw, i + 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const actions = Array.from({ length: 600 }, (_, k) => (k % 7 === 0 ? 0xF3 : next() % (env.info.actions + 2)));
    const bytes = Uint8Array.from([...head, ...(raw ? state : []), ...actions]);
    writeFileSync(join(dir, `seed-${i}-${raw ? 'raw' : 'reset'}`), bytes);
  }
}
