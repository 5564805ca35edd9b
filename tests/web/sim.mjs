// An in-process model of the confirming relay (docs/DESIGN.md section 6, server side) and of
// the network between it and N rollback clients. Time is counted in ticks; nothing here
// uses timers, so every run is deterministic.

import { RollbackClient } from '../../web/rollback.js';
import { decodeInput, decodeServer, encodeConfirm, encodeState } from '../../web/wire.js';

// Deterministic PRNG (mulberry32) for scripted jitter and actions.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One direction of one connection. ordered: TCP-like (a message never overtakes an
// earlier one); unordered lets messages arrive in any order (stress for the relay).
export class Pipe {
  constructor(delay = () => 0, { ordered = true } = {}) {
    this.delay = typeof delay === 'number' ? () => delay : delay;
    this.ordered = ordered;
    this.queue = [];
    this.lastDue = -Infinity;
    this.seq = 0;
    this.down = false;
  }
  send(msg, now) {
    if (this.down) return;
    let due = now + this.delay();
    if (this.ordered) due = Math.max(due, this.lastDue);
    this.lastDue = due;
    this.queue.push({ due, seq: this.seq++, msg });
  }
  take(now) {
    const ready = this.queue.filter((m) => m.due <= now).sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.queue = this.queue.filter((m) => m.due > now);
    return ready.map((m) => m.msg);
  }
  cut() { this.down = true; this.queue = []; }
  restore() { this.down = false; }
}

// The server side of one game episode.
export class FakeRelay {
  // ai: seat -> policy(frame, serverEnv) for AI seats, which are confirmed immediately
  // (they act on the server's own state) and so never count as "W frames ahead".
  constructor({ makeEnv, nseats, W, horizon, seed, episode = 0, ai = {}, lagHints = false }) {
    this.ai = ai;
    this.lagHints = lagHints; // send {type:'lag'} as the server does (room.c hint_laggards)
    this.lastHint = new Array(nseats).fill(-1e9);
    this.env = makeEnv();
    this.env.reset(BigInt(seed), horizon);
    this.nseats = nseats;
    this.W = W;
    this.horizon = horizon;
    this.episode = episode;
    this.defaultAction = this.env.info.defaultAction;
    this.inputs = new Map(); // frame -> array of actions (undefined = not yet received)
    this.seatMax = new Array(nseats).fill(-1);
    this.confirmed = 0;
    this.actions = []; // confirmed actions per frame
    this.hashes = []; // server hash of each frame
    this.sources = [];
    this.cursor = new Array(nseats).fill(0); // next frame to send to each seat's connection
    this.needState = new Array(nseats).fill(false);
    this.stateFrame = new Array(nseats).fill(-1);
    this.outbox = Array.from({ length: nseats }, () => []);
    this.late = 0;
    this.duplicates = 0;
    this.desyncEvents = 0;
    this.verified = 0;
    this.frozen = false; // stop confirming (tests the stall counter)
    this.ended = false;
    this.connected = new Array(nseats).fill(true);
  }

  receive(seat, bytes) {
    const m = decodeInput(bytes);
    if (!m) throw new Error('relay: malformed INPUT');
    if (m.episode !== (this.episode & 255)) return;
    if (m.hashValid) {
      if (m.confirmed >= this.confirmed) throw new Error(`relay: seat ${seat} reported unconfirmed frame ${m.confirmed}`);
      if (this.hashes[m.confirmed] === m.hash) this.verified++;
      else if (m.confirmed >= this.stateFrame[seat]) {
        this.desyncEvents++;
        this.needState[seat] = true;
      }
    }
    if (m.frame < this.confirmed) { this.late++; return; }
    if (m.frame > this.confirmed + 64) throw new Error(`relay: seat ${seat} input too far ahead (${m.frame})`);
    let row = this.inputs.get(m.frame);
    if (!row) this.inputs.set(m.frame, (row = new Array(this.nseats)));
    if (row[seat] !== undefined) {
      // Expected only after a reconnect, when the client re-sends unconfirmed inputs with
      // the same actions: the first copy wins.
      if (row[seat] !== m.action) throw new Error(`relay: seat ${seat} changed its input for frame ${m.frame}`);
      this.duplicates++;
      return;
    }
    row[seat] = m.action;
    if (m.frame > this.seatMax[seat]) this.seatMax[seat] = m.frame;
  }

  // Confirm every frame that can be, then queue one batched CONFIRM per seat.
  pump() {
    while (!this.frozen && !this.ended && this.confirmed < this.horizon) {
      const n = this.confirmed;
      const row = this.inputs.get(n) ?? new Array(this.nseats);
      for (const s of Object.keys(this.ai)) if (row[s] === undefined) row[s] = { ai: this.ai[s](n, this.env) };
      const complete = Array.from({ length: this.nseats }, (_, s) => row[s] !== undefined).every(Boolean);
      const someoneAhead = Math.max(...this.seatMax) >= n + this.W;
      if (!complete && !someoneAhead) break;
      if (!complete && this.lagHints) {
        const leader = Math.max(...this.seatMax);
        for (let s = 0; s < this.nseats; s++) {
          // At most one hint per 6 frames (200 ms at 30 fps), as the server does.
          if (row[s] !== undefined || this.seatMax[s] < 0 || !this.connected[s] || n - this.lastHint[s] < 6) continue;
          if (leader - this.seatMax[s] <= 0) continue;
          this.lastHint[s] = n;
          this.outbox[s].push({ type: 'lag', lead: leader });
        }
      }
      const acts = Array.from({ length: this.nseats }, (_, s) => (row[s]?.ai ?? row[s] ?? this.defaultAction));
      this.sources.push(acts.map((_, s) => (row[s] === undefined ? 'default' : row[s].ai !== undefined ? 'ai' : 'input')));
      const out = this.env.step(acts);
      this.actions.push(acts);
      this.hashes.push(this.env.hash());
      this.inputs.delete(n);
      this.confirmed++;
      if (out.terminated || out.truncated) this.ended = true;
    }
    if (this.confirmed >= this.horizon) this.ended = true;
    for (let s = 0; s < this.nseats; s++) {
      if (!this.connected[s]) continue;
      const from = this.cursor[s];
      if (this.confirmed > from) {
        this.outbox[s].push(encodeConfirm({
          episode: this.episode, nseats: this.nseats, first: from,
          actions: this.actions.slice(from, this.confirmed), hashes: this.hashes.slice(from, this.confirmed),
        }));
        this.cursor[s] = this.confirmed;
      }
      if (this.needState[s]) this.sendState(s);
      if (this.ended && !this.endSent?.[s]) {
        (this.endSent ??= [])[s] = true;
        this.outbox[s].push({
          type: 'episode_end', episode: this.episode, frames: this.confirmed,
          reason: this.confirmed >= this.horizon ? 'truncated' : 'terminated',
        });
      }
    }
  }

