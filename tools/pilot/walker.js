// One pilot participant's way through the study (docs/PILOT.md "What a pilot participant
// does"): whatever the server shows, the walker does what a person would: reads the page
// (screenshot), fills its form and continues (quizzes by the stated policy), presses Start,
// waits, plays with the game's own keys, goes through exit scenes, and stops at the end
// page with its code. It never assumes the order of scenes: it follows the server.

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setVisibility } from '../harness/participant.js';
import { rng } from '../harness/network.js';
import { collected, fillForm, probeInvalid } from './forms.js';

const GAME_STATES = ['countdown', 'playing', 'between_episodes'];

// KeyboardEvent.key (the experiment's `keys:`) -> Playwright's key name.
function playwrightKey(k) {
  if (k === ' ') return 'Space';
  return k.length === 1 ? k : k;
}

/** In every document of the page: note each change of window.cohort's scene or state. */
const OBSERVER = `(() => {
  let last = '';
  const pct = (a, q) => { if (!a.length) return null; const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
  setInterval(() => {
    const c = window.cohort;
    if (!c || !window.__pilotNote) return;
    const key = c.scene + '|' + c.state + '|' + (c.game && c.game.episode);
    if (key === last) return;
    last = key;
    const lat = (window.cohortStats && window.cohortStats.latencies) || [];
    window.__pilotNote({ t: Date.now(), scene: c.scene, state: c.state, outcome: c.outcome,
      game: c.game ? { id: c.game.id, seat: c.game.seat, episode: c.game.episode, confirmed: c.game.confirmed,
        rollbacks: c.game.rollbacks, maxRollback: c.game.maxRollback, stalls: c.game.stalls, desyncs: c.game.desyncs,
        resyncs: c.game.resyncs, score: c.game.score } : null,
      latency: lat.length ? { n: lat.length, p50: pct(lat, 0.5), p95: pct(lat, 0.95), max: Math.max(...lat) } : null });
  }, 100);
})();`;

export class Walker {
  /**
   * p: a harness Participant; plan: the experiment (pilot.c's JSON); opts: {url, shotsDir,
   * quiz ('right' | 'wrong-first' | 'fail'), invalid (bool), play ('random' | 'hold'),
   * events ({drop, hide, reload}), seed, params, log(fn)}.
   */
  constructor(p, plan, opts) {
    this.p = p;
    this.plan = plan;
    this.o = opts;
    this.random = rng(opts.seed);
    this.rec = {
      name: p.name, pid: p.pid, profile: opts.profile, events: Object.keys(opts.events ?? {}), quizPolicy: opts.quiz,
      condition: null, notes: [], shots: [], forms: [], invalid: [], quiz: [], problems: [], errors: [], games: {},
      outcome: null, code: null, bonus: null, expected: 'completed', startedAt: null, endedAt: null, eventLog: [],
    };
    this.shotKeys = new Set();
    this.keys = null;
    this.quizWrongLeft = new Map(); // scene -> wrong attempts still to give
  }

  scenesById(id) { return this.plan.scenes.filter((s) => s.id === id); }
  sceneFor(id) {
    const all = this.scenesById(id);
    return all.find((s) => s.condition === this.rec.condition) ?? all.find((s) => s.condition === null) ?? all[0];
  }

  note(text) { this.rec.eventLog.push(`${new Date().toISOString().slice(11, 23)} ${text}`); }

  async attach() {
    const { page } = this.p;
    await page.exposeBinding('__pilotNote', (_src, n) => { this.rec.notes.push(n); });
    await page.addInitScript(OBSERVER);
    page.on('console', (m) => { if (m.type() === 'error') this.rec.errors.push({ t: Date.now(), text: m.text(), where: page.url() }); });
    page.on('pageerror', (e) => this.rec.errors.push({ t: Date.now(), text: `uncaught: ${e.message}`, where: page.url(), uncaught: true }));
    page.on('crash', () => this.rec.problems.push('the page crashed'));
  }

  async shot(label) {
    const key = label;
    if (this.shotKeys.has(key)) return;
    this.shotKeys.add(key);
    const file = `${this.p.name}-${String(this.rec.shots.length + 1).padStart(2, '0')}-${label.replace(/[^A-Za-z0-9_.-]+/g, '_')}.png`;
    try {
      await this.p.page.screenshot({ path: path.join(this.o.shotsDir, file), timeout: 10000 });
      this.rec.shots.push({ label, file });
    } catch (e) {
      this.rec.problems.push(`screenshot "${label}" failed: ${e.message.split('\n')[0]}`);
    }
  }

  status() { return this.p.status().catch(() => null); }

  /** The whole walk; resolves with the record (problems in rec.problems, never throws). */
  async run() {
    this.rec.startedAt = Date.now();
    try {
      await this.p.open(this.o.url, this.o.params);
      await this.loop();
    } catch (e) {
      if (!e.reported) this.rec.problems.push(e.message.split('\n').slice(0, 3).join(' '));
      await this.shot('stuck').catch(() => {});
    } finally {
      await this.stopKeys();
      this.rec.endedAt = Date.now();
    }
    return this.rec;
  }

