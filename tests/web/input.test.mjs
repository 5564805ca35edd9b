// The game's input modes (web/input.js) and its step clock (web/tick-worker.js,
// web/format.js), without a browser: `input: press` as the 2019 Overcooked studies took
// keys (one action per keydown, the first of a step wins, auto-repeat counts, no key is
// stay), `held` as before, and ticks at a step period that is not a whole number of
// frames a second.
import test from 'node:test';
import assert from 'node:assert/strict';
import { KeyState, attachKeys } from '../../web/input.js';
import { stepPeriodMs } from '../../web/format.js';
import { RollbackClient } from '../../web/rollback.js';
import { decodeInput } from '../../web/wire.js';
import { makeFakeEnv } from './fake-env.mjs';

const KEYS = { ArrowUp: 0, ArrowDown: 1, ArrowLeft: 2, ArrowRight: 3, ' ': 5 };
const STAY = 4;

// A window stand-in: listeners by type, and a way to fire keyboard events at them.
class FakeWindow {
  constructor() { this.listeners = new Map(); }
  addEventListener(type, fn) { (this.listeners.get(type) ?? this.listeners.set(type, new Set()).get(type)).add(fn); }
  removeEventListener(type, fn) { this.listeners.get(type)?.delete(fn); }
  fire(type, init = {}) {
    const e = { type, ctrlKey: false, metaKey: false, altKey: false, repeat: false, target: null, prevented: false, ...init };
    e.preventDefault = () => { e.prevented = true; };
    for (const fn of this.listeners.get(type) ?? []) fn(e);
    return e;
  }
}

test('press: one keydown is one step\'s action; the first of a step wins; no key is the default', () => {
  const k = new KeyState(KEYS, STAY, 'press');
  assert.equal(k.sample(), STAY, 'no press: stay');
  k.press('ArrowUp');
  assert.equal(k.sample(), 0);
  assert.equal(k.sample(), STAY, 'the press was used up by one step, although the key may still be down');
  // Two presses inside one step: the first is taken, the second dropped (not queued).
  k.press('ArrowLeft');
  k.press('ArrowRight');
  assert.equal(k.sample(), 2);
  assert.equal(k.sample(), STAY, 'the extra press does not carry over to the next step');
  // Releasing means nothing in press mode: a press released before the step still counts.
  k.press(' ');
  k.release(' ');
  assert.equal(k.sample(), 5);
  // Not a game key: ignored, and the caller lets the browser have it.
  assert.equal(k.press('q'), false);
  assert.equal(k.sample(), STAY);
  // Letters match either case, as in held mode.
  const w = new KeyState({ w: 0 }, STAY, 'press');
  assert.equal(w.press('W'), true);
  assert.equal(w.sample(), 0);
});

test('press: a step that sends nothing keeps the press for the next (peek, then consume)', () => {
  const k = new KeyState(KEYS, STAY, 'press');
  k.press('ArrowDown');
  assert.equal(k.peek(), 1);
  assert.equal(k.peek(), 1, 'peek does not use it up');
  k.consume();
  assert.equal(k.peek(), STAY);
});

test('press: the key listener takes auto-repeat keydowns as presses, as the 2019 site did; blur keeps a press made', () => {
  const win = new FakeWindow();
  const k = new KeyState(KEYS, STAY, 'press');
  const detach = attachKeys(win, k);
  const down = win.fire('keydown', { key: 'ArrowRight' });
  assert.equal(down.prevented, true, 'a game key does not scroll the page');
  assert.equal(k.sample(), 3);
  // The key stays down: the browser repeats keydown with repeat set. Each step after the
  // system's repeat delay gets one of them.
  win.fire('keydown', { key: 'ArrowRight', repeat: true });
  win.fire('keydown', { key: 'ArrowRight', repeat: true });
  assert.equal(k.sample(), 3, 'a repeat counts as a press');
  assert.equal(k.sample(), STAY, 'and several repeats in one step are one action');
  // Shortcuts and typing are not game input.
  win.fire('keydown', { key: 'ArrowUp', ctrlKey: true });
  win.fire('keydown', { key: ' ', target: { tagName: 'INPUT' } });
  assert.equal(k.sample(), STAY);
  // Focus lost after a press: the press was made, it still counts.
  win.fire('keydown', { key: 'ArrowLeft' });
  win.fire('blur');
  assert.equal(k.sample(), 2);
  win.fire('keyup', { key: 'ArrowRight' });
  assert.equal(k.sample(), STAY);
  detach();
  win.fire('keydown', { key: 'ArrowUp' });
  assert.equal(k.sample(), STAY, 'detached: nothing is listened to');
});

