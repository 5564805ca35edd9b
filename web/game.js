// A game scene in play (docs/DESIGN.md sections 5 and 6): the glue between the server's game
// messages, the rollback client, the tick worker, the keyboard, the canvas and the HUD.
// The netcode itself lives in rollback.js; this file only wires it to the page.

import { RollbackClient } from './rollback.js';
import { decodeServer, hashHex } from './wire.js';
import { KeyState, attachKeys } from './input.js';
import { Ticker } from './ticker.js';
import { Hud } from './hud.js';
import { controlsText, stepPeriodMs } from './format.js';
import { t } from './texts.js';
import { episodeSeed } from './agent.js';

// During an episode the server sends CONFIRMs every loop pass; this much silence means
// the socket is dead even if TCP has not noticed, so reconnect (and get a STATE).
const IDLE_LIMIT_MS = 6000;
const SITE_ROOT = new URL('./', import.meta.url);
const MAX_CANVAS_W = 760;

export class Game {
  /**
   * el: #game (holds #hud, canvas, #controls); overlay: Overlay; status: window.cohort;
   * conn: Connection; setState(name); envBase: URL of the folder holding FAMILY.wasm.
   */
  constructor({ el, overlay, status, conn, setState, envBase }) {
    this.el = el;
    this.canvas = el.querySelector('canvas');
    this.controls = el.querySelector('#controls');
    this.hudEl = el.querySelector('#hud');
    this.hud = new Hud(this.hudEl);
    this.overlay = overlay;
    this.status = status;
    this.conn = conn;
    this.setState = setState;
    this.envBase = envBase;
    this.ticker = new Ticker(() => this._tick());
    this.loadSeq = 0; // outlives _reset(): a load finishing after stop() must not apply
    this._reset();
    this._onResize = () => this._fit();
  }

  _reset() {
    this.id = null;
    this.cfg = null;
    this.env = null;
    this.drawList = null;
    this.rc = null;
    this.keys = null;
    this.detachKeys = null;
    this.loading = null;
    this.pending = [];
    this.episode = null;
    this.endedEpisode = null;
    this.running = false;
    this.finished = false;
    this.resendOnState = false;
    this.dirty = false;
    this.raf = 0;
    this.countdownTimer = null;
    this.agents = new Map(); // seat -> ModelAgent, for the model seats this page runs
    this.deciding = false;   // an ONNX decision is out; ticks wait for it
  }

  /** A game exists for this scene (matched or started, not yet torn down). */
  get active() { return this.id !== null; }

  /** A (new) connection was welcomed: its first STATE is our cue to re-send lost inputs. */
  connected() {
    if (this.rc?.active && !this.rc.over) this.resendOnState = true;
  }

  /** `matched`: a group was formed; the game starts after the countdown. */
  matched(msg) {
    if (this.id !== null && this.id !== msg.game) this.stop();
    if (!this.cfg) Object.assign(this.status.game, freshGameStatus(), { id: msg.game, seat: msg.seat });
    this.id = msg.game;
    this._show();
    this.setState('countdown');
    this._countdown('matched_countdown', {}, msg.countdown_ms);
  }

  /** `game_start`: load the env, then play whatever arrived meanwhile, in order. */
  start(msg) {
    if (this.id === msg.game && this.cfg) {
      // The same game again (we reconnected): keep the env and the counters.
      this.cfg = { ...this.cfg, ...msg };
      this.status.game.seat = msg.seat;
      return;
    }
    if (this.id !== null && this.id !== msg.game) this.stop();
    if (this.id !== msg.game) Object.assign(this.status.game, freshGameStatus());
    this.id = msg.game;
    this.cfg = msg;
    Object.assign(this.status.game, { id: msg.game, seat: msg.seat, episodes: msg.episodes });
    this._show();
    if (!['countdown', 'playing', 'between_episodes'].includes(this.status.state)) this.setState('countdown');
    const seq = ++this.loadSeq;
    this.loading = this._load(msg, seq).then(
      () => {
        if (seq !== this.loadSeq) return;
        this.loading = null;
        const queued = this.pending;
        this.pending = [];
        for (const fn of queued) fn();
      },
      (err) => {
        if (seq !== this.loadSeq) return;
        console.error('cohort: could not load the game', err);
        this.overlay.set('game-error', t('game_load_failed'), { tone: 'error' });
      },
    );
  }

