// Loads an env family's wasm module (build/web/envs/FAMILY.wasm) and wraps one env of it.
// Works in browsers and in Node >= 18 (no DOM, no Node modules used).
//
//   const env = await loadEnv('cooking/cramped_room', { base: '/envs/' });
//   // Node: await loadEnv(name, { bytes: fs.readFileSync('build/web/envs/cooking.wasm') })
//   env.reset(123n, 0); env.step([0, 5]); env.hash(); env.getState(); env.setState(bytes);
//   env.info.observations  // [{ name: 'lossless2019', shape: [w, h, 20] }, ...]
//   env.observe('lossless2019', 0)  // Int32Array of w*h*c, index ((x*h)+y)*c+ch
//
// Each Env owns its own wasm instance, so several Envs (even of the same env) are
// independent. The compiled module is cached per URL (or per bytes object).
// Native C and this wasm run the same sources: reset/step/hash give bit-identical states.

const DRAW_KINDS = { 1: 'rect', 2: 'circle', 3: 'sprite', 4: 'text' };
const DRAW_ITEM_SIZE = 48; // sizeof(env_draw), checked by static asserts in envs/hash.c
const MAX_PLAYERS = 8; // ENV_MAX_PLAYERS (envs/env.h): the width of the actions and rewards
const OUT_TERMINATED = 32; // offsets in env_step_out (rewards[8] come first)
const OUT_TRUNCATED = 33;
const OUT_INFO = 36;
const OUT_SIZE = 68;

const moduleCache = new Map(); // url -> Promise<WebAssembly.Module>
const bytesCache = new WeakMap(); // bytes object -> Promise<WebAssembly.Module>

function compileUrl(url) {
  let p = moduleCache.get(url);
  if (!p) {
    p = (async () => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`loadEnv: ${url}: HTTP ${res.status}`);
      if (WebAssembly.compileStreaming && (res.headers.get('content-type') || '').startsWith('application/wasm')) {
        return WebAssembly.compileStreaming(res);
      }
      return WebAssembly.compile(await res.arrayBuffer());
    })();
    p.catch(() => moduleCache.delete(url));
    moduleCache.set(url, p);
  }
  return p;
}

function compileBytes(bytes) {
  if (bytes instanceof WebAssembly.Module) return Promise.resolve(bytes);
  let p = bytesCache.get(bytes);
  if (!p) {
    p = WebAssembly.compile(bytes);
    bytesCache.set(bytes, p);
  }
  return p;
}

function cString(mem, ptr) {
  if (!ptr) return null;
  const u8 = new Uint8Array(mem.buffer);
  let end = ptr;
  while (u8[end] !== 0) end++;
  let s = '';
  for (let i = ptr; i < end; i++) s += String.fromCharCode(u8[i]);
  return s;
}

// Decodes `count` env_draw structs at `ptr` (little-endian) into plain objects.
export function decodeDrawList(buffer, ptr, count) {
  const dv = new DataView(buffer);
  const u8 = new Uint8Array(buffer);
  const cmds = new Array(count);
  for (let i = 0; i < count; i++) {
    const p = ptr + i * DRAW_ITEM_SIZE;
    let text = '';
    for (let k = 0; k < 24; k++) {
      const c = u8[p + 24 + k];
      if (!c) break;
      text += String.fromCharCode(c);
    }
    cmds[i] = {
      kind: DRAW_KINDS[u8[p]] || 'none',
      variant: u8[p + 1],
      id: dv.getUint16(p + 2, true),
      color: dv.getUint32(p + 4, true),
      x: dv.getInt32(p + 8, true),
      y: dv.getInt32(p + 12, true),
      w: dv.getInt32(p + 16, true),
      h: dv.getInt32(p + 20, true),
      text,
    };
  }
  return cmds;
}

class Env {
  constructor(instance, index) {
    const x = instance.exports;
    this._x = x;
    this._mem = x.memory;
    const field = (k) => x.ce_field(index, k);
    const label = (kind, k) => cString(this._mem, x.ce_label(index, kind, k));
    const players = field(0);
    const actions = field(1);
    const ninfo = field(5);
    const npolicies = field(8);
    const nobs = Math.max(0, field(10)); // -1 from a module without observations
    this.info = Object.freeze({
      name: cString(this._mem, x.ce_name(index)),
      players,
      actions,
      defaultAction: field(2),
      stateSize: field(3),
      horizon: field(4),
      infoNames: Array.from({ length: ninfo }, (_, k) => label(0, k)),
      viewW: field(6),
      viewH: field(7),
      actionNames: Array.from({ length: actions }, (_, k) => label(1, k)),
      policies: Array.from({ length: npolicies }, (_, k) => label(2, k)),
      observations: Object.freeze(Array.from({ length: nobs }, (_, k) => Object.freeze({
        name: label(4, k),
        shape: Object.freeze([0, 1, 2].map((d) => x.ce_obs_dim(index, k, d))),
      }))),
    });
    if (x.ce_select(index) !== this.info.stateSize) throw new Error(`loadEnv: cannot select ${this.info.name}`);
    this._statePtr = x.ce_state();
    this._actionsPtr = x.ce_actions();
    this._outPtr = x.ce_out();
    this._bind();
  }

