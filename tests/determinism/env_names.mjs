// The env names of every family module in a wasm folder (build/web/envs/FAMILY.wasm), in
// the native registry's order: families by name (envs/envs.mk sorts them), then each
// family's own order. For the scripts that used to list the envs by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export async function envNames(wasmDir) {
  const names = [];
  const files = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')).sort();
  for (const f of files) {
    const { instance } = await WebAssembly.instantiate(readFileSync(join(wasmDir, f)));
    const x = instance.exports;
    for (let i = 0; i < x.ce_count(); i++) {
      const u8 = new Uint8Array(x.memory.buffer);
      let p = x.ce_name(i), s = '';
      while (u8[p]) s += String.fromCharCode(u8[p++]);
      names.push(s);
    }
  }
  return names;
}
