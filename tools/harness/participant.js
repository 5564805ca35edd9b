// One participant: a page in its own browser context, driven through the browser contract
// (docs/DESIGN.md section 10): window.cohort and the DOM ids #scene, #advance, #start,
// #waitroom, #game canvas, #overlay, #completion-code.
// Shared by tests/e2e and `cohort pilot` (tools/pilot), and installed with cohort: it
// imports nothing from the test folders.

import { Net } from './network.js';

let serial = 0;
const RUN = Math.random().toString(36).slice(2, 7);

/** A subject id unique to this run: 1-64 of [A-Za-z0-9_.-]. */
export function uniquePid(prefix = 'p') {
  serial += 1;
  return `${prefix}${RUN}${String(serial).padStart(3, '0')}`;
}

// Keys the cooking env reads (experiments' `keys` maps); Playwright's names.
export const COOKING_KEYS = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Space'];

export class Participant {
  constructor(context, page, { name, pid }) {
    this.context = context;
    this.page = page;
    this.name = name;
    this.pid = pid;
    this.net = null;
    this.console = []; // the page's last console lines, for failure reports
    this.keysLoop = null;
    page.on('console', (m) => this._note(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this._note(`pageerror: ${e.message}`));
    page.on('crash', () => this._note('page crashed'));
  }

  _note(line) {
    this.console.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (this.console.length > 300) this.console.shift();
  }

  /** Route this page's /ws through a fault injector (before open()). */
  async withNet(seed) {
    if (!this.net) this.net = await Net.attach(this.page, { seed, name: this.name });
    return this.net;
  }

  /** Load the client as this participant: /?PROLIFIC_PID=pid (+ extra query params). */
  async open(url, params = {}) {
    const q = new URLSearchParams({ PROLIFIC_PID: this.pid, ...params });
    this.url = url;
    await this.page.goto(`${url}/?${q}`);
    await this.waitFor(() => window.cohort?.connected === true && window.cohort.state !== null, { what: 'connected' });
    return this;
  }

  /** window.cohort, copied out of the page. */
  status() {
    return this.page.evaluate(() => JSON.parse(JSON.stringify(window.cohort ?? null)));
  }

  /** Wait until fn(arg) is true in the page; on timeout say what the page looked like. */
  async waitFor(fn, { arg, timeout = 15000, what = 'condition', polling = 100 } = {}) {
    try {
      await this.page.waitForFunction(fn, arg, { timeout, polling });
    } catch (e) {
      let st = null;
      try { st = await this.status(); } catch { /* page gone */ }
      throw new Error(`${this.name} (${this.pid}): ${what} not reached within ${timeout} ms; window.cohort = ${JSON.stringify(st)}\n${e.message.split('\n')[0]}`);
    }
  }

  async waitState(states, opts = {}) {
    const list = [].concat(states);
    await this.waitFor((l) => l.includes(window.cohort?.state), { arg: list, what: `state ${list.join('|')}`, ...opts });
  }

  async waitScene(id, opts = {}) {
    await this.waitFor((s) => window.cohort?.scene === s, { arg: id, what: `scene ${id}`, ...opts });
  }

  /** On a static page: fill the form (name -> value; true/false for checkboxes), press #advance. */
  async advance(form = {}) {
    const scene = (await this.status()).scene;
    await this.waitState('page');
    for (const [name, value] of Object.entries(form)) {
      const el = this.page.locator(`#scene [name="${name}"]`).first();
      const type = await el.getAttribute('type');
      if (type === 'checkbox') await el.setChecked(Boolean(value));
      else if (type === 'radio') await this.page.locator(`#scene [name="${name}"][value="${value}"]`).check();
      else await el.fill(String(value));
    }
    await this.page.locator('#advance').click();
    await this.waitFor((s) => window.cohort?.scene !== s, { arg: scene, what: `leave scene ${scene}` });
  }

  /** Click through static pages until the scene `id` (a game scene) is shown. */
  async advanceTo(id, forms = {}) {
    for (let i = 0; i < 64; i++) {
      await this.waitState(['page', 'done']);
      const st = await this.status();
      if (st.scene === id) return;
      if (st.state === 'done') throw new Error(`${this.name}: reached the end before scene ${id}`);
      await this.advance(forms[st.scene] ?? {});
    }
    throw new Error(`${this.name}: scene ${id} not reached`);
  }

  /** Press #start on a game scene; resolves once the server has answered (waiting or matched). */
  async start() {
    await this.page.locator('#start').click();
    await this.waitFor(
      () => window.cohort?.game?.id || document.querySelector('#waitroom-count')?.dataset.count !== undefined
        || window.cohort?.state === 'done',
      { what: 'the server took the start' });
  }

  /** The waiting room's text, e.g. "1 of 2 players here". */
  async waitroomText() {
    return (await this.page.locator('#waitroom').innerText()).replace(/\s+/g, ' ').trim();
  }

  async gameId(timeout = 15000) {
    await this.waitFor(() => Boolean(window.cohort?.game?.id), { what: 'a game id', timeout });
    return (await this.status()).game.id;
  }

  /** Random key presses while the game runs: a random key held 60-250 ms, then the next. */
  startKeys(keys = COOKING_KEYS, { seed } = {}) {
    if (this.keysLoop) return;
    let s = (seed ?? Math.floor(Math.random() * 2 ** 31)) >>> 0 || 1;
    const rand = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
    const state = { stop: false, presses: 0 };
    this.keysLoop = state;
    state.done = (async () => {
      const page = this.page;
      while (!state.stop && !page.isClosed()) {
        const key = keys[Math.floor(rand() * keys.length)];
        try {
          await page.keyboard.down(key);
          state.presses++;
          await new Promise((r) => setTimeout(r, 60 + rand() * 190)); // hold the key
          await page.keyboard.up(key);
        } catch {
          break; // page closed
        }
      }
    })();
  }

  async stopKeys() {
    const l = this.keysLoop;
    if (!l) return 0;
    l.stop = true;
    await l.done;
    this.keysLoop = null;
    return l.presses;
  }

  /** #completion-code's text once the end scene shows. */
  async completionCode(timeout = 15000) {
    await this.waitState('done', { timeout });
    const st = await this.status();
    const code = await this.page.locator('#completion-code').textContent({ timeout: 2000 }).catch(() => null);
    return { outcome: st.outcome, code, status: st };
  }

  async close() {
    await this.stopKeys().catch(() => {});
    await this.context.close().catch(() => {});
  }
}

/**
 * Override document.visibilityState / document.hidden and fire visibilitychange, as a
 * tab switch would. Headless pages are always "visible" otherwise.
 */
export async function setVisibility(page, visible) {
  await page.evaluate((v) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (v ? 'visible' : 'hidden') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !v });
    document.dispatchEvent(new Event('visibilitychange'));
  }, visible);
}
