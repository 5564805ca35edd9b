// Client logic that needs no DOM: identity, keys, text helpers, the reconnecting socket.
import test, { mock } from 'node:test';
import assert from 'node:assert/strict';
import { Identity, pageParams, storageKeys, storedIdentityFits } from '../../web/identity.js';
import { KeyState } from '../../web/input.js';
import { controlsText, formatClock, keyLabel, playersHere } from '../../web/format.js';
import { Connection, socketUrl } from '../../web/connection.js';

class MemoryStorage {
  constructor(init = {}) { this.m = new Map(Object.entries(init)); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
  removeItem(k) { this.m.delete(k); }
}

test('pageParams: every query parameter as a string, first of a repeated name', () => {
  assert.deepEqual(pageParams('?PROLIFIC_PID=abc&STUDY_ID=s&x=1&x=2&empty='), { PROLIFIC_PID: 'abc', STUDY_ID: 's', x: '1', empty: '' });
  assert.deepEqual(pageParams(''), {});
});

test('identity: a first visit says nothing; welcome is stored for the next hello', () => {
  const storage = new MemoryStorage();
  const id = new Identity(storage, { PROLIFIC_PID: 'abc' });
  assert.deepEqual(id.hello(), { type: 'hello', subject: null, token: null, params: { PROLIFIC_PID: 'abc' } });
  id.remember({ subject: 'abc', token: 't'.repeat(32), experiment: 'demo' });
  assert.equal(storage.getItem('cohort.token'), 't'.repeat(32));
  assert.equal(storage.getItem('cohort.subject'), 'abc');
  assert.deepEqual(id.hello(), { type: 'hello', subject: 'abc', token: 't'.repeat(32), params: { PROLIFIC_PID: 'abc' } });
  // A reload of the same link resumes...
  const again = new Identity(storage, { PROLIFIC_PID: 'abc' });
  assert.equal(again.hello().token, 't'.repeat(32));
  assert.equal(again.fromStorage, true);
  // ...a different participant id on the same browser does not borrow it.
  const other = new Identity(storage, { PROLIFIC_PID: 'xyz' });
  assert.deepEqual([other.hello().subject, other.hello().token], [null, null]);
});

test('identity: a server-made subject follows the browser unless the link names someone', () => {
  const stored = { subject: 'r4nd0m', token: 'k', params: {} };
  assert.equal(storedIdentityFits(stored, {}), true);
  assert.equal(storedIdentityFits(stored, { PROLIFIC_PID: 'abc' }), false);
  assert.equal(storedIdentityFits({ ...stored, params: { lang: 'en' } }, { lang: 'fr' }), true);
  assert.equal(storedIdentityFits({ subject: null, token: 'k', params: {} }, {}), false);
});

test('identity: works without storage, and forget() clears it', () => {
  const broken = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); }, removeItem() { throw new Error('denied'); } };
  const id = new Identity(broken, {});
  id.remember({ subject: 's1', token: 'tok', experiment: 'e' });
  assert.equal(id.hello().token, 'tok', 'kept in memory for reconnects');
  const storage = new MemoryStorage({ 'cohort.subject': 'a', 'cohort.token': 'b', 'cohort.params': '{}' });
  const id2 = new Identity(storage, {});
  assert.equal(id2.hello().subject, 'a');
  id2.forget();
  assert.deepEqual([id2.hello().subject, id2.hello().token], [null, null]);
  assert.equal(storage.getItem('cohort.token'), null);
});

test('keys: the last key pressed among those held wins; none held gives the default', () => {
  const k = new KeyState({ ArrowUp: 0, ArrowDown: 1, ArrowLeft: 2, ' ': 5, w: 0 }, 4);
  assert.equal(k.sample(), 4);
  k.press('ArrowUp');
  assert.equal(k.sample(), 0);
  k.press('ArrowLeft');
  assert.equal(k.sample(), 2);
  k.release('ArrowLeft');
  assert.equal(k.sample(), 0, 'back to the key still held');
  k.press('ArrowUp'); // key repeat
  k.release('ArrowUp');
  assert.equal(k.sample(), 0, 'a press since the last tick still counts once');
  assert.equal(k.sample(), 4);
  assert.equal(k.press('q'), false, 'not a game key');
  assert.equal(k.press('W'), true, 'letters match either case');
  assert.equal(k.sample(), 0);
  k.press(' ');
  k.clear();
  assert.equal(k.sample(), 4, 'focus lost: nothing is held');
});

test('text helpers', () => {
  assert.equal(formatClock(0), '0:00');
  assert.equal(formatClock(-5), '0:00');
  assert.equal(formatClock(59001), '1:00');
  assert.equal(formatClock(61000), '1:01');
  assert.equal(formatClock(180000), '3:00');
  assert.equal(playersHere(1, 2), '1 of 2 players here');
  assert.equal(keyLabel(' '), 'Space');
  assert.equal(controlsText({ ArrowUp: 0, w: 0, ' ': 5 }, ['up', 'down', 'left', 'right', 'stay', 'interact']), '↑ W up · Space interact');
});

// A WebSocket stand-in the test drives by hand.
class FakeSocket {
  static all = [];
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; FakeSocket.all.push(this); }
  send(d) { this.sent.push(d); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen?.(); }
  receive(obj) { this.onmessage?.({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) }); }
  drop() { this.readyState = 3; this.onclose?.({ code: 1006 }); }
}

