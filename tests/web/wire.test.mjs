import test from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeInput, decodeInput, encodeConfirm, encodeState, decodeServer, hashHex, INPUT_SIZE,
} from '../../web/wire.js';

test('INPUT is 24 bytes with the PROTOCOL.md layout', () => {
  const b = encodeInput({ episode: 257, frame: 70000, action: -3, confirmed: 69990, hash: 0x0123456789abcdefn, hashValid: true });
  assert.equal(b.length, INPUT_SIZE);
  const dv = new DataView(b.buffer);
  assert.equal(dv.getUint8(0), 1);
  assert.equal(dv.getUint8(1), 1, 'episode is modulo 256');
  assert.equal(dv.getUint16(2, true), 1, 'flag bit 0: hash valid');
  assert.equal(dv.getUint32(4, true), 70000);
  assert.equal(dv.getInt32(8, true), -3);
  assert.equal(dv.getUint32(12, true), 69990);
  assert.equal(dv.getBigUint64(16, true), 0x0123456789abcdefn);
  assert.deepEqual(decodeInput(b), {
    kind: 'input', episode: 1, hashValid: true, hostedSeat: -1, frame: 70000, action: -3, confirmed: 69990, hash: 0x0123456789abcdefn,
  });
  const none = decodeInput(encodeInput({ episode: 0, frame: 0, action: 4 }));
  assert.equal(none.hashValid, false);
  assert.equal(none.hash, 0n);
  // A model seat's action from its host's page: bit 1, the seat in the high byte.
  const hosted = encodeInput({ episode: 0, frame: 9, action: 5, hashValid: true, hostedSeat: 3 });
  assert.equal(new DataView(hosted.buffer).getUint16(2, true), 1 | 2 | (3 << 8));
  assert.equal(decodeInput(hosted).hostedSeat, 3);
});

test('CONFIRM round trip, unaligned u64 hashes', () => {
  const msg = encodeConfirm({ episode: 3, nseats: 3, first: 10, actions: [[1, 2, 3], [4, 5, 6]], hashes: [0xffffffffffffffffn, 7n] });
  assert.equal(msg.length, 12 + 2 * (3 + 8));
  const dv = new DataView(msg.buffer);
  assert.equal(dv.getUint8(0), 2);
  assert.equal(dv.getUint8(2), 3);
  assert.equal(dv.getUint32(4, true), 10);
  assert.equal(dv.getUint16(8, true), 2);
  const d = decodeServer(msg.buffer);
  assert.equal(d.kind, 'confirm');
  assert.equal(d.episode, 3);
  assert.equal(d.first, 10);
  assert.deepEqual(d.actions.map((a) => [...a]), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(d.hashes, [0xffffffffffffffffn, 7n]);
});

test('STATE round trip', () => {
  const bytes = Uint8Array.from([9, 8, 7, 6, 5]);
  const d = decodeServer(encodeState({ episode: 2, frame: 99, bytes }));
  assert.equal(d.kind, 'state');
  assert.equal(d.frame, 99);
  assert.equal(d.episode, 2);
  assert.deepEqual([...d.bytes], [...bytes]);
});

test('malformed server messages decode to null', () => {
  assert.equal(decodeServer(new Uint8Array(0)), null);
  assert.equal(decodeServer(Uint8Array.from([9, 0, 0, 0])), null);
  const c = encodeConfirm({ episode: 0, nseats: 2, first: 0, actions: [[1, 2]], hashes: [1n] });
  assert.equal(decodeServer(c.slice(0, c.length - 1)), null, 'truncated CONFIRM');
  const s = encodeState({ episode: 0, frame: 1, bytes: new Uint8Array(4) });
  assert.equal(decodeServer(s.slice(0, 13)), null, 'STATE shorter than its size');
});

test('hashHex pads to 16 digits', () => {
  assert.equal(hashHex(255n), '00000000000000ff');
});
