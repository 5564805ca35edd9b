// Who this browser is (docs/DESIGN.md section 5, step 1). The server picks the subject from
// the page's query parameters; we keep the subject and session token it hands back so a
// reload, a reconnect or a second tab comes back as the same person.

import { deviceFacts } from './device.js';

const NAMES = ['token', 'subject', 'experiment', 'params'];

/**
 * The storage keys for a study served from the folder `scope` (a path ending in '/').
 * Storage is shared by a whole origin, and a proxy may serve several studies under one
 * (docs/DEPLOY.md, "Several studies on one machine"): each study's folder keeps its
 * own identity, so a participant of /s/a/ who opens /s/b/ is not sent in with the other
 * study's token. The root keeps the plain names.
 */
export function storageKeys(scope = '/') {
  const prefix = scope === '/' ? 'cohort.' : `cohort${scope}`;
  return Object.fromEntries(NAMES.map((n) => [n, prefix + n]));
}

/** The page's query parameters as an object of strings (the first of a repeated name wins). */
export function pageParams(search) {
  const out = {};
  for (const [k, v] of new URLSearchParams(search)) if (!Object.hasOwn(out, k)) out[k] = v;
  return out;
}

// localStorage can be missing or throw (privacy modes, disabled storage). Identity must
// still survive reconnects within this page, so failures fall back to memory.
function safeStorage(storage) {
  return {
    get(k) { try { return storage?.getItem(k) ?? null; } catch { return null; } },
    set(k, v) { try { storage?.setItem(k, v); } catch { /* memory only */ } },
    remove(k) { try { storage?.removeItem(k); } catch { /* memory only */ } },
  };
}

/**
 * Whether an identity stored by an earlier page belongs to this page's participant.
 * A subject that came from a panel id in the URL (PROLIFIC_PID=...) is ours only if this
 * URL carries the same id: on a shared computer the next participant has another id, and
 * sending the old token with it would be refused. A random subject the server made up is
 * ours unless this URL brings a parameter the earlier one did not have (likely a panel id).
 */
export function storedIdentityFits(stored, params) {
  if (!stored.subject || !stored.token) return false;
  const before = stored.params ?? {};
  const fromParam = Object.values(before).includes(stored.subject);
  if (fromParam) return Object.values(params).includes(stored.subject);
  return Object.keys(params).every((k) => Object.hasOwn(before, k));
}

export class Identity {
  /** scope: the folder the page was served from (storageKeys). */
  constructor(storage, params, scope = '/') {
    this.store = safeStorage(storage);
    this.keys = storageKeys(scope);
    const KEY = this.keys;
    this.params = params;
    let storedParams = null;
    try { storedParams = JSON.parse(this.store.get(KEY.params) ?? 'null'); } catch { /* ignore */ }
    const stored = {
      subject: this.store.get(KEY.subject),
      token: this.store.get(KEY.token),
      params: storedParams,
    };
    this.fromStorage = storedIdentityFits(stored, params);
    this.subject = this.fromStorage ? stored.subject : null;
    this.token = this.fromStorage ? stored.token : null;
    this.experiment = this.store.get(KEY.experiment);
  }

  hello() {
    const msg = { type: 'hello', subject: this.subject, token: this.token, params: this.params };
    const inBrowser = typeof window !== 'undefined'; // only browsers are checked
    const missing = inBrowser ? missingFeatures() : [];
    if (missing.length) msg.missing = missing;
    // Every hello, so a participant screened out for a small window who reloads with a
    // larger one is screened again with the new size (docs/DESIGN.md section 5).
    if (inBrowser) msg.device = deviceFacts(window);
    return msg;
  }

  /** Keep what the server's `welcome` says, for reconnects and reloads. */
  remember({ subject, token, experiment }) {
    const KEY = this.keys;
    if (typeof subject === 'string') this.subject = subject;
    if (typeof token === 'string') this.token = token;
    if (typeof experiment === 'string') this.experiment = experiment;
    this.fromStorage = false;
    this.store.set(KEY.subject, this.subject ?? '');
    this.store.set(KEY.token, this.token ?? '');
    if (this.experiment) this.store.set(KEY.experiment, this.experiment);
    this.store.set(KEY.params, JSON.stringify(this.params));
  }

  /** Drop a stored identity the server refused; the next hello lets it pick afresh. */
  forget() {
    this.subject = null;
    this.token = null;
    this.fromStorage = false;
    for (const k of Object.values(this.keys)) this.store.remove(k);
  }
}

// What the game needs from the browser. Anything missing is reported in hello: the
// server ends the study politely (outcome excluded) instead of a game that cannot run.
export function missingFeatures(g = globalThis) {
  const missing = [];
  if (typeof g.WebAssembly !== 'object' || typeof g.WebAssembly.instantiate !== 'function') missing.push('WebAssembly');
  if (typeof g.Worker !== 'function') missing.push('Web Workers');
  if (typeof g.WebSocket !== 'function') missing.push('WebSocket');
  try {
    if (!g.localStorage) missing.push('localStorage');
  } catch {
    missing.push('localStorage'); // blocked storage throws on access
  }
  if (typeof g.BigInt !== 'function') missing.push('BigInt');
  return missing;
}