  async _load(msg, seq) {
    const [{ loadEnv }, { drawList, loadSprites }] = await Promise.all([importOnce('./env.js'), importOnce('./draw.js')]);
    // the env's wasm and its family's sprite painter (envs/FAMILY/web/sprites.js) together
    const [env, sprites] = await Promise.all([loadEnv(msg.env, { base: this.envBase }), loadSprites(msg.env, this.envBase)]);
    if (seq !== this.loadSeq) return; // another game (or none) by now
    const nseats = msg.seats?.length ?? env.info.players;
    if (env.info.players !== nseats) throw new Error(`env has ${env.info.players} players, game has ${nseats} seats`);
    const defaultAction = Number.isInteger(msg.default_action) ? msg.default_action : env.info.defaultAction;
    this.env = env;
    this.drawList = (ctx, cmds, vw, vh, cw, ch) => drawList(ctx, cmds, vw, vh, cw, ch, sprites);
    this.rc = new RollbackClient({
      env,
      seat: msg.seat,
      nseats,
      inputDelay: msg.input_delay ?? 0,
      predictionLimit: msg.prediction_limit ?? 2 * (msg.confirm_window ?? 15),
      defaultAction,
    });
    // Raw measurements for bench/browser (kept off window.cohort, which tests poll often).
    window.cohortStats = { latencies: this.rc.latencies, rollbackCosts: this.rc.rollbackCosts };
    await this._loadAgents(msg, env, seq);
    if (seq !== this.loadSeq) return;
    this.keys = new KeyState(msg.keys, defaultAction, msg.input);
    this.detachKeys = attachKeys(window, this.keys);
    this.scoreIndex = (env.info.infoNames ?? []).findIndex((n) => /score/i.test(n));
    if (this.controls) this.controls.textContent = controlsText(msg.keys, env.info.actionNames);
    this._fit();
    window.addEventListener('resize', this._onResize);
    this._publish();
  }

  // The game's model seats run in the page of seat model_host (docs/AGENTS.md): only that
  // page loads the runtime and the models; every other page predicts them like a partner.
  async _loadAgents(msg, env, seq) {
    const specs = (msg.models ?? []).filter((m) => msg.model_host === msg.seat && m.seat !== msg.seat);
    if (!specs.length) return;
    const runtimes = {};
    if (specs.some((m) => m.format !== 'onnx')) {
      const tf = await importOnce('./vendor/tf.fesm.min.js');
      // The CPU backend answers synchronously: a decision lands inside the tick needing it.
      await tf.setBackend('cpu');
      await tf.ready();
      runtimes.tf = tf;
    }
    if (specs.some((m) => m.format === 'onnx')) {
      const ort = await importOnce('./vendor/ort/ort.wasm.min.mjs');
      ort.env.wasm.wasmPaths = new URL('./vendor/ort/', import.meta.url).href;
      ort.env.wasm.numThreads = 1;
      runtimes.ort = ort;
    }
    const { ModelAgent } = await import('./agent.js');
    // The server names files from its own root (/models/...); this page's folder is that
    // root, also when a proxy serves the study under a path (/s/STUDY/models/...).
    const readFile = async (url) => {
      const res = await fetch(new URL(url.replace(/^\/+/, ''), SITE_ROOT));
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return res.arrayBuffer();
    };
    for (const spec of specs) {
      const agent = await ModelAgent.load(spec, env, runtimes, readFile);
      if (seq !== this.loadSeq) return agent.dispose();
      this.agents.set(spec.seat, agent);
    }
    this.rc.setHostedSeats([...this.agents.keys()]);
    this.status.game.hostedSeats = [...this.agents.keys()];
  }

