// A tiny deterministic env with the web/env.js interface, for the rollback tests.
// State (little-endian): u32 rng, u32 tick, i32 score, then per seat i16 x, i16 y.
// Every step folds the rng and all actions into the state, so any difference in any
// frame's actions shows up in every later hash.

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

export function fnv1a64(bytes) {
  let h = FNV_OFFSET;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * FNV_PRIME);
  return h;
}

const MOVES = [[0, -1], [0, 1], [-1, 0], [1, 0], [0, 0]]; // up, down, left, right, stay

// glitchAtTick: this env computes one step differently (like a non-deterministic build),
// so it diverges from everyone else at that tick, however often it re-simulates it.
export function makeFakeEnv({ players = 2, terminateAt = 0, glitchAtTick = 0 } = {}) {
  const size = 12 + 4 * players;
  let state = new Uint8Array(size);
  let dv = new DataView(state.buffer);
  let horizon = 0;
  const info = {
    name: 'fake/grid', players, actions: 5, defaultAction: 4, stateSize: size, horizon: 100,
    infoNames: ['score'], viewW: 8, viewH: 8, actionNames: ['up', 'down', 'left', 'right', 'stay'],
    policies: [],
  };
  return {
    info,
    stepsTaken: 0,
    reset(seed, h) {
      state.fill(0);
      horizon = h || info.horizon;
      const s = BigInt.asUintN(64, BigInt(seed));
      dv.setUint32(0, Number(s & 0xffffffffn) ^ Number(s >> 32n) ^ 0x9e3779b9, true);
      for (let p = 0; p < players; p++) {
        dv.setInt16(12 + 4 * p, p * 3, true);
        dv.setInt16(14 + 4 * p, p, true);
      }
    },
    step(actions) {
      this.stepsTaken++;
      let rng = dv.getUint32(0, true);
      const tick = dv.getUint32(4, true) + 1;
      let score = dv.getInt32(8, true);
      if (glitchAtTick > 0 && tick === glitchAtTick) score += 1000;
      const rewards = new Array(players).fill(0);
      for (let p = 0; p < players; p++) {
        const a = actions[p];
        const [mx, my] = MOVES[a >= 0 && a < 5 ? a : 4];
        const x = Math.min(7, Math.max(0, dv.getInt16(12 + 4 * p, true) + mx));
        const y = Math.min(7, Math.max(0, dv.getInt16(14 + 4 * p, true) + my));
        dv.setInt16(12 + 4 * p, x, true);
        dv.setInt16(14 + 4 * p, y, true);
        rng = (Math.imul(rng ^ (a & 0xff), 1664525) + 1013904223) >>> 0;
      }
      // A reward whenever seat 0 stands on the cell the rng points at.
      if ((rng & 63) === dv.getInt16(12, true) * 8 + dv.getInt16(14, true)) { score++; rewards[0] = 1; }
      dv.setUint32(0, rng, true);
      dv.setUint32(4, tick, true);
      dv.setInt32(8, score, true);
      return {
        rewards,
        terminated: terminateAt > 0 && tick >= terminateAt,
        truncated: tick >= horizon,
        info: [score],
      };
    },
    hash() { return fnv1a64(state); },
    getState() { return state.slice(); },
    setState(bytes) {
      if (bytes.length !== size) throw new Error('bad state size');
      state.set(bytes);
    },
    render() { return []; },
  };
}
