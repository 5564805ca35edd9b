// The participant client in a real (headless) browser against a scripted server: the
// DOM contract of docs/DESIGN.md section 10 and the wire contract of docs/PROTOCOL.md, without
// the C server. web/ is served through Playwright's request routing; the WebSocket is
// answered by MockServer below, in this process (page.routeWebSocket). The game traffic
// is the fake relay from sim.mjs with a scripted partner in seat 1, and the env is the
// fake env (the real env's netcode is covered by rollback-cooking.test.mjs).
//
// Skipped when Playwright or chromium-headless-shell is not installed.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeRelay, scriptedAction } from './sim.mjs';
import { makeFakeEnv } from './fake-env.mjs';
import { decodeInput, encodeInput, hashHex } from '../../web/wire.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const CHROME = process.env.COHORT_CHROMIUM || '/usr/lib/chromium/chromium-headless-shell';
let chromium = null;
try { ({ chromium } = await import('@playwright/test')); } catch { /* not installed */ }
const skip = !chromium ? 'needs @playwright/test (npm install)' : !fs.existsSync(CHROME) ? `needs ${CHROME}` : false;

const ORIGIN = 'http://cohort.test';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' };

// The page's env.js/draw.js are replaced by the fake env and a draw that only counts.
const FAKE_ENV_JS = `import { makeFakeEnv } from '/__test__/fake-env.mjs';
export async function loadEnv(name, opts) { (window.__envLoads ??= []).push([name, opts.base]); return makeFakeEnv(); }`;
const FAKE_DRAW_JS = `export function drawList(ctx, cmds, vw, vh, cw, ch) { window.__draws = (window.__draws || 0) + 1; ctx.fillRect(0, 0, 4, 4); }
export async function loadSprites(name, base) { return null; }`;

async function serveWeb(context) {
  await context.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    let body;
    let file;
    if (url.pathname.startsWith('/env.js')) body = FAKE_ENV_JS;
    else if (url.pathname.startsWith('/draw.js')) body = FAKE_DRAW_JS;
    else if (url.pathname === '/__test__/fake-env.mjs') file = path.join(here, 'fake-env.mjs');
    else file = path.join(root, 'web', url.pathname === '/' ? 'index.html' : url.pathname);
    if (file && (!file.startsWith(root) || !fs.existsSync(file))) return route.fulfill({ status: 404, body: 'not found' });
    const type = TYPES[path.extname(file ?? 'x.js')] ?? 'application/octet-stream';
    return route.fulfill({ status: 200, contentType: type, body: body ?? fs.readFileSync(file) });
  });
}

const GAME_START = {
  type: 'game_start', game: 'g1', seat: 0, seats: ['human', 'human'], env: 'fake/grid', fps: 60,
  input_delay: 2, confirm_window: 8, prediction_limit: 16, episodes: 2, max_steps: 60,
  keys: { ArrowUp: 0, ArrowDown: 1, ArrowLeft: 2, ArrowRight: 3, ' ': 4 }, default_action: 4,
};

// The server side of one participant, scripted by the test.
class MockServer {
  constructor() {
    this.json = []; // every JSON message from the page, in order
    this.inputs = []; // every INPUT, decoded
    this.inputTimes = []; // when each arrived (Date.now())
    this.errors = [];
    this.connections = 0;
    this.ws = null;
    this.relay = null;
    this.episode = null;
  }

  handle = (ws) => {
    this.ws = ws;
    this.connections++;
    ws.onMessage((m) => {
      try {
        if (typeof m === 'string') this.json.push(JSON.parse(m));
        else this._input(new Uint8Array(m));
      } catch (e) {
        this.errors.push(e);
      }
    });
  };

  send(obj) { this.ws.send(JSON.stringify(obj)); }

