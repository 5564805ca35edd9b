// Cross-target determinism check: replays the runs of dethash.c in the wasm builds (via
// web/env.js) and compares, step by step, the state hash, then the step results checksum,
// the final state bytes, the final draw list and the observations (after every 97th step,
// and of damaged states).
//
//   node tests/determinism/check.mjs [--native build/tests/env_dethash] [--wasm build/web/envs]
//                                    [--seeds 50] [--steps 5000]
//
// It runs the native program itself (into a temporary file) unless --file FILE is given.
// Also checks, mid-run, that a second Env given the state by setState continues identically.
// Exit status 0 = identical everywhere.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = { native: 'build/tests/env_dethash', wasm: 'build/web/envs', seeds: '50', steps: '5000', file: null };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args)) { console.error(`unknown option ${process.argv[i]}`); process.exit(2); }
  args[k] = process.argv[i + 1];
}
const { loadEnv, decodeDrawList } = await import(pathToFileURL(join(root, 'web/env.js')).href);

const t0 = Date.now();
let file = args.file, tmp = null;
if (!file) {
  tmp = mkdtempSync(join(tmpdir(), 'cohort-det-'));
  file = join(tmp, 'native.bin');
  const r = spawnSync(resolve(root, args.native), [file, args.seeds, args.steps], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`determinism: ${args.native} failed (${r.status ?? r.error})`); process.exit(1); }
}
const buf = readFileSync(file);
if (tmp) rmSync(tmp, { recursive: true, force: true });
const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
let off = 0;
const u32 = () => { const v = dv.getUint32(off, true); off += 4; return v; };
if (buf.toString('latin1', 0, 4) !== 'CDT2') { console.error('determinism: bad native file'); process.exit(1); }
off = 4;
const nenvs = u32(), nseeds = u32(), nsteps = u32();

// The same run rules as dethash.c run_spec() / random_action().
const U64 = (1n << 64n) - 1n;
function runSpec(e, k) {
  const seed = k === 0 ? 0n : k === 1 ? U64 : (BigInt(k) * 0x9E3779B97F4A7C15n + 0x1234567n) & U64;
  const horizon = k % 4 === 0 ? 0 : 200 + (k * 37) % 900;
  const rng = (Math.imul(k, 2654435761) + Math.imul(e, 97) + 1) >>> 0;
  const policySeats = k % 5 === 1 ? 1 : k % 5 === 2 ? 3 : 0;
  return { seed, horizon, rng, policySeats };
}
function makeLcg(s) {
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
}
const OBS_EVERY = 97; // dethash.c's
// Every observation of the env's current state for every seat as one checksum, the way
// dethash.c obs_checksum() makes it (a count of 0 when the env encodes nothing).
function obsChecksum(env) {
  let sum = 0;
  env.info.observations.forEach((o, k) => {
    for (let p = 0; p < env.info.players; p++) {
      let v;
      try { v = env.observe(k, p); } catch { v = new Int32Array(0); }
      sum = (Math.imul(sum, 31) + v.length) >>> 0;
      for (let i = 0; i < v.length; i++) sum = (Math.imul(sum, 31) + v[i]) >>> 0;
    }
  });
  return sum;
}
function randomAction(next, nactions) {
  const r = next();
  if (((r >>> 24) & 63) === 0) return r | 0;
  return ((r >>> 16) % (nactions + 3)) - 1;
}

const wasmBytes = new Map();
function bytesFor(family) {
  if (!wasmBytes.has(family)) wasmBytes.set(family, readFileSync(resolve(root, args.wasm, `${family}.wasm`)));
  return wasmBytes.get(family);
}

let failures = 0, checkedSteps = 0;
const fail = (msg) => { failures++; if (failures <= 20) console.error(`determinism: ${msg}`); };

