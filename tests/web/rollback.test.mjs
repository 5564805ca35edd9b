// The rollback client against a fake confirming relay, with a tiny integer env.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RollbackClient } from '../../web/rollback.js';
import { decodeInput } from '../../web/wire.js';
import { makeFakeEnv } from './fake-env.mjs';
import { FakeRelay, Pipe, prng, resimulate, runEpisode, scriptedAction } from './sim.mjs';

const makeEnv = () => makeFakeEnv();

// Every client ends on the server's trajectory, which is also a straight re-simulation
// of the confirmed actions.
function assertConverged(run, { horizon, seed = 12345n, mk = makeEnv } = {}) {
  const { relay, clients } = run;
  assert.ok(run.ended.every(Boolean), `all clients saw episode_end (ticks ${run.ticks})`);
  assert.equal(relay.confirmed, horizon);
  const ref = resimulate(mk, seed, horizon, relay.actions);
  assert.deepEqual(ref.hashes, relay.hashes, 'relay trajectory = re-simulation');
  for (const c of clients) {
    assert.equal(c.frame, horizon, `seat ${c.seat} trimmed to the confirmed end`);
    assert.equal(c.confirmed, horizon);
    assert.equal(c.env.hash(), ref.final, `seat ${c.seat} final state = re-simulation`);
    assert.equal(c.hashOf(horizon - 1), ref.final);
  }
}

test('episode start sends the default action for frames 0..D-1, then one INPUT per frame', () => {
  const env = makeEnv();
  const c = new RollbackClient({ env, seat: 1, nseats: 2, inputDelay: 3, predictionLimit: 8, defaultAction: 4 });
  const first = c.startEpisode(7n, 50, 2).map(decodeInput);
  assert.deepEqual(first.map((m) => [m.frame, m.action, m.episode, m.hashValid]), [[0, 4, 2, false], [1, 4, 2, false], [2, 4, 2, false]]);
  const m = decodeInput(c.localInput(1));
  assert.equal(m.frame, 3);
  assert.equal(m.action, 1);
  assert.equal(c.localInput(2), null, 'no second INPUT for the same frame');
  c.tick();
  assert.equal(c.frame, 1);
  assert.equal(decodeInput(c.localInput(0)).frame, 4);
});

test('INPUT reports the newest confirmed-and-simulated frame and its hash', () => {
  const env = makeEnv();
  const c = new RollbackClient({ env, seat: 0, nseats: 2, inputDelay: 0, predictionLimit: 8, defaultAction: 4 });
  c.startEpisode(1n, 50);
  const ref = makeEnv();
  ref.reset(1n, 50);
  ref.step([0, 4]);
  const h0 = ref.hash();
  c.localInput(0);
  c.tick(); // frame 0 predicted with the remote seat's default
  c.onConfirm(0, [[0, 4]], [h0]);
  const before = decodeInput(c.localInput(0));
  assert.equal(before.hashValid, false, 'confirmations count once applied by tick()');
  c.tick();
  const m = decodeInput(c.localInput(0));
  assert.equal(m.hashValid, true);
  assert.equal(m.confirmed, 0);
  assert.equal(m.hash, h0);
  assert.equal(c.rollbacks, 0);
  assert.equal(c.desyncs, 0);
});

test('a misprediction rolls back and re-simulates to the current frame', () => {
  const env = makeEnv();
  const c = new RollbackClient({ env, seat: 0, nseats: 2, inputDelay: 0, predictionLimit: 10, defaultAction: 4 });
  c.startEpisode(5n, 100);
  for (let i = 0; i < 6; i++) { c.localInput(2); c.tick(); }
  assert.equal(c.frame, 6);
  // The remote seat actually pressed 3 from frame 2 on.
  const acts = [[2, 4], [2, 4], [2, 3], [2, 3]];
  const ref = resimulate(makeEnv, 5n, 100, acts);
  c.onConfirm(0, acts, ref.hashes);
  c.localInput(2);
  c.tick();
  assert.equal(c.rollbacks, 1);
  assert.equal(c.maxRollback, 4, 'rolled back from frame 6 to frame 2');
  assert.equal(c.frame, 7);
  assert.equal(c.desyncs, 0);
  // Frames 4..6 used the new prediction: the remote seat repeats its last confirmed action.
  const expect = resimulate(makeEnv, 5n, 100, [...acts, [2, 3], [2, 3], [2, 3]]);
  assert.equal(env.hash(), expect.final);
});

