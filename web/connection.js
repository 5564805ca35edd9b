// One WebSocket to ws beside the page (/ws, or /s/STUDY/ws behind a proxy that serves the
// study under a path) that comes back by itself. Every (re)connection starts with the
// hello built by the caller, carrying the stored token, so the server resumes this
// participant where they were (docs/DESIGN.md section 9: "reconnects with its token").

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
const BACKOFF_MAX_MS = 5000;
const CONNECT_TIMEOUT_MS = 8000;

// Beside the page, not at the host's root: a proxy may serve each study under a path of
// its own (docs/DEPLOY.md, "Several studies on one machine").
export function socketUrl(loc) {
  const u = new URL('ws', loc.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.search = '';
  u.hash = '';
  return u.href;
}

export class Connection {
  /**
   * handlers: hello() -> object sent first on every connection; onMessage(obj) for JSON;
   * onBinary(ArrayBuffer); onStatus({open, attempt}) whenever the socket opens or closes.
   */
  constructor(url, handlers, { WebSocketImpl = globalThis.WebSocket } = {}) {
    this.url = url;
    this.h = handlers;
    this.WS = WebSocketImpl;
    this.ws = null;
    this.ready = false; // welcome received on this socket: other messages may be sent
    this.stopped = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.connectTimer = null;
    this.idleLimit = 0;
    this.idleTimer = null;
    this.lastHeard = 0;
  }

  start() {
    this.stopped = false;
    this._open();
  }

  /** No more reconnects: the server ended this session (replaced, error) or we are done. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.watchIdle(0);
    this._drop(this.ws);
  }

  send(obj) {
    if (!this.ready || this.ws?.readyState !== 1) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  sendBinary(bytes) {
    if (!this.ready || this.ws?.readyState !== 1) return false;
    this.ws.send(bytes);
    return true;
  }

  /**
   * During play the server sends a CONFIRM every loop pass, so silence for `ms` means the
   * connection is dead even if TCP has not noticed yet (it can take minutes). 0 = off.
   */
  watchIdle(ms) {
    this.idleLimit = ms;
    clearInterval(this.idleTimer);
    this.idleTimer = null;
    if (ms > 0) {
      this.lastHeard = Date.now();
      this.idleTimer = setInterval(() => {
        if (this.ready && Date.now() - this.lastHeard > this.idleLimit) this._lost(this.ws);
      }, Math.min(1000, ms));
    }
  }

  _open() {
    if (this.stopped) return;
    let ws;
    try {
      ws = new this.WS(this.url);
    } catch {
      this._retry();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.binaryType = 'arraybuffer';
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => { if (ws.readyState !== 1) this._lost(ws); }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(this.connectTimer);
      this.lastHeard = Date.now();
      ws.send(JSON.stringify(this.h.hello()));
      this.h.onStatus?.({ open: true, attempt: this.attempt });
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      if (typeof e.data === 'string') {
        let msg;
        try { msg = JSON.parse(e.data); } catch { return; }
        if (!msg || typeof msg.type !== 'string') return;
        if (msg.type === 'welcome') {
          this.ready = true;
          this.attempt = 0; // only a real welcome proves the server is healthy again
        }
        this.h.onMessage(msg);
      } else {
        this.h.onBinary?.(e.data);
      }
    };
    ws.onclose = () => this._lost(ws);
    ws.onerror = () => {}; // a close event follows
  }

  // Stop listening to an old socket at once: waiting for its close event on a dead
  // network can take a long time, and its late messages must not reach the game.
  _drop(ws) {
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(); } catch { /* already closed */ }
    if (ws === this.ws) {
      this.ws = null;
      this.ready = false;
    }
  }

  _lost(ws) {
    if (ws !== this.ws) return;
    clearTimeout(this.connectTimer);
    this._drop(ws);
    this.h.onStatus?.({ open: false, attempt: this.attempt });
    this._retry();
  }

  _retry() {
    if (this.stopped) return;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] ?? BACKOFF_MAX_MS;
    // Jitter, so a server restart is not met by every participant in the same instant.
    const delay = Math.min(BACKOFF_MAX_MS, base * (1 + 0.3 * Math.random()));
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._open(), delay);
  }
}