  // Everything that needs the env waits for it, in arrival order.
  _whenLoaded(fn) {
    if (this.loading || (this.cfg && !this.rc)) this.pending.push(fn);
    else if (this.rc) fn();
  }

  /** `countdown {episode, ms}` before an episode. */
  countdown(msg) {
    this._show();
    this.setState('countdown');
    const n = this.cfg?.episodes;
    if (n > 1) this._countdown('round_countdown', { round: msg.episode + 1, rounds: n }, msg.ms);
    else this._countdown('game_countdown', {}, msg.ms);
  }

  episodeStart(msg) {
    this._whenLoaded(() => this._begin(msg.episode, BigInt(msg.seed), true));
  }

  _begin(episode, seed, sendDefaults) {
    // A sampling model seat draws from the seed computed from game_start's (a page that
    // resumed mid-episode never saw episode_start): both must be the server's.
    if (sendDefaults && this.agents.size && episodeSeedOf(this.cfg.seed, episode) !== seed) {
      console.error('cohort: the episode seed does not follow from the game seed');
    }
    this.episode = episode;
    this.finished = false;
    const inputs = this.rc.startEpisode(seed, this.cfg.max_steps ?? 0, episode);
    this.keys.consume(); // a press from before the episode (the countdown) is not its first step's
    if (sendDefaults) for (const b of inputs) this.conn.sendBinary(b);
    this._stopCountdown();
    this.overlay.clearMatching('round');
    // A button that still has focus would be "pressed" by the space key.
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    this.running = true;
    this.ticker.start(stepPeriodMs(this.cfg));
    this.conn.watchIdle(IDLE_LIMIT_MS);
    this.setState('playing');
    this.dirty = true;
    this._publish();
  }

  // The server defaulted this seat's inputs because the partner was a confirm window
  // ahead (after a network stall, a throttled tab): jump that far ahead so our inputs
  // land on time again instead of trailing the partner for the rest of the episode.
  lag(msg) {
    this._whenLoaded(() => {
      if (!this.rc || !Number.isInteger(msg.lead) || msg.lead < 0) return;
      for (const input of this.rc.catchUpTo(msg.lead)) this.conn.sendBinary(input);
      this.dirty = true;
      this._publish();
    });
  }

  episodeEnd(msg) {
    this._whenLoaded(() => {
      if (msg.episode !== this.episode) return;
      this.rc.endEpisode(msg.frames);
      this._halt();
      this.endedEpisode = msg.episode;
      this.setState('between_episodes');
      const n = this.cfg.episodes;
      if (n > 1 && msg.reason !== 'cut') {
        const last = msg.episode + 1 >= n;
        this.overlay.set('round', last ? t('round_last') : t('round_over', { round: msg.episode + 1, rounds: n }), { tone: 'good', ttl: 4000 });
      }
      this.dirty = true;
      this._publish();
    });
  }

  /** `game_end {reason}`: the next scene follows; until then keep the last picture. */
  gameEnd(msg) {
    // The end page that follows says why in full; this is the word over the last picture.
    const keys = { completed: 'game_end_completed', partner_dropped: 'game_end_partner_dropped', excluded: 'game_end_excluded' };
    const done = () => {
      this._halt();
      this.finished = true;
      this.detachKeys?.();
      this.detachKeys = null;
      this._stopCountdown();
      this.overlay.clearMatching('partner');
      this.overlay.set('round', keys[msg.reason] ? t(keys[msg.reason]) : t('game_end_other', { reason: msg.reason }), {
        tone: msg.reason === 'completed' ? 'good' : 'warn',
        ttl: 8000,
      });
    };
    if (this.loading) this.pending.push(done);
    else done();
  }