test('zero latency and D >= one-way delay: no rollbacks, identical states', () => {
  const run = runEpisode({ makeEnv, D: 2, W: 8, P: 16, horizon: 300 });
  assertConverged(run, { horizon: 300 });
  for (const c of run.clients) {
    assert.equal(c.rollbacks, 0);
    assert.equal(c.stalls, 0);
    assert.equal(c.desyncs, 0);
  }
  assert.equal(run.relay.late, 0);
  assert.ok(run.relay.verified > 250, 'the relay checked the clients\' hashes');
});

test('6 frames of latency on one seat (> input delay): both roll back, both converge', () => {
  const up = [new Pipe(0), new Pipe(6)];
  const down = [new Pipe(0), new Pipe(6)];
  const run = runEpisode({ makeEnv, D: 2, W: 15, P: 30, horizon: 400, up, down });
  assertConverged(run, { horizon: 400 });
  for (const c of run.clients) {
    assert.ok(c.rollbacks > 5, `seat ${c.seat} rolled back (${c.rollbacks})`);
    assert.ok(c.maxRollback > 2 && c.maxRollback <= 30, `depth ${c.maxRollback} within P`);
    assert.equal(c.desyncs, 0);
    assert.equal(c.stalls, 0, 'a 12-frame round trip fits in P=30');
  }
  assert.equal(run.relay.desyncEvents, 0);
  assert.ok(run.relay.sources.every((s) => s.every((x) => x === 'input')), 'no input was defaulted');
});

test('out-of-order, jittery arrival of both seats\' inputs', () => {
  const rnd = prng(99);
  const jitter = () => Math.floor(rnd() * 9); // 0..8 ticks, reordering allowed upstream
  const up = [new Pipe(jitter, { ordered: false }), new Pipe(jitter, { ordered: false })];
  const down = [new Pipe(() => Math.floor(rnd() * 4)), new Pipe(() => Math.floor(rnd() * 7))];
  const run = runEpisode({ makeEnv, D: 1, W: 12, P: 24, horizon: 500, up, down, seed: 0xdeadbeefcafen });
  assertConverged(run, { horizon: 500, seed: 0xdeadbeefcafen });
  assert.ok(run.clients.every((c) => c.rollbacks > 0));
  assert.ok(run.clients.every((c) => c.desyncs === 0));
});

test('when confirmations stop, the client stalls P frames past the frontier, then recovers', () => {
  const P = 12;
  let frozenAt = null;
  const run = runEpisode({
    makeEnv, D: 2, W: 6, P, horizon: 300,
    onTick(t, { relay, clients }) {
      if (t === 100) { relay.frozen = true; frozenAt = relay.confirmed; }
      if (t === 160) {
        for (const c of clients) {
          assert.ok(c.stalls >= 30, `seat ${c.seat} stalled (${c.stalls})`);
          assert.equal(c.frame, c.lastConfirmed + P, 'never more than P frames past c');
          assert.ok(c.lastConfirmed <= frozenAt);
        }
        relay.frozen = false;
      }
    },
  });
  assertConverged(run, { horizon: 300 });
  const stallsAtThaw = run.trace[0].filter((x) => x.stalled && x.t > 165).length;
  assert.equal(stallsAtThaw, 0, 'no stalls once confirmations resume');
});

test('a desynced client counts it and recovers from the server\'s STATE', () => {
  const run = runEpisode({
    makeEnv, D: 2, W: 8, P: 16, horizon: 300,
    up: [new Pipe(1), new Pipe(3)], down: [new Pipe(1), new Pipe(3)],
    clientEnv: (seat) => makeFakeEnv({ glitchAtTick: seat === 0 ? 120 : 0 }),
  });
  assertConverged(run, { horizon: 300 });
  const [a, b] = run.clients;
  assert.equal(a.desyncs, 1, 'one divergence, counted once');
  assert.ok(a.resyncs >= 1, 'resynchronised from STATE');
  assert.equal(b.desyncs, 0);
  assert.equal(b.resyncs, 0);
  assert.ok(run.relay.desyncEvents >= 1);
});

