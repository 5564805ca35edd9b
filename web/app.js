// The participant client's entry point: connects, routes server messages to the views,
// and keeps window.cohort (the contract tests read, docs/DESIGN.md section 10) up to date.

import { Connection, socketUrl } from './connection.js';
import { Identity, pageParams } from './identity.js';
import { Overlay } from './overlay.js';
import { renderEnd, renderGameIntro, renderPage, showQuizResult } from './scenes.js';
import { Waitroom } from './waitroom.js';
import { Game, freshGameStatus } from './game.js';
import { applyTexts, setLanguage, setTexts, t } from './texts.js';

const $ = (id) => document.getElementById(id);

// The only global. state: page | waiting | countdown | playing | between_episodes |
// done (end scene shown) | ended (the server ended the connection: replaced or error);
// null until the first scene arrives.
const status = {
  connected: false,
  subject: null,
  experiment: null,
  scene: null,
  state: null,
  outcome: null,
  code: null,
  quiz: null, // the last quiz_result on this page: {scene, attempt, attemptsLeft, passed, wrong}
  bonus: null, // the amount the end page shows ("1.02"), null when it shows none
  game: freshGameStatus(),
};
window.cohort = status;

const els = { scene: $('scene'), waitroom: $('waitroom'), game: $('game'), overlay: $('overlay') };
const overlay = new Overlay(els.overlay);
const identity = new Identity(globalThis.localStorage, pageParams(location.search), new URL('./', location.href).pathname);
let current = null; // the scene message being shown
// The quiz attempt the page makes next: 1 + the last quiz_result since the scene arrived.
// The server grades only that number, so a doubled click is not a second attempt.
let quizAttempt = 1;
let welcomedOnce = false;
let retriedFresh = false;
let lostTimer = null;

const setState = (s) => { status.state = s; document.body.dataset.state = s; };

const conn = new Connection(socketUrl(location), {
  hello: () => identity.hello(),
  onMessage,
  onBinary: (buf) => game.binary(buf),
  onStatus: ({ open }) => {
    if (open) return; // connected only once welcomed
    status.connected = false;
    // Say so only if it lasts: a quick reconnect should not flash a warning.
    clearTimeout(lostTimer);
    lostTimer = setTimeout(() => {
      if (!status.connected && status.state !== 'ended') {
        overlay.set('connection', 'Connection lost. Reconnecting…', { tone: 'warn' });
      }
    }, 1000);
  },
});

const game = new Game({
  el: els.game,
  overlay,
  status,
  conn,
  setState,
  envBase: new URL('envs/', import.meta.url).href,
});

const waitroom = new Waitroom(els.waitroom, {
  onLeave: () => {
    if (!conn.send({ type: 'leave' })) return false;
    waitroom.hide();
    if (current) showScene(current, true); // back to the scene's page and its Start button
    return true;
  },
});

function send(obj) {
  const ok = conn.send(obj);
  if (!ok) overlay.set('connection', t('not_connected'), { tone: 'warn', ttl: 4000 });
  return ok;
}

function showScene(msg, force = false) {
  // After a reconnect the server repeats the current scene; a running game must go on.
  if (!force && game.active && msg.kind === 'game' && msg.id === status.scene) return;
  if (game.active) game.stop();
  waitroom.hide();
  overlay.clearMatching('countdown', 'round', 'partner', 'game-error');
  current = msg;
  status.scene = msg.id;
  quizAttempt = 1;
  status.quiz = null;
  els.scene.hidden = false;
  if (msg.kind === 'end') {
    // The study is closed to newcomers: the server has hung up; asking again is no use.
    if (msg.id === 'closed') conn.stop();
    renderEnd(els.scene, msg);
    status.outcome = msg.outcome ?? null;
    status.code = msg.code ?? null;
    status.bonus = msg.bonus_amount || null;
    setState('done');
  } else if (msg.kind === 'game') {
    renderGameIntro(els.scene, msg, () => {
      if (!send({ type: 'start', scene: msg.id })) return false;
      setState('waiting');
      waitroom.show(msg.waitroom_timeout_s);
      return true;
    });
    // Fetch the game modules while the participant reads the instructions.
    import('./env.js').catch(() => {});
    import('./draw.js').catch(() => {});
    setState('page');
  } else {
    renderPage(els.scene, msg, (form) => {
      const m = { type: 'advance', scene: msg.id };
      if (form !== undefined) {
        m.form = form;
        m.attempt = quizAttempt;
      }
      return send(m);
    });
    setState('page');
  }
  window.scrollTo(0, 0);
}