  async waitJson(pred, what, ms = 5000) {
    const t0 = Date.now();
    for (;;) {
      const hit = this.json.find((m) => !m.__seen && pred(m));
      if (hit) { hit.__seen = true; return hit; }
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.json)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  startEpisode(episode, seed, horizon = GAME_START.max_steps) {
    this.episode = episode;
    this.seed = seed;
    this.relay = new FakeRelay({ makeEnv: () => makeFakeEnv(), nseats: 2, W: 8, horizon, seed, episode });
    this.send({ type: 'episode_start', episode, seed: String(seed), frame: 0 });
  }

  // Seat 0 is the page; seat 1 is a scripted partner whose input for a frame arrives
  // together with the page's (like an AI seat).
  _input(bytes) {
    const m = decodeInput(bytes);
    if (!m) throw new Error('malformed INPUT');
    this.inputs.push(m);
    this.inputTimes.push(Date.now());
    const relay = this.relay;
    if (!relay || m.episode !== (this.episode & 255)) return;
    relay.receive(0, bytes);
    if (m.frame >= relay.confirmed) {
      relay.receive(1, encodeInput({ episode: this.episode, frame: m.frame, action: scriptedAction(1, m.frame) }));
    }
    this.flush();
  }

  flush() {
    const relay = this.relay;
    relay.pump();
    for (const out of relay.outbox[0]) {
      if (out instanceof Uint8Array) this.ws.send(Buffer.from(out));
      else this.send(out);
    }
    relay.outbox[0] = [];
    relay.outbox[1] = [];
  }
}

async function withBrowser(fn) {
  const browser = await chromium.launch({
    executablePath: CHROME,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const context = await browser.newContext();
    await serveWeb(context);
    await fn(context);
  } finally {
    await browser.close();
  }
}

async function openPage(context, query, server) {
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  if (process.env.DEBUG_PAGE) page.on('console', (m) => console.log('[page]', m.text()));
  await page.routeWebSocket(`ws://cohort.test/ws`, server.handle);
  await page.goto(`${ORIGIN}/${query}`);
  return { page, pageErrors };
}

const cohort = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.cohort)));
async function waitState(page, state, ms = 8000) {
  try {
    await page.waitForFunction((s) => window.cohort?.state === s, state, { timeout: ms });
  } catch (e) {
    const now = await page.evaluate(() => JSON.stringify(window.cohort)).catch(() => '?');
    throw new Error(`waiting for state ${state}: ${e.message}; window.cohort = ${now}`);
  }
}
const waitFrames = (page, n, ms = 8000) =>
  page.waitForFunction((k) => window.cohort?.game?.frame >= k, n, { timeout: ms });

async function playEpisode(page, server, episode, seed) {
  server.send({ type: 'countdown', episode, ms: 150 });
  await waitState(page, 'countdown');
  server.startEpisode(episode, seed);
  await waitState(page, 'playing');
  await waitState(page, 'between_episodes');
  const g = (await cohort(page)).game;
  assert.equal(g.episode, episode);
  assert.equal(g.frame, GAME_START.max_steps, 'trimmed to the confirmed end');
  assert.equal(g.confirmed, GAME_START.max_steps);
  assert.equal(g.hash, hashHex(server.relay.hashes.at(-1)), 'same final hash as the server');
  assert.equal(g.desyncs, 0);
}