test('a dropped connection: partner keeps playing on defaults; STATE on reconnect resumes the seat', () => {
  const W = 8;
  const up = [new Pipe(1), new Pipe(1)];
  const down = [new Pipe(1), new Pipe(1)];
  const run = runEpisode({
    makeEnv, D: 2, W, P: 2 * W, horizon: 400, up, down,
    onTick(t, { relay, resend }) {
      if (t === 100) { up[0].cut(); down[0].cut(); relay.disconnect(0); }
      if (t === 180) { up[0].restore(); down[0].restore(); relay.reconnect(0); resend.add(0); }
    },
  });
  assertConverged(run, { horizon: 400 });
  const [a, b] = run.clients;
  assert.equal(b.stalls, 0, 'a healthy player never stalls because of a bad one');
  assert.ok(a.stalls > 0, 'the cut-off client stalled');
  assert.ok(a.resyncs >= 1);
  assert.equal(a.desyncs, 0);
  const defaulted = run.relay.sources.filter((s) => s[0] === 'default').length;
  assert.ok(defaulted >= 60, `seat 0 defaulted while away (${defaulted} frames)`);
});

test('early termination: predictions past the terminal frame are trimmed', () => {
  const mk = () => makeFakeEnv({ terminateAt: 137 });
  const run = runEpisode({ makeEnv: mk, D: 1, W: 10, P: 20, horizon: 300, up: [new Pipe(0), new Pipe(5)], down: [new Pipe(0), new Pipe(5)] });
  assert.equal(run.relay.confirmed, 137);
  const ref = resimulate(mk, 12345n, 300, run.relay.actions);
  for (const c of run.clients) {
    assert.equal(c.frame, 137);
    assert.equal(c.env.hash(), ref.final);
  }
});

test('episode_end drops predictions past the confirmed end', () => {
  const env = makeEnv();
  const c = new RollbackClient({ env, seat: 0, nseats: 2, inputDelay: 0, predictionLimit: 10, defaultAction: 4 });
  c.startEpisode(3n, 100);
  for (let i = 0; i < 8; i++) { c.localInput(1); c.tick(); }
  const acts = [[1, 0], [1, 0], [1, 0], [1, 0], [1, 0]];
  const ref = resimulate(makeEnv, 3n, 100, acts);
  c.onConfirm(0, acts, ref.hashes);
  c.endEpisode(5); // cut short by the server
  assert.equal(c.frame, 5);
  assert.equal(env.hash(), ref.final);
  assert.equal(c.localInput(1), null, 'nothing more to send');
  assert.deepEqual(c.tick(), { simulated: 0, stalled: false, changed: false });
});

test('STATE while behind: adopt it and continue from its frame', () => {
  const env = makeEnv();
  const c = new RollbackClient({ env, seat: 1, nseats: 2, inputDelay: 2, predictionLimit: 6, defaultAction: 4 });
  c.startEpisode(11n, 200);
  for (let i = 0; i < 10; i++) { c.localInput(0); c.tick(); }
  assert.equal(c.frame, 5, 'stalled: f - c = 5 - (-1) = P with nothing confirmed');
  assert.equal(c.stalls, 5);
  const acts = Array.from({ length: 40 }, (_, k) => [k % 5, (k * 3) % 5]);
  const ref = resimulate(makeEnv, 11n, 200, acts);
  c.onState(40, ref.env.getState());
  assert.equal(c.frame, 40);
  assert.equal(c.lastConfirmed, 39);
  const m = decodeInput(c.localInput(2));
  assert.equal(m.frame, 42);
  assert.equal(m.confirmed, 39);
  assert.equal(m.hash, ref.final, 'hash(S(40)) is the hash of frame 39');
  c.tick();
  assert.equal(c.frame, 41);
});