  /** A binary game message. */
  binary(buf) {
    this._whenLoaded(() => {
      const m = decodeServer(buf);
      if (!m) { console.warn('cohort: malformed game message ignored'); return; }
      const rc = this.rc;
      if (m.kind === 'state' && (!rc.active || rc.over) && !this.finished && m.episode !== ((this.endedEpisode ?? -1) & 255)) {
        // Resumed mid-episode without an episode_start: the state says everything.
        this._begin(this._episodeFromByte(m.episode), 0n, false);
      }
      if (!rc.active || m.episode !== (this.episode & 255)) return; // another episode's
      if (m.kind === 'confirm') {
        if (m.nseats === rc.nseats) rc.onConfirm(m.first, m.actions, m.hashes);
      } else {
        rc.onState(m.frame, m.bytes);
        if (this.resendOnState) {
          // Inputs in flight when the old socket died are gone; the server may be waiting
          // for them (see RollbackClient.unconfirmedInputs).
          this.resendOnState = false;
          for (const b of rc.unconfirmedInputs()) this.conn.sendBinary(b);
        }
        this.dirty = true;
        this._publish();
      }
    });
  }

  _episodeFromByte(b) {
    const base = this.episode ?? 0;
    let e = base - (base & 255) + b;
    if (e < base) e += 256;
    return e;
  }

  // One worker tick (docs/DESIGN.md section 6, steps 1-3).
  _tick() {
    const rc = this.rc;
    if (!this.running || !rc || this.deciding) return;
    // A press is used up only by a step that sends it: a tick that sends nothing (the
    // client is at its prediction limit) keeps it for the next.
    const input = rc.localInput(this.keys.peek());
    if (input) {
      this.keys.consume();
      this.conn.sendBinary(input);
    }
    if (!this.agents.size) {
      if (rc.tick().changed) this.dirty = true;
      this._publish();
      return;
    }
    const steps = rc.steps;
    rc.prepare();
    this._decideAndAdvance(rc, steps);
  }

  // The model seats' actions for the frame about to be simulated, from the state it starts
  // in; then that frame. An ONNX model answers asynchronously: the tick resumes when it has,
  // unless the state moved meanwhile (a STATE arrived), when the next tick decides afresh.
  _decideAndAdvance(rc, steps) {
    const seed = episodeSeedOf(this.cfg.seed, rc.episode);
    for (let s = rc.pendingDecision(); s >= 0; s = rc.pendingDecision()) {
      const agent = this.agents.get(s);
      const frame = rc.frame;
      const episode = rc.episode;
      const action = agent.decide(this.env, frame, seed);
      if (action instanceof Promise) {
        this.deciding = true;
        action.then(
          (a) => {
            this.deciding = false;
            if (this.rc !== rc || !this.running || rc.frame !== frame || rc.episode !== episode) return;
            const b = rc.hostedInput(s, a);
            if (b) this.conn.sendBinary(b);
            this._decideAndAdvance(rc, steps);
          },
          (err) => {
            this.deciding = false;
            console.error('cohort: the model failed', err);
          },
        );
        return;
      }
      const b = rc.hostedInput(s, action);
      if (b) this.conn.sendBinary(b);
    }
    rc.advance();
    if (rc.steps !== steps) this.dirty = true;
    this._publish();
  }

  _publish() {
    const g = this.status.game;
    const rc = this.rc;
    g.id = this.id;
    g.seat = this.cfg?.seat ?? g.seat;
    g.episodes = this.cfg?.episodes ?? g.episodes;
    if (!rc) return;
    g.episode = this.episode;
    g.frame = rc.frame;
    g.confirmed = rc.confirmed;
    g.rollbacks = rc.rollbacks;
    g.maxRollback = rc.maxRollback;
    g.stalls = rc.stalls;
    g.desyncs = rc.desyncs;
    g.resyncs = rc.resyncs;
    const c = rc.lastConfirmed;
    const h = c >= 0 ? rc.hashOf(c) : undefined;
    g.hash = h === undefined ? null : hashHex(h);
    const info = rc.lastInfo;
    g.score = this.scoreIndex >= 0 && info ? Number(info[this.scoreIndex]) : rc.score;
    this.hud.update({
      episode: this.episode ?? 0,
      episodes: this.cfg.episodes,
      score: g.score,
      seat: this.cfg.seat,
      nseats: rc.nseats,
      // Before the first round starts, show how long a round lasts.
      framesLeft: rc.active ? rc.horizon - rc.frame : this.cfg.max_steps,
      stepMs: stepPeriodMs(this.cfg),
    });
  }