test('a participant goes through pages, waiting room, two rounds and the end scene', { skip, timeout: 60000 }, async () => {
  await withBrowser(async (context) => {
    const server = new MockServer();
    const { page, pageErrors } = await openPage(context, '?PROLIFIC_PID=alice&STUDY_ID=s1', server);

    const hello = await server.waitJson((m) => m.type === 'hello', 'hello');
    const { device, ...said } = hello;
    assert.deepEqual(said, { type: 'hello', subject: null, token: null, params: { PROLIFIC_PID: 'alice', STUDY_ID: 's1' }, __seen: true });
    // What the page tells the server about its device (web/device.js): a desktop browser.
    assert.deepEqual(device, { width: 1280, height: 720, mobile: false, pointer: 'fine', hover: true, touch_points: 0 });
    server.send({ type: 'welcome', subject: 'alice', token: 'a'.repeat(32), experiment: 'demo', resumed: false });
    server.send({
      type: 'scene', index: 0, id: 'consent', kind: 'page', form: true,
      html: `<h1>Consent</h1><form>
        <label><input type="checkbox" name="consent" required> I agree</label>
        <label><input type="checkbox" name="newsletter"> News</label>
        <input type="text" name="age">
        <select name="hand"><option>left</option><option selected>right</option></select>
        <label><input type="radio" name="colour" value="red"> red</label>
        <label><input type="radio" name="colour" value="blue"> blue</label>
        <textarea name="comments"></textarea></form>`,
    });
    await waitState(page, 'page');
    let s = await cohort(page);
    assert.equal(s.connected, true);
    assert.equal(s.subject, 'alice');
    assert.equal(s.scene, 'consent');
    assert.equal(await page.evaluate(() => localStorage.getItem('cohort.token')), 'a'.repeat(32));

    await page.click('#advance');
    await page.waitForTimeout(200);
    assert.equal(server.json.filter((m) => m.type === 'advance').length, 0, 'the required box blocks advancing');
    await page.check('input[name=consent]');
    await page.fill('input[name=age]', '33');
    await page.check('input[value=blue]');
    await page.fill('textarea', 'fine');
    await page.click('#advance');
    const adv = await server.waitJson((m) => m.type === 'advance', 'advance');
    assert.deepEqual(adv.form, { consent: 'true', newsletter: 'false', age: '33', hand: 'right', colour: 'blue', comments: 'fine' });
    assert.equal(adv.scene, 'consent');
    assert.equal(await page.isDisabled('#advance'), true, 'one press, one advance');

    // Game scene: start, wait, leave, start again.
    server.send({ type: 'scene', index: 1, id: 'game', kind: 'game', form: false, html: '<h1>The game</h1>', waitroom_timeout_s: 60 });
    await page.waitForSelector('#start');
    assert.equal((await cohort(page)).scene, 'game');
    await page.click('#start');
    assert.deepEqual(await server.waitJson((m) => m.type === 'start', 'start'), { type: 'start', scene: 'game', __seen: true });
    await waitState(page, 'waiting');
    server.send({ type: 'waiting', scene: 'game', count: 1, needed: 2, remaining_ms: 59500 });
    await page.waitForFunction(() => document.querySelector('#waitroom-count').textContent === '1 of 2 players here');
    assert.match(await page.textContent('#waitroom-time'), /^Time left: (1:00|0:59|0:58)$/);
    assert.equal(await page.isVisible('#waitroom'), true);
    await page.click('#leave');
    await server.waitJson((m) => m.type === 'leave', 'leave');
    await waitState(page, 'page');
    assert.equal(await page.isVisible('#waitroom'), false);
    await page.click('#start');
    await server.waitJson((m) => m.type === 'start', 'second start');
    server.send({ type: 'waiting', scene: 'game', count: 2, needed: 2, remaining_ms: 50000 });

    // Matched: countdown, game_start, two episodes.
    server.send({ type: 'matched', game: 'g1', seat: 0, countdown_ms: 300 });
    await waitState(page, 'countdown');
    assert.match(await page.textContent('#overlay'), /Matched/);
    assert.equal(await page.isVisible('#waitroom'), false);
    server.send(GAME_START);
    await page.waitForFunction(() => window.__envLoads?.length === 1);
    assert.equal(await page.isVisible('#game canvas'), true);
    s = await cohort(page);
    assert.equal(s.game.id, 'g1');
    assert.equal(s.game.seat, 0);

    server.send({ type: 'countdown', episode: 0, ms: 150 });
    await waitState(page, 'countdown');
    server.startEpisode(0, 1234n);
    await waitState(page, 'playing');
    await page.keyboard.down('ArrowRight');
    await waitFrames(page, 25);
    await page.keyboard.up('ArrowRight');
    // Visibility is reported both ways.
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { value: true, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await server.waitJson((m) => m.type === 'visibility' && m.visible === false, 'visibility false');
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { value: false, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await server.waitJson((m) => m.type === 'visibility' && m.visible === true, 'visibility true');
    await waitState(page, 'between_episodes');
    s = await cohort(page);
    assert.equal(s.game.frame, 60);
    assert.equal(s.game.confirmed, 60);
    assert.equal(s.game.hash, hashHex(server.relay.hashes.at(-1)));
    assert.match(await page.textContent('#hud'), /Round 1 of 2/);

    const ep0 = server.inputs.filter((m) => m.episode === 0);
    assert.deepEqual(ep0.slice(0, 2).map((m) => [m.frame, m.action]), [[0, 4], [1, 4]], 'default action for frames 0..D-1');
    assert.deepEqual(ep0.map((m) => m.frame), ep0.map((_, i) => i), 'one INPUT per frame, in order');
    assert.ok(ep0.some((m) => m.action === 3), 'ArrowRight was sent as action 3');
    assert.ok(ep0.some((m) => m.hashValid), 'hashes of confirmed frames were reported');
    for (const m of ep0.filter((x) => x.hashValid)) assert.equal(m.hash, server.relay.hashes[m.confirmed], `frame ${m.confirmed} hash`);

    await playEpisode(page, server, 1, 99n);
    assert.match(await page.textContent('#hud'), /Round 2 of 2/);
    assert.ok(await page.evaluate(() => window.__draws > 0), 'the canvas was drawn');

    server.send({ type: 'game_end', reason: 'completed' });
    server.send({
      type: 'scene', index: 2, id: 'end', kind: 'end', html: '<h1>Thanks</h1>', form: false,
      outcome: 'completed', code: 'C1A2B3', redirect: 'https://example.test/done?cc=C1A2B3', message: 'You finished the study.',
    });
    await waitState(page, 'done');
    assert.equal(await page.textContent('#completion-code'), 'C1A2B3');
    assert.equal(await page.getAttribute('#redirect', 'href'), 'https://example.test/done?cc=C1A2B3');
    assert.equal(await page.isVisible('#game'), false);
    s = await cohort(page);
    assert.equal(s.scene, 'end');
    assert.equal(s.game.episode, 1);
    assert.deepEqual(server.errors, []);
    assert.deepEqual(pageErrors, []);
  });
});

// The 2019 Overcooked studies' timing: a step every 150 ms (not a whole number of frames
// a second) and one action per key press. The page ticks at the period, and a key held
// down is one action, not one per step; the browser's repeat of it is another.
test('step_ms 150 with input press: INPUTs 150 ms apart, one action per keydown', { skip, timeout: 60000 }, async () => {
  await withBrowser(async (context) => {
    const server = new MockServer();
    const { page, pageErrors } = await openPage(context, '', server);
    await server.waitJson((m) => m.type === 'hello', 'hello');
    server.send({ type: 'welcome', subject: 'p1', token: 'p'.repeat(32), experiment: 'demo', resumed: false });
    server.send({ type: 'scene', index: 0, id: 'game', kind: 'game', form: false, html: '', waitroom_timeout_s: 30 });
    await page.click('#start');
    await server.waitJson((m) => m.type === 'start', 'start');
    server.send({ type: 'matched', game: 'g1', seat: 0, countdown_ms: 100 });
    server.send({ ...GAME_START, fps: null, step_ms: 150, input: 'press', episodes: 1, max_steps: 40 });
    await page.waitForFunction(() => window.__envLoads?.length === 1);
    // Before the round: how long it lasts, 40 steps of 150 ms.
    await page.waitForFunction(() => document.querySelector('#hud-time')?.textContent === 'Time 0:06');
    server.send({ type: 'countdown', episode: 0, ms: 100 });
    await waitState(page, 'countdown');
    server.startEpisode(0, 4242n, 40);
    await waitState(page, 'playing');
    await waitFrames(page, 3);
    await page.keyboard.press('ArrowUp'); // down and up: one action
    await page.waitForTimeout(600);
    await page.keyboard.down('ArrowRight'); // held for a second: still one action
    await page.waitForTimeout(1000);
    await page.keyboard.down('ArrowRight'); // the browser's auto-repeat of it: one more
    await page.waitForTimeout(600);
    await page.keyboard.up('ArrowRight');
    await waitState(page, 'between_episodes', 15000);

    const ep = server.inputs.filter((m) => m.episode === 0);
    assert.deepEqual(ep.map((m) => m.frame), [...Array(40).keys()], 'one INPUT per frame, in order');
    assert.deepEqual(ep.filter((m) => m.action !== 4).map((m) => m.action), [0, 3, 3],
      'up once, right once while held, right once more for the repeat; every other step stays');
    // Frames 0 and 1 (the input delay) go at the start; the rest one per tick.
    const times = server.inputTimes.slice(server.inputTimes.length - ep.length + 2);
    const mean = (times.at(-1) - times[0]) / (times.length - 1);
    assert.ok(Math.abs(mean - 150) < 8, `INPUTs ${mean.toFixed(1)} ms apart on average`);
    const s = await cohort(page);
    assert.equal(s.game.confirmed, 40);
    assert.equal(s.game.desyncs, 0);
    assert.deepEqual(server.errors, []);
    assert.deepEqual(pageErrors, []);
  });
});

test('reconnect resumes with the stored token and the server STATE; replaced ends the session', { skip, timeout: 60000 }, async () => {
  await withBrowser(async (context) => {
    const server = new MockServer();
    const { page, pageErrors } = await openPage(context, '', server);
    await server.waitJson((m) => m.type === 'hello', 'hello');
    const token = 'b'.repeat(32);
    const toGame = () => {
      server.send({ type: 'scene', index: 0, id: 'game', kind: 'game', form: false, html: '', waitroom_timeout_s: 30 });
    };
    server.send({ type: 'welcome', subject: 'rnd123', token, experiment: 'demo', resumed: false });
    toGame();
    await page.click('#start');
    await server.waitJson((m) => m.type === 'start', 'start');
    server.send({ type: 'matched', game: 'g1', seat: 0, countdown_ms: 100 });
    server.send({ ...GAME_START, episodes: 1, max_steps: 150 });
    server.send({ type: 'countdown', episode: 0, ms: 100 });
    server.startEpisode(0, 777n, 150);
    await waitState(page, 'playing');
    await waitFrames(page, 30);

    // The connection drops: the client comes back by itself with the same identity.
    server.relay.disconnect(0);
    await server.ws.close({ code: 1001, reason: 'test' });
    const again = await server.waitJson((m) => m.type === 'hello', 'hello after the drop');
    assert.equal(again.token, token);
    assert.equal(again.subject, 'rnd123');
    assert.equal(server.connections, 2);
    server.send({ type: 'welcome', subject: 'rnd123', token, experiment: 'demo', resumed: true });
    toGame(); // the server repeats the scene; the game must go on
    server.send({ ...GAME_START, episodes: 1, max_steps: 150 });
    server.relay.reconnect(0);
    server.flush();
    await waitState(page, 'between_episodes', 10000).catch((e) => {
      throw new Error(`${e.message}; server errors: ${server.errors.join('; ')}; inputs after: ${JSON.stringify(server.inputs.slice(-5).map((m) => [m.frame, m.confirmed]))} conns ${server.connections}`);
    });
    const s = await cohort(page);
    assert.equal(s.connected, true);
    assert.equal(s.game.frame, 150);
    assert.equal(s.game.hash, hashHex(server.relay.hashes.at(-1)), 'converged after the STATE');
    assert.ok(s.game.resyncs >= 1);
    assert.equal(s.game.desyncs, 0);

    // A second tab took over.
    server.send({ type: 'replaced' });
    await waitState(page, 'ended');
    assert.match(await page.textContent('#overlay'), /another tab/);
    await page.waitForTimeout(800);
    assert.equal(server.connections, 2, 'no reconnect after replaced');
    assert.equal((await cohort(page)).connected, false);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(server.errors, []);

    // A reload (same URL) says who it is; a different panel id does not borrow it.
    const server2 = new MockServer();
    await openPage(context, '', server2);
    const h2 = await server2.waitJson((m) => m.type === 'hello', 'hello on reload');
    assert.equal(h2.subject, 'rnd123');
    assert.equal(h2.token, token);
    const server3 = new MockServer();
    await openPage(context, '?PROLIFIC_PID=carol', server3);
    const h3 = await server3.waitJson((m) => m.type === 'hello', 'hello with another id');
    assert.equal(h3.subject, null);
    assert.equal(h3.token, null);
  });
});

test('an error ends the session; a refused stored identity is retried once as new', { skip, timeout: 30000 }, async () => {
  await withBrowser(async (context) => {
    await context.addInitScript(() => {
      if (!sessionStorage.getItem('seeded')) {
        sessionStorage.setItem('seeded', '1');
        localStorage.setItem('cohort.subject', 'old');
        localStorage.setItem('cohort.token', 'c'.repeat(32));
        localStorage.setItem('cohort.params', '{}');
      }
    });
    const server = new MockServer();
    const { page } = await openPage(context, '', server);
    const h1 = await server.waitJson((m) => m.type === 'hello', 'hello');
    assert.equal(h1.token, 'c'.repeat(32));
    server.send({ type: 'error', code: 'bad_token', message: 'token belongs to another subject' });
    await server.ws.close({ code: 1008, reason: 'bad token' });
    const h2 = await server.waitJson((m) => m.type === 'hello', 'fresh hello');
    assert.equal(h2.token, null);
    assert.equal(h2.subject, null);
    server.send({ type: 'welcome', subject: 'new1', token: 'd'.repeat(32), experiment: 'demo', resumed: false });
    server.send({ type: 'error', code: 'rate', message: 'too many messages' });
    await waitState(page, 'ended');
    assert.match(await page.textContent('#overlay'), /too many messages/);
  });
});