  sendState(s) {
    this.outbox[s].push(encodeState({ episode: this.episode, frame: this.confirmed, bytes: this.env.getState() }));
    this.cursor[s] = this.confirmed;
    this.stateFrame[s] = this.confirmed;
    this.needState[s] = false;
  }

  // A seat's connection dropped: nothing more is sent to it until it is back.
  disconnect(s) { this.connected[s] = false; }
  // A new connection: the seat resumes at the current frame from the server's state.
  reconnect(s) { this.connected[s] = true; this.sendState(s); }
}

// Straight re-simulation of the confirmed actions: the trajectory every client must match.
export function resimulate(makeEnv, seed, horizon, actions) {
  const env = makeEnv();
  env.reset(BigInt(seed), horizon);
  const hashes = actions.map((a) => { env.step(a); return env.hash(); });
  return { env, hashes, final: env.hash() };
}

// Scripted human input: holds an action for a few frames, then changes it.
export function scriptedAction(seat, frame, nactions = 5) {
  const r = prng(seat * 7919 + Math.floor(frame / 5))();
  return Math.floor(r * nactions);
}

/**
 * Runs one episode: clients and relay exchange real binary messages over Pipes.
 * opts: makeEnv, clientEnv(seat) (default makeEnv), nseats, D, W, P, horizon, seed, ticks, up[s]/down[s] (Pipes),
 *       action(seat, frame, client), onTick(t, ctx) for scripted faults (add a seat to
 *       ctx.resend when it reconnects), ai {seat: policy} for AI seats (their client
 *       never ticks).
 */
export function runEpisode(opts) {
  const {
    makeEnv, nseats = 2, D = 2, W = 8, P = 16, horizon = 200, seed = 12345n, maxTicks = 5000,
    clientEnv = () => makeEnv(),
    action = scriptedAction, onTick = () => {},
  } = opts;
  const relay = new FakeRelay({ makeEnv, nseats, W, horizon, seed, ai: opts.ai, lagHints: opts.lagHints });
  const up = opts.up ?? Array.from({ length: nseats }, () => new Pipe(0));
  const down = opts.down ?? Array.from({ length: nseats }, () => new Pipe(0));
  const clients = Array.from({ length: nseats }, (_, seat) => new RollbackClient({
    env: clientEnv(seat), seat, nseats, inputDelay: D, predictionLimit: P,
    defaultAction: relay.defaultAction,
  }));
  const ended = new Array(nseats).fill(false);
  const trace = Array.from({ length: nseats }, () => []);
  clients.forEach((c, s) => {
    const first = c.startEpisode(seed, horizon, 0);
    if (!opts.ai?.[s]) for (const m of first) up[s].send(m, 0);
  });
  const resend = new Set(); // seats that reconnected and have not had their STATE yet
  const ctx = { relay, clients, up, down, trace, ended, resend };
  let t = 0;
  for (; t < maxTicks && !ended.every(Boolean); t++) {
    onTick(t, ctx);
    clients.forEach((c, s) => {
      for (const m of down[s].take(t)) {
        if (m instanceof Uint8Array) {
          const d = decodeServer(m);
          if (!d) throw new Error('client: malformed server message');
          if (d.episode !== 0) continue;
          if (d.kind === 'confirm') c.onConfirm(d.first, d.actions, d.hashes);
          else {
            c.onState(d.frame, d.bytes);
            // The first STATE on a new connection: re-send what may have been lost.
            if (resend.delete(s)) for (const m2 of c.unconfirmedInputs()) up[s].send(m2, t);
          }
        } else if (m.type === 'episode_end') {
          c.endEpisode(m.frames);
          ended[s] = true;
        } else if (m.type === 'lag') {
          for (const inp of c.catchUpTo(m.lead)) up[s].send(inp, t);
        }
      }
      if (ended[s] || c.paused || opts.ai?.[s]) return;
      const inp = c.localInput(action(s, c.frame + D, c));
      if (inp) up[s].send(inp, t);
      const r = c.tick();
      trace[s].push({ t, frame: c.frame, confirmed: c.confirmed, stalled: r.stalled });
    });
    // perMessage: confirm after every message, seat 0 first, as the real server does
    // (it confirms on arrival); otherwise all of a tick's inputs land before confirming.
    for (let s = 0; s < nseats; s++) {
      for (const m of up[s].take(t)) {
        relay.receive(s, m);
        if (opts.perMessage) relay.pump();
      }
    }
    relay.pump();
    for (let s = 0; s < nseats; s++) {
      for (const m of relay.outbox[s]) down[s].send(m, t);
      relay.outbox[s] = [];
    }
  }
  return { ...ctx, ticks: t };
}