test('held stays as it was: the newest held key each step, taps once, blur releases', () => {
  const win = new FakeWindow();
  for (const mode of [undefined, 'held', 'anything else']) {
    const k = new KeyState(KEYS, STAY, mode);
    attachKeys(win, k);
    win.fire('keydown', { key: 'ArrowUp' });
    assert.equal(k.sample(), 0);
    assert.equal(k.sample(), 0, 'still held: every step');
    win.fire('keydown', { key: 'ArrowLeft' });
    win.fire('keydown', { key: 'ArrowRight' });
    assert.equal(k.sample(), 3, 'the last key pressed among those held wins');
    win.fire('keyup', { key: 'ArrowRight' });
    win.fire('keyup', { key: 'ArrowLeft' });
    assert.equal(k.sample(), 0);
    win.fire('blur');
    assert.equal(k.sample(), STAY, `${mode}: focus lost, nothing held`);
    win.listeners.clear();
  }
});

// The game's tick in press mode, as web/game.js runs it: what goes out on the wire is one
// INPUT per step, carrying the press made in that step or stay.
test('press through the rollback client: each press lands on one frame, every other frame is stay', () => {
  const env = makeFakeEnv();
  const rc = new RollbackClient({ env, seat: 0, nseats: 2, inputDelay: 2, predictionLimit: 30, defaultAction: STAY });
  const k = new KeyState({ ArrowUp: 0, ArrowDown: 1, ArrowLeft: 2, ArrowRight: 3 }, STAY, 'press');
  const sent = rc.startEpisode(99n, 40).map(decodeInput);
  const tick = () => {
    const input = rc.localInput(k.peek());
    if (input) { k.consume(); sent.push(decodeInput(input)); }
    rc.tick();
  };
  const pressesAt = { 3: ['ArrowUp'], 4: ['ArrowLeft', 'ArrowDown'], 9: ['ArrowRight'] };
  for (let step = 0; step < 12; step++) {
    for (const key of pressesAt[step] ?? []) k.press(key);
    tick();
  }
  const byFrame = new Map(sent.map((m) => [m.frame, m.action]));
  assert.deepEqual([...byFrame.keys()], [...Array(14).keys()], 'one INPUT per frame, in order');
  const moves = [...byFrame].filter(([, a]) => a !== STAY);
  // step s's action is for frame s + D (D = 2); the second press of step 4 is dropped.
  assert.deepEqual(moves, [[5, 0], [6, 2], [11, 3]]);
});

test('stepPeriodMs: step_ms as given, else 1000 / fps, else 30 fps', () => {
  assert.equal(stepPeriodMs({ step_ms: 150, fps: null }), 150);
  assert.equal(stepPeriodMs({ fps: 30, step_ms: null }), 1000 / 30);
  assert.equal(stepPeriodMs({ fps: 60 }), 1000 / 60);
  assert.equal(stepPeriodMs({}), 1000 / 30);
  assert.equal(stepPeriodMs(), 1000 / 30);
});

// web/tick-worker.js in this process: `self`, `postMessage` and the clock are stand-ins.
test('the tick worker ticks at the step period without drift: 400 ticks in 60 s at 150 ms, 1800 at 30 fps', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const ticks = [];
  const saved = { self: globalThis.self, postMessage: globalThis.postMessage, performance: globalThis.performance };
  globalThis.self = {};
  globalThis.postMessage = (m) => { if (m.type === 'tick') ticks.push(Date.now()); };
  Object.defineProperty(globalThis, 'performance', { value: { now: () => Date.now() }, configurable: true, writable: true });
  try {
    await import(`../../web/tick-worker.js?test=${Date.now()}`);
    const start = (periodMs) => { ticks.length = 0; self.onmessage({ data: { type: 'start', periodMs } }); };
    const t0 = Date.now();
    start(150);
    for (let ms = 0; ms < 60000; ms += 10) t.mock.timers.tick(10);
    assert.equal(ticks.length, 400, '60 s at 150 ms a step');
    assert.equal(ticks[0] - t0, 150);
    assert.equal(ticks[399] - t0, 60000);
    self.onmessage({ data: { type: 'stop' } });
    t.mock.timers.tick(1000);
    assert.equal(ticks.length, 400, 'stopped: no more ticks');

    const t1 = Date.now();
    start(1000 / 30);
    for (let ms = 0; ms < 60000; ms += 5) t.mock.timers.tick(5);
    assert.equal(ticks.length, 1800, 'a fractional period (33.3 ms) does not drift');
    assert.ok(Math.abs(ticks[1799] - t1 - 60000) <= 1, `tick 1800 at ${ticks[1799] - t1} ms`);
    self.onmessage({ data: { type: 'stop' } });
  } finally {
    globalThis.self = saved.self;
    globalThis.postMessage = saved.postMessage;
    Object.defineProperty(globalThis, 'performance', { value: saved.performance, configurable: true, writable: true });
  }
});