test('connection: hello on every (re)connection, backoff, nothing sent before welcome, stop ends it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  FakeSocket.all = [];
  const got = [];
  let helloCount = 0;
  const conn = new Connection('ws://x/ws', {
    hello: () => ({ type: 'hello', n: ++helloCount }),
    onMessage: (m) => got.push(m),
  }, { WebSocketImpl: FakeSocket });
  conn.start();
  const s1 = FakeSocket.all[0];
  assert.equal(s1.binaryType, 'arraybuffer');
  s1.open();
  assert.deepEqual(s1.sent.map((d) => JSON.parse(d)), [{ type: 'hello', n: 1 }]);
  assert.equal(conn.send({ type: 'advance' }), false, 'not before welcome');
  s1.receive({ type: 'welcome', subject: 'a' });
  assert.equal(conn.send({ type: 'advance' }), true);
  assert.equal(got[0].type, 'welcome');

  s1.drop();
  assert.equal(FakeSocket.all.length, 1, 'waits before reconnecting');
  t.mock.timers.tick(400);
  assert.equal(FakeSocket.all.length, 2);
  const s2 = FakeSocket.all[1];
  s2.drop(); // refused right away: the next wait is longer
  t.mock.timers.tick(400);
  assert.equal(FakeSocket.all.length, 2, 'backing off');
  t.mock.timers.tick(300);
  assert.equal(FakeSocket.all.length, 3);
  const s3 = FakeSocket.all[2];
  s3.open();
  assert.equal(JSON.parse(s3.sent[0]).n, 2, 'hello again on the new socket');
  s1.receive({ type: 'waiting' }); // a stale socket's late message is ignored
  assert.equal(got.length, 1);

  conn.stop();
  s3.drop();
  t.mock.timers.tick(10000);
  assert.equal(FakeSocket.all.length, 3, 'no reconnect after stop()');
});

test('connection: silence during play is treated as a dead socket', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  FakeSocket.all = [];
  const conn = new Connection('ws://x/ws', { hello: () => ({ type: 'hello' }), onMessage() {} }, { WebSocketImpl: FakeSocket });
  conn.start();
  FakeSocket.all[0].open();
  FakeSocket.all[0].receive({ type: 'welcome' });
  conn.watchIdle(3000);
  t.mock.timers.tick(2000);
  FakeSocket.all[0].receive({ type: 'partner' });
  t.mock.timers.tick(2000);
  assert.equal(FakeSocket.all.length, 1, 'still hearing from it');
  t.mock.timers.tick(2000);
  t.mock.timers.tick(1000);
  assert.equal(FakeSocket.all[0].readyState, 3, 'given up');
  t.mock.timers.tick(1000);
  assert.equal(FakeSocket.all.length, 2, 'reconnecting');
  conn.stop();
});

test('socketUrl follows the page scheme, beside the page, without its query', () => {
  assert.equal(socketUrl({ href: 'http://h:8000/' }), 'ws://h:8000/ws');
  assert.equal(socketUrl({ href: 'https://h/?PROLIFIC_PID=abc#top' }), 'wss://h/ws');
  assert.equal(socketUrl({ href: 'https://h/index.html?x=1' }), 'wss://h/ws');
  // A study a proxy serves under a path of its own keeps its socket under it.
  assert.equal(socketUrl({ href: 'https://h/s/pilot-2/?PROLIFIC_PID=abc' }), 'wss://h/s/pilot-2/ws');
});

test('identity: each study folder on one origin keeps its own, the root the plain names', () => {
  assert.equal(storageKeys('/').token, 'cohort.token');
  const storage = new MemoryStorage();
  const a = new Identity(storage, { PROLIFIC_PID: 'abc' }, '/s/a/');
  a.remember({ subject: 'abc', token: 'a'.repeat(32), experiment: 'study-a' });
  assert.equal(storage.getItem('cohort/s/a/token'), 'a'.repeat(32));
  assert.equal(storage.getItem('cohort.token'), null, 'the root is not touched');
  // The same participant opening the other study's link starts there afresh...
  const b = new Identity(storage, { PROLIFIC_PID: 'abc' }, '/s/b/');
  assert.deepEqual([b.hello().subject, b.hello().token], [null, null]);
  b.remember({ subject: 'abc', token: 'b'.repeat(32), experiment: 'study-b' });
  b.forget();
  // ...and forgetting there leaves the first study's identity for a reload of its tab.
  assert.equal(new Identity(storage, { PROLIFIC_PID: 'abc' }, '/s/a/').hello().token, 'a'.repeat(32));
});

test('missingFeatures names what a browser lacks, and nothing in a complete one', async () => {
  const { missingFeatures } = await import('../../web/identity.js');
  const full = { WebAssembly: { instantiate() {} }, Worker: function W() {}, WebSocket: function S() {}, localStorage: {}, BigInt };
  assert.deepEqual(missingFeatures(full), []);
  const old = { WebSocket: function S() {}, get localStorage() { throw new Error('blocked'); } };
  assert.deepEqual(missingFeatures(old), ['WebAssembly', 'Web Workers', 'localStorage', 'BigInt']);
});