for (let e = 0; e < nenvs; e++) {
  const nameLen = u32();
  const name = buf.toString('latin1', off, off + nameLen); off += nameLen;
  const stateSize = u32();
  const nobs = u32();
  const bytes = bytesFor(name.split('/')[0]);
  const env = await loadEnv(name, { bytes });
  const twin = await loadEnv(name, { bytes }); // a second, independent instance
  if (env.info.stateSize !== stateSize) fail(`${name}: state size wasm ${env.info.stateSize} native ${stateSize}`);
  if (env.info.observations.length !== nobs) fail(`${name}: observations wasm ${env.info.observations.length} native ${nobs}`);
  let obsCompared = 0;
  const players = env.info.players, nactions = env.info.actions;
  let envFailures = 0;
  const t1 = Date.now();
  for (let k = 0; k < nseeds; k++) {
    const spec = runSpec(e, k);
    const next = makeLcg(spec.rng);
    env.reset(spec.seed, spec.horizon);
    let episodeSeed = spec.seed;
    let sum = 0;
    const actions = new Array(players);
    const twinFrom = Math.floor(nsteps / 2), twinTo = twinFrom + 100;
    let firstBad = -1, twinOk = true;
    const obsSums = [];
    for (let t = 0; t < nsteps; t++) {
      for (let p = 0; p < players; p++) {
        actions[p] = (spec.policySeats >> p) & 1 && env.info.policies.length
          ? env.policy(0, p) : randomAction(next, nactions);
      }
      if (t === twinFrom) twin.setState(env.getState());
      const out = env.step(actions);
      const h = env.hash();
      const want = dv.getBigUint64(off + 8 * t, true);
      if (h !== want && firstBad < 0) firstBad = t;
      const twinOn = t >= twinFrom && t < twinTo && twinOk;
      if (twinOn) {
        twin.step(actions);
        if (twin.hash() !== h) { twinOk = false; envFailures++; fail(`${name} seed#${k}: a setState copy diverged at step ${t}`); }
      }
      for (let p = 0; p < players; p++) sum = (Math.imul(sum, 31) + out.rewards[p]) >>> 0;
      sum = (Math.imul(sum, 31) + (out.terminated ? 1 : 0)) >>> 0;
      sum = (Math.imul(sum, 31) + (out.truncated ? 1 : 0)) >>> 0;
      for (const v of out.info) sum = (Math.imul(sum, 31) + v) >>> 0;
      if (nobs && (t + 1) % OBS_EVERY === 0) obsSums.push(obsChecksum(env));
      if (out.terminated || out.truncated) {
        episodeSeed = (episodeSeed + 1n) & U64;
        env.reset(episodeSeed, spec.horizon);
        if (twinOn) twin.reset(episodeSeed, spec.horizon);
      }
      checkedSteps++;
    }
    off += 8 * nsteps;
    if (firstBad >= 0) { envFailures++; fail(`${name} seed#${k}: hash differs first at step ${firstBad}`); }
    const wantSum = u32();
    if (wantSum !== sum) { envFailures++; fail(`${name} seed#${k}: step results checksum differs`); }
    const wantState = buf.subarray(off, off + stateSize); off += stateSize;
    if (!Buffer.from(env.getState()).equals(wantState)) { envFailures++; fail(`${name} seed#${k}: final state bytes differ`); }
    const count = u32();
    const wantDraw = decodeDrawList(buf.buffer, buf.byteOffset + off, count); off += 48 * count;
    if (JSON.stringify(env.render()) !== JSON.stringify(wantDraw)) { envFailures++; fail(`${name} seed#${k}: final draw list differs`); }
    const nsums = u32();
    let obsBad = nsums !== obsSums.length ? 0 : -1;
    for (let i = 0; i < nsums; i++) if (u32() !== obsSums[i] && obsBad < 0) obsBad = i;
    if (obsBad >= 0) { envFailures++; fail(`${name} seed#${k}: observations differ first after step ${(obsBad + 1) * OBS_EVERY}`); }
    obsCompared += nsums;
  }
  // damaged states: the reset state with 1-16 bytes overwritten, as dethash.c makes them
  const ngarbage = u32();
  const rng = makeLcg((Math.imul(e, 7919) + 3) >>> 0);
  let garbageBad = -1;
  for (let g = 0; g < ngarbage; g++) {
    env.reset(BigInt(g), 0);
    const st = env.getState();
    for (let b = 1 + rng() % 16; b > 0; b--) {
      const r = rng();
      st[(r >>> 8) % stateSize] = r >>> 24;
    }
    env.setState(st);
    if (u32() !== obsChecksum(env) && garbageBad < 0) garbageBad = g;
  }
  if (garbageBad >= 0) { envFailures++; fail(`${name}: observations of damaged state #${garbageBad} differ`); }
  obsCompared += ngarbage;
  const obsNote = nobs ? `, observations of ${obsCompared} states` : '';
  console.log(`determinism: ${name}: ${nseeds} seeds x ${nsteps} steps${obsNote} ${envFailures ? 'DIFFER' : 'identical'} (${Date.now() - t1} ms)`);
}
if (off !== buf.length) fail(`native file has ${buf.length - off} trailing bytes`);
console.log(`determinism: ${checkedSteps} steps compared in ${Date.now() - t0} ms, ${failures ? failures + ' FAILURES' : 'native == wasm'}`);
process.exit(failures ? 1 : 0);