// Found by `cohort pilot --events reload`: a page reloaded late in an episode starts a
// fresh client, adopts the server's STATE, and the server's `lag` hint then made it send
// an INPUT for every frame since 0, hundreds in one burst, which the server's rate limit
// (200 messages a second) cut off as a flood. Frames before the state are confirmed: only
// the frames from there to the hint are sent.
test('STATE then a lag hint after a reload: INPUTs only from the state frame on', () => {
  const env = makeEnv();
  const c = new RollbackClient({ env, seat: 1, nseats: 2, inputDelay: 2, predictionLimit: 30, defaultAction: 4 });
  c.startEpisode(11n, 450);
  const acts = Array.from({ length: 340 }, (_, k) => [k % 5, (k * 3) % 5]);
  const ref = resimulate(makeEnv, 11n, 450, acts);
  c.onState(340, ref.env.getState());
  const sent = c.catchUpTo(352).map(decodeInput);
  assert.ok(sent.length <= 12, `${sent.length} INPUTs after the hint (at most the 12 frames from 340 to 352)`);
  assert.ok(sent.every((m) => m.frame >= 340), `every INPUT is for a frame from the state on (first ${sent[0]?.frame})`);
  assert.deepEqual(sent.map((m) => m.frame), [...sent.keys()].map((k) => sent[0].frame + k), 'consecutive frames, each once');
  assert.equal(decodeInput(c.localInput(1)).frame, c.frame + 2, 'then the ordinary next input frame');
});

test('runs are deterministic', () => {
  const mkRun = () => {
    const rnd = prng(5);
    const j = () => Math.floor(rnd() * 6);
    return runEpisode({ makeEnv, D: 2, W: 10, P: 20, horizon: 250, up: [new Pipe(j, { ordered: false }), new Pipe(j, { ordered: false })], down: [new Pipe(j), new Pipe(j)] });
  };
  const a = mkRun();
  const b = mkRun();
  assert.deepEqual(a.clients.map((c) => [c.rollbacks, c.maxRollback, c.stalls]), b.clients.map((c) => [c.rollbacks, c.maxRollback, c.stalls]));
  assert.deepEqual(a.relay.hashes, b.relay.hashes);
});

test('the relay model itself: confirms only when all seats are in, or one is W ahead', () => {
  const relay = new FakeRelay({ makeEnv, nseats: 2, W: 3, horizon: 50, seed: 1n });
  const c0 = new RollbackClient({ env: makeEnv(), seat: 0, nseats: 2, inputDelay: 0, predictionLimit: 8, defaultAction: 4 });
  c0.startEpisode(1n, 50);
  for (let i = 0; i < 3; i++) { relay.receive(0, c0.localInput(1)); c0.tick(); relay.pump(); }
  assert.equal(relay.confirmed, 0, 'seat 0 at frame 2 < 0 + W');
  relay.receive(0, c0.localInput(1));
  relay.pump();
  assert.equal(relay.confirmed, 1, 'seat 0 reached frame 3 = 0 + W: frame 0 defaults seat 1');
  assert.deepEqual(relay.sources[0], ['input', 'default']);
});

test('a client that stops ticking for a while (throttled tab) fast-forwards on confirmed frames', () => {
  const run = runEpisode({
    makeEnv, D: 2, W: 8, P: 16, horizon: 400,
    onTick(t, { clients }) { clients[1].paused = t >= 100 && t < 160; },
  });
  assertConverged(run, { horizon: 400 });
  const [a, b] = run.clients;
  assert.ok(b.fastForwarded >= 40, `caught up on confirmed frames (${b.fastForwarded})`);
  assert.equal(a.stalls, 0, 'the partner kept playing');
  assert.equal(b.desyncs, 0);
  assert.ok(run.relay.sources.some((s) => s[1] === 'default'));
});

// After a network stall the stalled seat catches up only to its confirmed frontier, which
// leaves it W frames behind its partner: every input it sends then arrives just after
// its frame was defaulted. The server's lag hint makes it jump ahead; its inputs count
// again within a second.
function stalledRun(lagHints) {
  return runEpisode({
    makeEnv, D: 2, W: 8, P: 16, horizon: 400, lagHints, perMessage: true,
    action: (s, frame) => (s === 1 ? 1 + (frame % 3) : 4), // seat 1 always presses a key
    onTick(t, { clients }) { clients[1].paused = t >= 100 && t < 160; },
  });
}

