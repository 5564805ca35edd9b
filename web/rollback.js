// Rollback netcode over a confirming relay (docs/DESIGN.md section 6), client side.
//
// Pure: no DOM, no sockets, no timers. The caller feeds it the local action once per tick
// (localInput), the server's CONFIRM and STATE contents as they arrive (onConfirm,
// onState), and calls tick() once per tick. That keeps it deterministic and lets Node
// tests drive two clients and a fake relay frame by frame.
//
// Frames: S0 = reset(seed); simulating frame k steps S(k) -> S(k+1) with frame k's
// actions; "the hash of frame k" is hash(S(k+1)). `frame` (f) is the number of frames
// simulated locally, so the env always holds S(f) between calls.

import { encodeInput } from './wire.js';

const LATENCY_SAMPLES = 4096;
const now = () => globalThis.performance.now();
function pushBounded(list, value) {
  if (list.length >= LATENCY_SAMPLES) list.shift();
  list.push(value);
}

function sameActions(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class RollbackClient {
  /**
   * @param {object} o
   * @param {object} o.env            env from web/env.js (reset, step, hash, getState, setState)
   * @param {number} o.seat           this client's seat
   * @param {number} o.nseats
   * @param {number} o.inputDelay     D: local input for frame f is sent for frame f+D
   * @param {number} o.predictionLimit P: never run more than P frames past the confirmed frontier
   * @param {number} o.defaultAction  used for unknown inputs and remote seats with no history
   */
  constructor({ env, seat, nseats, inputDelay = 0, predictionLimit, defaultAction = 0 }) {
    if (!Number.isInteger(predictionLimit) || predictionLimit < 1) {
      throw new RangeError('predictionLimit must be an integer >= 1');
    }
    this.env = env;
    this.seat = seat;
    this.nseats = nseats;
    this.D = Math.max(0, inputDelay | 0);
    this.P = predictionLimit;
    this.defaultAction = defaultAction;
    // A rollback target is never older than the confirmed frontier, and f - c <= P, so
    // P+2 snapshots always cover it (one spare for the state being built).
    this.ring = new Array(this.P + 2).fill(null);

    // Counters for the whole game (they survive episodes).
    this.rollbacks = 0;
    this.maxRollback = 0;
    this.stalls = 0;
    this.desyncs = 0;
    this.resyncs = 0;
    this.fastForwarded = 0;
    this.skipped = 0; // frames jumped on the server's lag hints
    this.steps = 0; // env steps, re-simulation included (a measure of CPU spent)
    // Measurements for benchmarks: input-to-confirmation latency of this seat's own inputs
    // (ms, the newest LATENCY_SAMPLES) and the wall time of each rollback with its depth.
    this.sentAt = new Map();
    this.latencies = [];
    this.rollbackCosts = [];

    // Model seats this page runs (docs/AGENTS.md): their actions are decided here, from
    // S(k) just before frame k is first simulated, sent like our own and never redecided.
    this.hostedSeats = [];

    this.active = false; // an episode is running
    this.over = true; // the episode has ended (trimmed to the server's frame count)
    this.episode = 0;
    this._resetEpisodeState(0);
  }

  _resetEpisodeState(horizon) {
    this.horizon = horizon;
    this.f = 0; // frames simulated locally
    this.confirmedCount = 0; // contiguous confirmed frames received
    this.applied = 0; // confirmed frames checked against what was simulated
    this.verified = 0; // frames whose hash was compared with the server's
    this.conf = new Map(); // frame -> {actions: Uint8Array, hash: BigInt}
    this.rec = new Map(); // frame -> {actions, hash, done, rewards, info, score}
    this.local = new Map(); // frame -> local action sent for it
    this.hosted = new Map(); // frame -> Map(seat -> the model seat's action sent for it)
    this.sentAt = new Map(); // frame -> when its INPUT was sent (latency measurement)
    this.lastConf = null; // newest confirmed actions: the prediction for remote seats
    this.nextInput = 0; // first frame not yet sent (one INPUT per frame, never two)
    this.pruned = 0;
    this.desynced = false;
    this.baseScore = 0;
    this.ring.fill(null);
  }

  /** Frames simulated locally in this episode: the env holds S(frame). */
  get frame() { return this.f; }
  /** Frames the server has confirmed so far (contiguous from 0). */
  get confirmed() { return this.confirmedCount; }
  /** c: newest frame whose confirmed inputs this client has simulated, or -1. */
  get lastConfirmed() { return Math.min(this.f, this.applied) - 1; }
  /** The client's hash of frame k, if it still has it. */
  hashOf(k) { return this.rec.get(k)?.hash; }
  /** Info fields and running score of the newest simulated frame, for the HUD. */
  get lastInfo() { return this.rec.get(this.f - 1)?.info ?? null; }
  get score() { return this.rec.get(this.f - 1)?.score ?? this.baseScore; }
  get finished() { return this.f >= this.horizon || (this.f > 0 && this.rec.get(this.f - 1)?.done === true); }

  /**
   * Resets the env for a new episode. Returns the INPUT messages for frames 0..D-1 (the
   * default action: nobody can have pressed anything for them yet).
   */
  startEpisode(seed, horizon, episode = 0) {
    const h = horizon > 0 ? horizon : (this.env.info?.horizon || Infinity);
    this.env.reset(BigInt(seed), horizon > 0 ? horizon : 0);
    this.episode = episode;
    this._resetEpisodeState(h);
    this._snapshot(0);
    this.active = true;
    this.over = false;
    const out = [];
    for (let k = 0; k < this.D && k < this.horizon; k++) out.push(this._input(k, this.defaultAction));
    return out;
  }

  /** This page runs the models of these seats (never its own seat). */
  setHostedSeats(seats) {
    this.hostedSeats = seats.filter((s) => Number.isInteger(s) && s >= 0 && s < this.nseats && s !== this.seat);
  }

  /**
   * The model seat that still needs an action for the frame advance() will simulate next,
   * or -1. Its action is decided from the env's state now, S(f): the 2019 rule, one action
   * per step from the state that step starts in.
   */
  pendingDecision() {
    if (!this.active || this.over || this.finished || this.f - this.lastConfirmed >= this.P) return -1;
    if (this.conf.has(this.f)) return -1; // confirmed already: nothing to decide
    const sent = this.hosted.get(this.f);
    for (const s of this.hostedSeats) if (!sent?.has(s)) return s;
    return -1;
  }

  /** Records a model seat's action for frame f (the next to simulate); returns its INPUT. */
  hostedInput(seat, action) {
    const k = this.f;
    let m = this.hosted.get(k);
    if (!m) this.hosted.set(k, (m = new Map()));
    if (m.has(seat)) return null;
    m.set(seat, action);
    return this._encode(k, action, seat);
  }

  /** The INPUT for frame f+D carrying `action`, or null when there is nothing new to send. */
  localInput(action) {
    if (!this.active || this.over) return null;
    const t = this.f + this.D;
    if (t < this.nextInput || t >= this.horizon || this.finished) return null;
    this.sentAt.set(t, now());
    return this._input(t, action);
  }

  _input(t, action) {
    this.local.set(t, action);
    this.nextInput = t + 1;
    return this._encode(t, action);
  }

  // Every INPUT carries c and this client's hash of frame c, for the server to check.
  _encode(t, action, hostedSeat = -1) {
    const c = this.lastConfirmed;
    const hash = c >= 0 ? this.rec.get(c)?.hash : undefined;
    return encodeInput({
      episode: this.episode,
      frame: t,
      action,
      confirmed: c >= 0 ? c : 0,
      hash: hash ?? 0n,
      hashValid: hash !== undefined,
      hostedSeat,
    });
  }

  /**
   * INPUTs to send again after a reconnect: the stored action of every frame from the
   * confirmed frontier to the newest one sent (at most `max`). Inputs in flight when the
   * old socket died are lost; without them a server waiting on this seat (say, next to an
   * AI seat, which is never "W frames ahead") would wait forever, while this client,
   * stalled at c+P, has no new frame to send. Same actions as before, so a copy the server
   * did receive changes nothing. `max` keeps the burst well under the server's rate limit;
   * frames past it are defaulted by the server once this client is W frames ahead again.
   */
  unconfirmedInputs(max = 40) {
    if (!this.active || this.over) return [];
    const from = Math.max(this.confirmedCount, 0);
    const to = Math.min(this.nextInput, from + max);
    const out = [];
    for (let t = from; t < to; t++) {
      if (this.local.has(t)) out.push(this._encode(t, this.local.get(t)));
      for (const [s, a] of this.hosted.get(t) ?? []) out.push(this._encode(t, a, s));
    }
    return out;
  }

  /**
   * The server says the leading seat has sent its input for frame `lead` while ours
   * arrive too late: jump ahead on predictions (never past the prediction limit) until
   * our next input frame, f + D, reaches it. `lead` is absolute, so a hint that arrives
   * late or twice moves us no further than needed. Returns the INPUTs of the input frames
   * jumped over, as the default action, to send: most were defaulted by the server
   * already (it drops them as late), but in an episode's last W frames nobody can get W
   * ahead, and a frame nobody sent would never be confirmed.
   */
  catchUpTo(lead) {
    if (!this.active || this.over) return [];
    this._applyConfirms();
    let n = 0;
    while (this.f + this.D < lead && !this.finished && this.f - this.lastConfirmed < this.P) {
      this._simulate(this.f);
      n++;
    }
    this.skipped += n;
    const out = [];
    for (let t = this.nextInput; t < this.f + this.D && t < this.horizon; t++) {
      out.push(this._input(t, this.defaultAction));
    }
    return out;
  }

  /** Stores confirmed frames first..first+n-1; they are applied on the next tick(). */
  onConfirm(first, actionsPerFrame, hashes) {
    if (!this.active) return;
    for (let i = 0; i < actionsPerFrame.length; i++) {
      const k = first + i;
      if (k < this.confirmedCount || this.conf.has(k)) continue; // a repeat: keep the first
      this.conf.set(k, { actions: Uint8Array.from(actionsPerFrame[i]), hash: BigInt(hashes[i]) });
      const sent = this.sentAt.get(k);
      if (sent !== undefined) {
        this.sentAt.delete(k);
        pushBounded(this.latencies, now() - sent);
      }
    }
    while (this.conf.has(this.confirmedCount)) this.confirmedCount++;
  }

  /**
   * One tick: apply confirmations (rolling back on a misprediction), fast-forward through
   * frames the server confirmed before we simulated them, then predict one frame unless
   * that would run P frames past the confirmed frontier (a stall).
   * Returns {simulated: frames advanced, stalled, changed: the env state changed (a new
   * frame or a rollback), i.e. worth redrawing}.
   */
  tick() {
    if (!this.active || this.over) return { simulated: 0, stalled: false, changed: false };
    const before = this.f;
    const steps = this.steps;
    this.prepare();
    const { stalled } = this.advance();
    return { simulated: this.f - before, stalled, changed: this.steps !== steps };
  }

  /**
   * tick() in two halves, for a page that runs model seats: prepare() brings the env to
   * the frame it is about to simulate (applying confirmations, fast-forwarding), the page
   * decides the models' actions from that state (pendingDecision, hostedInput), then
   * advance() predicts that one frame.
   */
  prepare() {
    if (!this.active || this.over) return;
    this._applyConfirms();
    // Behind the server: it has confirmed frames we have not even sent input for yet
    // (a throttled or slow tab; the server defaulted us). Catch up with confirmed inputs
    // only, far enough that our next INPUT (frame f+D) is not already confirmed. With a
    // healthy connection the frontier is legitimately up to D frames past f, and running
    // ahead of it would skip local input frames, so the catch-up stops D short.
    while (this.f < this.applied - this.D && !this.finished) {
      this._simulate(this.f);
      this.fastForwarded++;
    }
    this._verify();
  }

  advance() {
    if (!this.active || this.over) return { stalled: false };
    let stalled = false;
    if (!this.finished) {
      if (this.f - this.lastConfirmed < this.P) this._simulate(this.f);
      else { this.stalls++; stalled = true; }
    }
    this._prune();
    return { stalled };
  }

  /**
   * The server's state S(frame) (after a reconnect or a desync): adopt it, drop every
   * prediction, continue from there.
   */
  onState(frame, bytes) {
    if (!this.active || this.over) return;
    this.env.setState(bytes);
    const prevScore = this.rec.get(frame - 1)?.score ?? this.score;
    this.f = frame;
    this.rec = new Map();
    // hash(S(frame)) is by definition the hash of frame-1: we can report it right away.
    if (frame > 0) this.rec.set(frame - 1, { actions: null, hash: this.env.hash(), done: false, score: prevScore });
    this.baseScore = prevScore;
    for (const k of this.conf.keys()) if (k < frame) this.conf.delete(k);
    this.confirmedCount = frame;
    while (this.conf.has(this.confirmedCount)) this.confirmedCount++;
    this.applied = this.verified = this.pruned = frame;
    for (const k of this.local.keys()) if (k < frame) this.local.delete(k);
    for (const k of this.hosted.keys()) if (k < frame) this.hosted.delete(k);
    // Frames before the state are confirmed: an INPUT for one would only be dropped as
    // late. Without this a fresh page (a reload mid-episode) would send one for every
    // frame since 0 at the next lag hint, a burst the server cuts off as a flood.
    this.nextInput = Math.max(this.nextInput, frame);
    this.ring.fill(null);
    this._snapshot(frame);
    this.desynced = false;
    this.resyncs++;
  }

  /**
   * The server ended the episode after `frames` confirmed frames: bring the env to exactly
   * S(frames) (drop predictions past it, or catch up to it) and stop.
   */
  endEpisode(frames) {
    if (!this.active) return;
    if (!this.over) {
      this._applyConfirms();
      while (this.f < Math.min(this.applied, frames) && !this.finished) this._simulate(this.f);
      if (this.f > frames) {
        const snap = this._snapshotAt(frames);
        if (snap) {
          this.env.setState(snap);
          this.f = frames;
          for (const k of this.rec.keys()) if (k >= frames) this.rec.delete(k);
        }
      }
      this._verify();
    }
    this.over = true;
  }

  // --- internals -------------------------------------------------------------------

  _applyConfirms() {
    const upTo = this.confirmedCount;
    if (upTo <= this.applied) return;
    this.lastConf = this.conf.get(upTo - 1).actions;
    let r = -1;
    const end = Math.min(upTo, this.f);
    for (let k = this.applied; k < end; k++) {
      if (!sameActions(this.rec.get(k)?.actions, this.conf.get(k).actions)) { r = k; break; }
    }
    this.applied = upTo;
    if (r >= 0) this._rollbackTo(r);
  }

  _rollbackTo(r) {
    const snap = this._snapshotAt(r);
    if (!snap) return; // cannot happen within the prediction limit; the server's hash check resyncs us
    const target = this.f;
    const t0 = now();
    this.env.setState(snap);
    this.f = r;
    while (this.f < target && !this.finished) this._simulate(this.f);
    for (const k of this.rec.keys()) if (k >= this.f) this.rec.delete(k);
    const depth = target - r;
    pushBounded(this.rollbackCosts, { depth, ms: now() - t0 });
    this.rollbacks++;
    if (depth > this.maxRollback) this.maxRollback = depth;
  }

  _actionsFor(k) {
    const c = this.conf.get(k);
    if (c) return Array.from(c.actions);
    const a = new Array(this.nseats);
    const hosted = this.hosted.get(k);
    for (let s = 0; s < this.nseats; s++) {
      if (s === this.seat) a[s] = this.local.get(k) ?? this.defaultAction;
      else if (hosted?.has(s)) a[s] = hosted.get(s);
      else a[s] = this.lastConf ? this.lastConf[s] : this.defaultAction;
    }
    return a;
  }

  _simulate(k) {
    const actions = this._actionsFor(k);
    const out = this.env.step(actions);
    this.steps++;
    const prevScore = this.rec.get(k - 1)?.score ?? this.baseScore;
    let gained = 0;
    if (out?.rewards) for (const r of out.rewards) gained += Number(r) || 0;
    this.rec.set(k, {
      actions,
      hash: this.env.hash(),
      done: !!(out?.terminated || out?.truncated),
      rewards: out?.rewards,
      info: out?.info,
      score: prevScore + gained,
    });
    this.f = k + 1;
    this._snapshot(this.f);
  }

  // A confirmed frame's hash is comparable only once every earlier frame ran on confirmed
  // inputs, i.e. for frames below min(f, applied). One mismatch means our state diverged;
  // later frames then differ too, so count it once until the server's STATE arrives.
  _verify() {
    const upTo = Math.min(this.f, this.applied);
    for (let k = this.verified; k < upTo; k++) {
      const mine = this.rec.get(k)?.hash;
      const theirs = this.conf.get(k)?.hash;
      if (mine !== undefined && theirs !== undefined && mine !== theirs && !this.desynced) {
        this.desyncs++;
        this.desynced = true;
      }
    }
    if (upTo > this.verified) this.verified = upTo;
  }

  // Keep records from c on (c's hash goes into every INPUT); drop everything older.
  _prune() {
    const keep = Math.min(this.lastConfirmed, this.verified);
    for (let k = this.pruned; k < keep; k++) {
      this.rec.delete(k);
      this.local.delete(k);
      this.hosted.delete(k);
      this.conf.delete(k);
    }
    if (keep > this.pruned) this.pruned = keep;
  }

  _snapshot(frame) {
    this.ring[frame % this.ring.length] = { frame, bytes: this.env.getState() };
  }

  _snapshotAt(frame) {
    const s = this.ring[frame % this.ring.length];
    return s && s.frame === frame ? s.bytes : null;
  }
}