  _halt() {
    this.running = false;
    this.ticker.stop();
    this.conn.watchIdle(0);
  }

  /** The countdown overlay: text key (its {seconds} counts down) and its other values. */
  _countdown(key, vars, ms) {
    this._stopCountdown();
    if (!(ms > 0)) return;
    const deadline = performance.now() + ms;
    const draw = () => {
      const left = Math.ceil((deadline - performance.now()) / 1000);
      if (left <= 0) {
        this.overlay.set('countdown', t('starting'), { tone: 'good' });
        clearInterval(this.countdownTimer);
        this.countdownTimer = null;
      } else {
        this.overlay.set('countdown', t(key, { ...vars, seconds: left }), { tone: 'good' });
      }
    };
    draw();
    this.countdownTimer = setInterval(draw, 100);
  }

  _stopCountdown() {
    clearInterval(this.countdownTimer);
    this.countdownTimer = null;
    this.overlay.clear('countdown');
  }

  _show() {
    this.el.hidden = false;
    if (!this.raf) this.raf = requestAnimationFrame(() => this._frame());
  }

  // Step 4: draw the newest state, at most once per display frame and only if it changed.
  _frame() {
    this.raf = 0;
    if (this.el.hidden) return;
    if (this.dirty && this.env && this.drawList) {
      this.dirty = false;
      const ctx = this.canvas.getContext('2d');
      const { viewW, viewH } = this.env.info;
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.drawList(ctx, this.env.render(), viewW, viewH, this.canvas.width, this.canvas.height);
    }
    this.raf = requestAnimationFrame(() => this._frame());
  }

  // Scale the env's view box to the column, crisp on high-DPI screens.
  _fit() {
    if (!this.env) return;
    const { viewW, viewH } = this.env.info;
    if (!(viewW > 0 && viewH > 0)) return;
    const avail = Math.min(MAX_CANVAS_W, this.el.clientWidth || MAX_CANVAS_W);
    let w = avail;
    let h = (w * viewH) / viewW;
    const maxH = window.innerHeight * 0.68;
    if (h > maxH && maxH > 100) { h = maxH; w = (h * viewW) / viewH; }
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${Math.round(w)}px`;
    if (this.hudEl) this.hudEl.style.width = `${Math.round(w)}px`;
    this.canvas.style.height = `${Math.round(h)}px`;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.dirty = true;
  }

  /** Tear down: the scene changed or the session ended. */
  stop() {
    this._halt();
    this.ticker.dispose();
    this.ticker = new Ticker(() => this._tick());
    this.detachKeys?.();
    this._stopCountdown();
    if (this.raf) cancelAnimationFrame(this.raf);
    window.removeEventListener('resize', this._onResize);
    this.el.hidden = true;
    this.loadSeq++;
    for (const agent of this.agents.values()) agent.dispose();
    this._reset();
  }
}

const episodeSeedOf = (gameSeed, episode) => episodeSeed(BigInt(gameSeed ?? 0), episode);

// The browser remembers a failed module fetch for the page's lifetime, so a network
// blip while fetching the game code would stick; retry once under another URL.
async function importOnce(rel) {
  try {
    return await import(rel);
  } catch {
    return import(`${rel}?retry=${Date.now()}`);
  }
}

export function freshGameStatus() {
  return {
    id: null, seat: null, episode: null, episodes: null, frame: 0, confirmed: 0,
    rollbacks: 0, maxRollback: 0, stalls: 0, desyncs: 0, resyncs: 0, hash: null, score: 0,
  };
}