  async loop() {
    let visit = 0;
    for (let steps = 0; steps < 400; steps++) {
      const st = await this.status();
      if (!st) throw new Error('the page is gone');
      if (st.state === 'done') return this.finish(st);
      if (st.state === 'ended') {
        await this.shot('ended');
        const text = await this.p.page.locator('#overlay').innerText().catch(() => '');
        throw new Error(`the server ended the session on scene "${st.scene}": ${text.replace(/\s+/g, ' ').trim()}`);
      }
      if (st.state === 'page') {
        const isGame = await this.p.page.locator('#start').count() > 0;
        visit++;
        if (isGame) await this.gameIntro(st, visit);
        else await this.pageScene(st, visit);
      } else if (st.state === 'waiting') {
        await this.waitRoom(st);
      } else if (GAME_STATES.includes(st.state)) {
        await this.playGame(st);
      } else {
        await this.p.waitFor(() => window.cohort?.state && window.cohort.state !== null, { what: 'a first scene', timeout: 30000 });
      }
    }
    throw new Error('more than 400 steps without reaching the end page');
  }

  async pageScene(st, visit) {
    const scene = this.sceneFor(st.scene);
    const page = this.p.page;
    await this.shot(`${st.scene}`);
    const hasForm = Boolean(scene?.form);
    const quiz = scene?.quiz ?? null;
    if (hasForm && this.o.invalid && !this.rec.invalid.some((x) => x.scene === st.scene)) {
      for (const r of await probeInvalid(page, st.scene)) {
        this.rec.invalid.push({ scene: st.scene, ...r });
        if (!r.refused) this.rec.problems.push(`page "${st.scene}" accepted an invalid form: ${r.what}`);
      }
      const now = await this.status();
      if (now?.scene !== st.scene) return; // it went on: reported above
    }
    let wrong = false;
    if (quiz) {
      if (!this.quizWrongLeft.has(st.scene)) {
        const policy = this.o.quiz;
        this.quizWrongLeft.set(st.scene, policy === 'wrong-first' ? 1 : policy === 'fail' ? quiz.max_attempts : 0);
        if (policy === 'fail' && quiz.on_fail === 'exclude') this.rec.expected = 'quiz_failed';
      }
      wrong = this.quizWrongLeft.get(st.scene) > 0;
    }
    if (hasForm) {
      const { filled, problems, wrongGiven } = await fillForm(page, { scene: st.scene, quiz, wrong, n: this.o.index, random: this.random });
      if (problems.length) {
        this.rec.problems.push(...problems);
        await this.shot(`${st.scene}-cannot-complete`);
        throw Object.assign(new Error(`cannot complete page "${st.scene}"`), { reported: true });
      }
      if (wrong && !wrongGiven) this.note(`${st.scene}: no valid wrong answer exists; answered right`);
      const sent = await collected(page).catch(() => filled);
      this.rec.forms.push({ scene: st.scene, form: sent, quizWrong: wrong && wrongGiven });
      if (wrong && wrongGiven) this.quizWrongLeft.set(st.scene, this.quizWrongLeft.get(st.scene) - 1);
    }
    const attempt = (st.quiz?.attempt ?? 0);
    await page.locator('#advance').click();
    if (quiz) {
      // Graded: either a quiz_result (a wrong attempt, the page stays) or the next scene.
      await this.p.waitFor((a) => window.cohort?.scene !== a.scene || (window.cohort?.quiz?.attempt ?? 0) > a.attempt || window.cohort?.state === 'done',
        { arg: { scene: st.scene, attempt }, what: `the quiz on "${st.scene}" graded`, timeout: 20000 });
      const now = await this.status();
      if (now?.quiz && now.scene === st.scene) {
        this.rec.quiz.push({ scene: st.scene, attempt: now.quiz.attempt, passed: now.quiz.passed, wrong: now.quiz.wrong, left: now.quiz.attemptsLeft });
        if (now.quiz.attempt === 1 && !now.quiz.passed) await this.shot(`${st.scene}-quiz-feedback`);
      } else {
        this.rec.quiz.push({ scene: st.scene, attempt: attempt + 1, passed: now?.scene !== st.scene && now?.state !== 'done' ? true : null });
      }
      return;
    }
    await this.p.waitFor((s) => window.cohort?.scene !== s || window.cohort?.state !== 'page', { arg: st.scene, what: `leave page "${st.scene}"`, timeout: 20000 });
  }

  async gameIntro(st) {
    await this.shot(`${st.scene}-intro`);
    this.note(`start ${st.scene}`);
    await this.p.start();
  }

  async waitRoom(st) {
    const scene = this.sceneFor(st.scene);
    await this.shot(`${st.scene}-waiting`);
    const timeout = ((scene?.settings?.waitroom_timeout_s ?? 180) + (scene?.partners?.wait_s ?? 0) + 30) * 1000;
    await this.p.waitFor(() => window.cohort?.state !== 'waiting', { what: `leave the waiting room of "${st.scene}"`, timeout, polling: 250 });
  }

