// Binary game messages (docs/PROTOCOL.md "Game messages"): little-endian, packed.
// Pure functions so the client, the Node tests and any test relay share one codec.

export const KIND_INPUT = 1;
export const KIND_CONFIRM = 2;
export const KIND_STATE = 3;

export const INPUT_SIZE = 24;
export const CONFIRM_HEADER = 12;
export const STATE_HEADER = 12;

const U64 = (1n << 64n) - 1n;

function view(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return { u8, dv: new DataView(u8.buffer, u8.byteOffset, u8.byteLength) };
}

// INPUT, client to server. `confirmed`/`hash` describe the newest frame whose confirmed
// inputs this client has simulated; hashValid=false when there is none yet.
// hostedSeat: a model seat this page runs (docs/AGENTS.md): flag 2, the seat in the high byte.
export function encodeInput({ episode, frame, action, confirmed = 0, hash = 0n, hashValid = false, hostedSeat = -1 }) {
  const u8 = new Uint8Array(INPUT_SIZE);
  const dv = new DataView(u8.buffer);
  dv.setUint8(0, KIND_INPUT);
  dv.setUint8(1, episode & 0xff);
  const hosted = hostedSeat >= 0 ? 2 | ((hostedSeat & 0xff) << 8) : 0;
  dv.setUint16(2, (hashValid ? 1 : 0) | hosted, true);
  dv.setUint32(4, frame >>> 0, true);
  dv.setInt32(8, action | 0, true);
  dv.setUint32(12, confirmed >>> 0, true);
  dv.setBigUint64(16, BigInt(hash) & U64, true);
  return u8;
}

export function decodeInput(bytes) {
  const { u8, dv } = view(bytes);
  if (u8.byteLength !== INPUT_SIZE || dv.getUint8(0) !== KIND_INPUT) return null;
  const flags = dv.getUint16(2, true);
  return {
    kind: 'input',
    episode: dv.getUint8(1),
    hashValid: (flags & 1) === 1,
    hostedSeat: flags & 2 ? flags >> 8 : -1,
    frame: dv.getUint32(4, true),
    action: dv.getInt32(8, true),
    confirmed: dv.getUint32(12, true),
    hash: dv.getBigUint64(16, true),
  };
}

// CONFIRM, server to client: header then `count` entries of nseats u8 actions + u64 hash.
export function encodeConfirm({ episode, nseats, first, actions, hashes }) {
  const count = actions.length;
  const entry = nseats + 8;
  const u8 = new Uint8Array(CONFIRM_HEADER + count * entry);
  const dv = new DataView(u8.buffer);
  dv.setUint8(0, KIND_CONFIRM);
  dv.setUint8(1, episode & 0xff);
  dv.setUint8(2, nseats);
  dv.setUint32(4, first >>> 0, true);
  dv.setUint16(8, count, true);
  for (let i = 0; i < count; i++) {
    const at = CONFIRM_HEADER + i * entry;
    for (let s = 0; s < nseats; s++) u8[at + s] = actions[i][s];
    dv.setBigUint64(at + nseats, BigInt(hashes[i]) & U64, true);
  }
  return u8;
}

// STATE, server to client: header then the state bytes S(frame).
export function encodeState({ episode, frame, bytes }) {
  const u8 = new Uint8Array(STATE_HEADER + bytes.length);
  const dv = new DataView(u8.buffer);
  dv.setUint8(0, KIND_STATE);
  dv.setUint8(1, episode & 0xff);
  dv.setUint32(4, frame >>> 0, true);
  dv.setUint32(8, bytes.length, true);
  u8.set(bytes, STATE_HEADER);
  return u8;
}

// Decodes a server binary message; null for anything malformed (the caller ignores it:
// a truncated frame must never crash the game loop).
export function decodeServer(bytes) {
  const { u8, dv } = view(bytes);
  if (u8.byteLength < 1) return null;
  const kind = dv.getUint8(0);
  if (kind === KIND_CONFIRM) {
    if (u8.byteLength < CONFIRM_HEADER) return null;
    const nseats = dv.getUint8(2);
    const first = dv.getUint32(4, true);
    const count = dv.getUint16(8, true);
    const entry = nseats + 8;
    if (nseats < 1 || u8.byteLength !== CONFIRM_HEADER + count * entry) return null;
    const actions = new Array(count);
    const hashes = new Array(count);
    for (let i = 0; i < count; i++) {
      const at = CONFIRM_HEADER + i * entry;
      actions[i] = u8.slice(at, at + nseats);
      hashes[i] = dv.getBigUint64(at + nseats, true);
    }
    return { kind: 'confirm', episode: dv.getUint8(1), nseats, first, actions, hashes };
  }
  if (kind === KIND_STATE) {
    if (u8.byteLength < STATE_HEADER) return null;
    const frame = dv.getUint32(4, true);
    const size = dv.getUint32(8, true);
    if (u8.byteLength !== STATE_HEADER + size) return null;
    return { kind: 'state', episode: dv.getUint8(1), frame, bytes: u8.slice(STATE_HEADER) };
  }
  return null;
}

export function hashHex(h) {
  return BigInt.asUintN(64, BigInt(h)).toString(16).padStart(16, '0');
}