test('after a stall, the lag hint puts the stalled seat back on time', () => {
  const late = stalledRun(false);
  const fixed = stalledRun(true);
  assertConverged(fixed, { horizon: 400 });
  const defaultedAfter = (run) => run.relay.sources.slice(200).filter((s) => s[1] === 'default').length;
  assert.ok(defaultedAfter(late) > 100, `without hints its inputs stay late (${defaultedAfter(late)} defaulted)`);
  assert.equal(defaultedAfter(fixed), 0, 'with hints every later input counts');
  assert.ok(fixed.clients[1].skipped > 0);
  assert.equal(fixed.clients[0].stalls, 0, 'the partner never waited');
});

test('human + AI seat: after a reconnect the client re-sends lost inputs instead of waiting forever', () => {
  const W = 8;
  const up = [new Pipe(2), new Pipe(0)];
  const down = [new Pipe(2), new Pipe(0)];
  const drop = (resendOnReconnect) => runEpisode({
    makeEnv, D: 2, W, P: 2 * W, horizon: 300, up, down, maxTicks: 1500,
    ai: { 1: (frame) => scriptedAction(1, frame) },
    onTick(t, { relay, resend }) {
      // In-flight inputs die with the old socket (up[0] is cleared by cut()).
      if (t === 80) { up[0].cut(); down[0].cut(); relay.disconnect(0); }
      if (t === 120) {
        up[0].restore(); down[0].restore(); relay.reconnect(0);
        if (resendOnReconnect) resend.add(0);
      }
    },
  });
  const run = drop(true);
  assert.ok(run.ended[0], 'the episode finished');
  assert.equal(run.relay.confirmed, 300);
  const ref = resimulate(makeEnv, 12345n, 300, run.relay.actions);
  assert.equal(run.clients[0].env.hash(), ref.final);
  assert.ok(run.relay.sources.every((s) => s[1] === 'ai'));
  // The same drop without the re-send: the server waits on seat 0, seat 0 is stalled.
  up.forEach((p) => p.restore());
  down.forEach((p) => p.restore());
  const stuck = drop(false);
  assert.equal(stuck.ended[0], false, 'without the re-send the game deadlocks');
  assert.ok(stuck.relay.confirmed < 300);
});

test('a page hosting a model seat decides it once per frame, from the state that frame starts in', () => {
  const env = makeEnv();
  const c = new RollbackClient({ env, seat: 0, nseats: 2, inputDelay: 2, predictionLimit: 8, defaultAction: 4 });
  c.setHostedSeats([1, 0, 7]); // its own seat and a seat past the game's are ignored
  assert.deepEqual(c.hostedSeats, [1]);
  c.startEpisode(5n, 50);
  const sent = [];
  const states = [];
  for (let t = 0; t < 6; t++) {
    c.localInput(t % 4);
    c.prepare();
    assert.equal(c.pendingDecision(), 1, `frame ${c.frame} needs the model's action`);
    states.push(env.hash());
    const m = decodeInput(c.hostedInput(1, (t + 1) % 4));
    assert.equal(c.hostedInput(1, 0), null, 'never a second action for the same frame');
    assert.equal(c.pendingDecision(), -1);
    sent.push([m.frame, m.hostedSeat, m.action]);
    c.advance();
  }
  assert.deepEqual(sent.map((s) => s[0]), [0, 1, 2, 3, 4, 5], 'the frame about to be simulated, not input_delay ahead');
  assert.ok(sent.every((s) => s[1] === 1));
  // The predicted frames used the model's actions: a re-simulation with them gives the
  // same states.
  const ref = makeEnv();
  ref.reset(5n, 50);
  const actions = [[4, 1], [4, 2], [0, 3], [1, 0], [2, 1], [3, 2]];
  for (let k = 0; k < 6; k++) {
    assert.equal(ref.hash(), states[k], `S(${k})`);
    ref.step(actions[k]);
  }
  // After a reconnect the model's unconfirmed actions go again, with the page's own.
  const again = c.unconfirmedInputs().map(decodeInput);
  assert.deepEqual(again.filter((m) => m.hostedSeat === 1).map((m) => [m.frame, m.action]), sent.map((s) => [s[0], s[2]]));
  // A confirmed frame needs no decision: the server's record stands.
  c.onConfirm(0, actions.slice(0, 6), [0n, 0n, 0n, 0n, 0n, 0n].map((_, k) => c.hashOf(k)));
  c.prepare();
  assert.equal(c.frame, 6);
  assert.equal(c.pendingDecision(), 1);
});