  // Views on wasm memory (rebuilt if the memory ever grew; these modules never grow it).
  _bind() {
    const buf = this._mem.buffer;
    this._buf = buf;
    this._state = new Uint8Array(buf, this._statePtr, this.info.stateSize);
    this._actions = new Int32Array(buf, this._actionsPtr, MAX_PLAYERS);
    this._out = new DataView(buf, this._outPtr, OUT_SIZE);
  }

  _views() {
    if (this._buf !== this._mem.buffer || this._buf.byteLength === 0) this._bind();
  }

  // seed: BigInt (u64; a Number is accepted too); horizon: steps, 0 = the env's default.
  reset(seed = 0n, horizon = 0) {
    this._x.ce_reset(BigInt.asUintN(64, BigInt(seed)), horizon >>> 0);
  }

  // Writes the actions (anything that is not an int32 becomes the default action; the env
  // maps out-of-range values to the default action itself) and steps the current state.
  stepRaw(actions) {
    this._views();
    const a = this._actions;
    const def = this.info.defaultAction;
    for (let i = 0; i < this.info.players; i++) {
      const v = actions[i];
      a[i] = Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : def;
    }
    this._x.ce_step();
  }

  step(actions) {
    this.stepRaw(actions);
    const out = this._out;
    const rewards = new Array(this.info.players);
    for (let i = 0; i < rewards.length; i++) rewards[i] = out.getInt32(4 * i, true);
    const info = new Array(this.info.infoNames.length);
    for (let i = 0; i < info.length; i++) info[i] = out.getInt32(OUT_INFO + 4 * i, true);
    return {
      rewards,
      terminated: out.getUint8(OUT_TERMINATED) !== 0,
      truncated: out.getUint8(OUT_TRUNCATED) !== 0,
      info,
    };
  }

  hash() {
    return BigInt.asUintN(64, this._x.ce_hash());
  }

  getState() {
    this._views();
    return this._state.slice();
  }

  setState(bytes) {
    if (!bytes || bytes.length !== this.info.stateSize) {
      throw new Error(`setState: expected ${this.info.stateSize} bytes, got ${bytes ? bytes.length : bytes}`);
    }
    this._views();
    this._state.set(bytes);
  }

  render() {
    const ptr = this._x.ce_render();
    const buf = this._mem.buffer;
    const count = new DataView(buf).getUint32(ptr, true);
    return decodeDrawList(buf, ptr + 4, count);
  }

  // Observation `name` (or its index in info.observations) of the current state as `seat`
  // sees it (seat's layers first): a new Int32Array of w*h*c values, index
  // ((x*h)+y)*c+ch, computed by the same C as the server's. Throws on an unknown name or
  // seat, or a state the env cannot encode (bytes of another layout given to setState).
  observe(name, seat) {
    const obs = this.info.observations;
    const idx = typeof name === 'number' ? name : obs.findIndex((o) => o.name === name);
    if (!Number.isInteger(idx) || idx < 0 || idx >= obs.length) {
      throw new Error(`unknown observation ${name} for ${this.info.name}`);
    }
    if (!Number.isInteger(seat) || seat < 0 || seat >= this.info.players) {
      throw new Error(`observe: bad seat ${seat} for ${this.info.name}`);
    }
    const [w, h, c] = obs[idx].shape;
    const ptr = this._x.ce_observe(idx, seat);
    if (!ptr) throw new Error(`observe: ${this.info.name} cannot encode ${obs[idx].name} of this state`);
    return new Int32Array(this._mem.buffer, ptr, w * h * c).slice();
  }

  // The action the scripted policy `name` (or its index) takes for `seat` now.
  policy(name, seat) {
    const idx = typeof name === 'number' ? name : this.info.policies.indexOf(name);
    if (idx < 0 || idx >= this.info.policies.length) throw new Error(`unknown policy ${name} for ${this.info.name}`);
    return this._x.ce_policy(idx, seat >>> 0);
  }
}

// name: 'family/env'. opts: { base: URL prefix of the .wasm files (default: envs/ beside
// this module) }
// or { bytes: Uint8Array/ArrayBuffer of FAMILY.wasm } or { module: WebAssembly.Module }.
export async function loadEnv(name, opts = {}) {
  const slash = name.indexOf('/');
  if (slash <= 0) throw new Error(`loadEnv: bad env name ${name}`);
  const family = name.slice(0, slash);
  let module;
  if (opts.module) module = opts.module;
  else if (opts.bytes) module = await compileBytes(opts.bytes);
  else {
    let base = opts.base ?? new URL('envs/', import.meta.url).href;
    if (!base.endsWith('/')) base += '/';
    module = await compileUrl(`${base}${family}.wasm`);
  }
  const instance = await WebAssembly.instantiate(module, {});
  const x = instance.exports;
  const n = x.ce_count();
  for (let i = 0; i < n; i++) {
    if (cString(x.memory, x.ce_name(i)) === name) return new Env(instance, i);
  }
  throw new Error(`loadEnv: no env ${name} in ${family}.wasm`);
}