  startKeys(scene) {
    if (this.keys) return;
    const keys = Object.keys(scene?.game?.keys ?? {}).map(playwrightKey);
    if (!keys.length) return;
    const page = this.p.page;
    const state = { stop: false, presses: 0 };
    const hold = this.o.play === 'hold';
    state.done = (async () => {
      while (!state.stop && !page.isClosed()) {
        const key = keys[Math.floor(this.random() * keys.length)];
        try {
          await page.keyboard.down(key);
          state.presses++;
          // random: a key held 60-250 ms, as a person tapping; hold: 0.5-2 s runs.
          await sleep(hold ? 500 + this.random() * 1500 : 60 + this.random() * 190);
          await page.keyboard.up(key);
        } catch {
          await sleep(100); // a reload in progress: go on once the page is back
        }
      }
    })();
    this.keys = state;
  }

  async stopKeys() {
    const k = this.keys;
    if (!k) return;
    k.stop = true;
    await k.done;
    this.rec.presses = (this.rec.presses ?? 0) + k.presses;
    this.keys = null;
  }

  /** The game, from countdown until the page leaves the game states; events on the way. */
  async playGame(st) {
    const scene = this.sceneFor(st.scene);
    const g = scene?.game;
    const page = this.p.page;
    this.startKeys(scene);
    const events = this.o.events ?? {};
    const firstGame = !this.playedOne;
    this.playedOne = true;
    // The moment of a scripted event: a random frame in the middle half of episode 0.
    const maxSteps = g?.max_steps ?? 300;
    const at = Math.floor(maxSteps * (0.25 + this.random() * 0.5));
    let fired = !firstGame || !(events.drop || events.hide || events.reload);
    let lastFrame = -1, lastMove = Date.now(), shotPlaying = false;
    const settings = scene?.settings ?? {};
    const stuckMs = 20000 + (g?.countdown_s ?? 3) * 1000;
    for (;;) {
      const now = await this.status();
      if (!now) throw new Error('the page is gone');
      if (!GAME_STATES.includes(now.state) && now.state !== null) break;
      const frame = now.game?.confirmed ?? 0;
      if (frame !== lastFrame) { lastFrame = frame; lastMove = Date.now(); }
      if (now.state === 'playing' && !shotPlaying && frame > 45) { shotPlaying = true; await this.shot(`${st.scene}-playing`); }
      if (!fired && now.state === 'playing' && (now.game?.episode ?? 0) === 0 && frame >= at) {
        fired = true;
        if (events.drop) {
          const hold = (settings.reconnect_grace_s ?? 10) * 1000 + 3000;
          this.note(`drop: network cut at frame ${frame} for ${hold} ms (reconnect grace ${settings.reconnect_grace_s} s)`);
          this.rec.expected = 'abandoned';
          await this.p.net.cut();
          await sleep(hold); // the stated fault: longer than the grace
          this.p.net.restore();
          await applyAgain(this);
          this.note('drop: network back');
        } else if (events.hide) {
          const ms = Math.min(3000, Math.max(500, ((settings.focus_loss_timeout_s || 30) * 1000) / 3));
          this.note(`hide: tab hidden at frame ${frame} for ${ms} ms`);
          await setVisibility(page, false);
          await sleep(ms); // the stated hidden time
          await setVisibility(page, true).catch(() => {});
        } else if (events.reload) {
          this.note(`reload at frame ${frame}`);
          await page.reload();
          await this.p.waitFor(() => window.cohort?.connected === true && window.cohort.state !== null, { what: 'back after the reload', timeout: 30000 });
        }
        lastMove = Date.now();
        continue;
      }
      if (now.state === 'playing' && Date.now() - lastMove > stuckMs) {
        await this.shot(`${st.scene}-stuck`);
        throw new Error(`stuck in "${st.scene}": the confirmed frame stayed at ${frame} for ${Math.round((Date.now() - lastMove) / 1000)} s`);
      }
      if (now.state !== 'playing' && Date.now() - lastMove > stuckMs + 20000) {
        await this.shot(`${st.scene}-stuck`);
        throw new Error(`stuck in "${st.scene}" in state ${now.state} for ${Math.round((Date.now() - lastMove) / 1000)} s`);
      }
      await sleep(400); // polling the page's status
    }
    await this.stopKeys();
  }

  async finish(st) {
    await this.shot('end');
    this.rec.outcome = st.outcome;
    this.rec.code = st.code ?? null;
    this.rec.bonus = st.bonus ?? null;
    this.rec.endText = (await this.p.page.locator('#scene').innerText().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 400);
  }
}

// After a drop the profile's delays apply again (restore() clears them).
async function applyAgain(w) {
  const { PROFILES } = await import('./profiles.js');
  const p = PROFILES[w.rec.profile];
  if (p.base || p.range) w.p.net.jitter(p.base, p.range);
  if (p.loss) w.p.net.loss(p.loss);
}
