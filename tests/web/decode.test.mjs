// The state description in the wasm builds (envs/env.h fields/decode, exported by
// envs/wasm/glue.wc as ce_decode/ce_decoded and ce_label kind 3): the same fields and
// values the native export writes (docs/DATA.md), checked on known states.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmDir = path.join(root, 'build/web/envs');
const have = fs.existsSync(path.join(wasmDir, 'cooking.wasm')) && fs.existsSync(path.join(wasmDir, 'volley.wasm'));
const skip = have ? false : 'needs build/web/envs/{cooking,volley}.wasm (make web)';

async function open(family, name) {
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(path.join(wasmDir, `${family}.wasm`)), {});
  const x = instance.exports;
  const str = (p) => {
    const u8 = new Uint8Array(x.memory.buffer);
    let s = '';
    for (let i = p; u8[i]; i++) s += String.fromCharCode(u8[i]);
    return s;
  };
  let index = -1;
  for (let i = 0; i < x.ce_count(); i++) if (str(x.ce_name(i)) === name) index = i;
  assert.ok(index >= 0, `${name} in ${family}.wasm`);
  x.ce_select(index);
  const n = x.ce_field(index, 9);
  const names = Array.from({ length: n }, (_, k) => str(x.ce_label(index, 3, k)));
  const decode = () => {
    const count = x.ce_decode();
    const v = new Int32Array(x.memory.buffer, x.ce_decoded(), count);
    return Object.fromEntries(names.map((nm, k) => [nm, v[k]]));
  };
  return { x, n, names, decode };
}

test('cooking/counter_circuit decodes its chefs, pots and counters in wasm', { skip }, async () => {
  const { x, n, names, decode } = await open('cooking', 'cooking/counter_circuit');
  assert.equal(n, 10 + 2 * 2 + 20); // two pots, twenty counter cells
  assert.deepEqual(names.slice(0, 5), ['chef0.x', 'chef0.y', 'chef0.facing', 'chef0.held', 'chef0.bumped']);
  assert.ok(names.includes('pot.x3y0.onions') && names.includes('pot.x4y0.cook') && names.includes('counter.x0y0'));
  x.ce_reset(7n, 0);
  const v = decode();
  assert.equal(v['chef0.x'], 3); // '1' in "X  1   X" (overcooked_ai's random3)
  assert.equal(v['chef0.y'], 3);
  assert.equal(v['chef1.x'], 3);
  assert.equal(v['chef1.y'], 1);
  assert.equal(v['pot.x3y0.onions'], 0);
  // stepping: values stay in the documented ranges, and chef 0 moves left when told
  const a = new Int32Array(x.memory.buffer, x.ce_actions(), 4);
  a[0] = 2; a[1] = 4; // left, stay
  x.ce_step();
  assert.equal(decode()['chef0.x'], 2);
  assert.equal(decode()['chef0.facing'], 2);
});

test('volley/slime decodes its bodies in Q8 units in wasm', { skip }, async () => {
  const { x, n, decode } = await open('volley', 'volley/slime');
  assert.equal(n, 15);
  x.ce_reset(11n, 0);
  const v = decode();
  assert.equal(v['slime0.x'], 250 * 256);
  assert.equal(v['slime1.x'], 750 * 256);
  assert.equal(v['ball.y'], 300 * 256);
  assert.equal(v.serve_wait, 20);
  assert.equal(v.last_hit, 2);
});
