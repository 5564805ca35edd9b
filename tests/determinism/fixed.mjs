// Cross-target check of the fixed-point helpers (envs/fixed.h): the native program
// (fixed_native.c) writes fixed_probe(op, i) for every op and input; this replays the same
// probes in build/tests/fixed_probe.wasm and compares every value. Exit 0 = identical.
//
//   node tests/determinism/fixed.mjs [--native build/tests/fixed_native]
//                                    [--wasm build/tests/fixed_probe.wasm] [--n 131072]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = { native: 'build/tests/fixed_native', wasm: 'build/tests/fixed_probe.wasm', n: String(1 << 17) };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args)) { console.error(`unknown option ${process.argv[i]}`); process.exit(2); }
  args[k] = process.argv[i + 1];
}
const OPS = ['mul', 'div', 'sqrt', 'hypot', 'sin', 'cos', 'atan2', 'isqrt64', 'floor', 'round',
  'from_int', 'splitmix64.lo', 'splitmix64.hi', 'rng_below', 'rng_range', 'rng_unit'];

const t0 = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'cohort-fixed-'));
const file = join(tmp, 'native.bin');
const r = spawnSync(resolve(root, args.native), [file, args.n], { stdio: 'inherit' });
if (r.status !== 0) { console.error(`fixed: ${args.native} failed (${r.status ?? r.error})`); process.exit(1); }
const buf = readFileSync(file);
rmSync(tmp, { recursive: true, force: true });
if (buf.toString('latin1', 0, 4) !== 'CFX1') { console.error('fixed: bad native file'); process.exit(1); }
const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
const nops = dv.getUint32(4, true), n = dv.getUint32(8, true);

const { instance } = await WebAssembly.instantiate(readFileSync(resolve(root, args.wasm)));
const probe = instance.exports.fixed_probe;
let failures = 0;
if (instance.exports.fixed_probe_ops() !== nops) {
  console.error(`fixed: wasm has ${instance.exports.fixed_probe_ops()} ops, native ${nops}`);
  failures++;
}
if (nops !== OPS.length) console.error(`fixed: ${nops} ops, this script names ${OPS.length}`);
let off = 12;
for (let op = 0; op < nops; op++) {
  let bad = 0, first = -1;
  for (let i = 0; i < n; i++, off += 4) {
    if ((probe(op, i) >>> 0) !== dv.getUint32(off, true)) { if (first < 0) first = i; bad++; }
  }
  if (bad) {
    failures++;
    console.error(`fixed: ${OPS[op] ?? op}: ${bad} of ${n} outputs differ, first at input ${first}`);
  }
}
console.log(`fixed: ${nops} helpers x ${n} inputs, ${failures ? 'DIFFER' : 'native == wasm'} (${Date.now() - t0} ms)`);
process.exit(failures ? 1 : 0);