function end(text) {
  conn.stop();
  if (game.active) game.stop();
  waitroom.hide();
  overlay.clearMatching('countdown', 'round', 'partner', 'connection');
  overlay.set('fatal', text, { tone: 'error' });
  status.connected = false;
  setState('ended');
}

function partnerText(seat, stat) {
  const nseats = game.cfg?.seats?.length ?? 2;
  const who = nseats <= 2 ? t('partner_you') : t('partner_player', { n: seat + 1 });
  return {
    reconnecting: [t('partner_reconnecting', { who }), 'warn', 0],
    back: [t('partner_back', { who }), 'good', 3000],
    dropped: [t('partner_dropped', { who }), 'warn', 0],
    ai: [t('partner_ai', { who }), 'info', 8000],
    default: [t('partner_default', { who }), 'info', 8000],
  }[stat];
}

function onMessage(msg) {
  switch (msg.type) {
    case 'welcome':
      // The experiment's words and language, before anything else is shown.
      setTexts(msg.texts);
      setLanguage(document, msg.lang, msg.dir);
      applyTexts(document);
      identity.remember(msg);
      welcomedOnce = true;
      status.connected = true;
      status.subject = msg.subject ?? null;
      status.experiment = msg.experiment ?? null;
      clearTimeout(lostTimer);
      overlay.clear('connection');
      game.connected();
      // A new connection starts out "visible" on the server; correct it if we are not.
      if (document.hidden) conn.send({ type: 'visibility', visible: false });
      break;
    case 'scene':
      showScene(msg);
      break;
    case 'quiz_result':
      if (msg.scene !== status.scene || status.state !== 'page') break;
      quizAttempt = (Number(msg.attempt) || 0) + 1;
      status.quiz = {
        scene: msg.scene,
        attempt: quizAttempt - 1,
        attemptsLeft: Number(msg.attempts_left) || 0,
        passed: msg.passed === true,
        wrong: Array.isArray(msg.wrong) ? msg.wrong.filter((w) => typeof w === 'string') : [],
      };
      // Sent back to an earlier page: say why there, since that page replaces this one.
      if (msg.retry_from) overlay.set('quiz', t('quiz_retry'), { tone: 'info', ttl: 15000 });
      else if (!msg.passed) showQuizResult(els.scene, msg);
      break;
    case 'waiting':
      if (status.state !== 'waiting') setState('waiting');
      $('start')?.setAttribute('disabled', ''); // already in the room (say, after a reconnect)
      waitroom.update(msg);
      break;
    case 'matched':
      waitroom.hide();
      els.scene.hidden = true;
      game.matched(msg);
      break;
    case 'game_start':
      waitroom.hide();
      els.scene.hidden = true;
      game.start(msg);
      break;
    case 'countdown':
      game.countdown(msg);
      break;
    case 'episode_start':
      game.episodeStart(msg);
      break;
    case 'episode_end':
      game.episodeEnd(msg);
      break;
    case 'game_end':
      game.gameEnd(msg);
      break;
    case 'lag':
      game.lag(msg);
      break;
    case 'partner': {
      const t = partnerText(msg.seat, msg.status);
      if (t) overlay.set(`partner:${msg.seat}`, t[0], { tone: t[1], ttl: t[2] });
      break;
    }
    case 'replaced':
      end(t('replaced_tab'));
      break;
    case 'error':
      // The server cannot take newcomers for now (its disk is full): its sentence says so.
      if (msg.code === 'try_later') { end(msg.message || 'Please try again in a few minutes.'); break; }
      // A stored identity the server refuses (say, a stale token from an earlier study on
      // this address): forget it and try once more as a newcomer.
      if (!welcomedOnce && identity.fromStorage && !retriedFresh) {
        retriedFresh = true;
        identity.forget();
        return;
      }
      end(t('error_generic', { message: msg.message || msg.code || 'unknown error' }));
      break;
    default:
      break; // newer server, older client: ignore what we do not know
  }
}

document.addEventListener('visibilitychange', () => {
  conn.send({ type: 'visibility', visible: !document.hidden });
});

conn.start();
