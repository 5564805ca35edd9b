// Network faults on the game path, per page (docs/DESIGN.md sections 3 and 11).
//
// Chrome's network emulation delays only the WebSocket handshake and kernel netem is not
// available, so every message of a page's /ws connection is routed through this process
// with page.routeWebSocket and delivered late, in order, or not at all. Each direction
// (up = page -> server, down = server -> page) is a pipe with its own clock:
//
//   latency(ms)            every message waits ms (or {up, down} for different ways)
//   jitter(base, range)    waits base +- range (uniform), never reordered: TCP keeps order
//   loss(p)                each message's segment is lost with probability p; as with TCP
//                          the stream stalls for a retransmit timeout (200 ms) and then
//                          everything queued behind it arrives, in order
//   stall(ms)              nothing moves either way for ms, then the backlog arrives
//   cut()                  the connection dies; the network stays down (new connections
//                          fail at once) until restore(); cut({down: false}) lets the
//                          client reconnect immediately
//   restore()              no faults from now on (messages already queued keep their time)
//
// Faults apply to connections open now and to reconnections. Call Net.attach before the
// page loads the client. WebSocket pings are answered by the browser's real socket, so
// the server's RTT measurement does not see these delays.

import { setTimeout as sleep } from 'node:timers/promises';

export const RTO_MS = 200;

// A small seeded generator, so a failing run can be repeated (seed in the test output).
export function rng(seed) {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

class Pipe {
  constructor(net, deliver) {
    this.net = net;
    this.deliver = deliver;
    this.q = [];
    this.last = 0;     // delivery time of the newest queued message: order is kept
    this.timer = null;
    this.dead = false;
    this.stats = { messages: 0, lost: 0, maxDelayMs: 0 };
  }

  push(item, cond) {
    if (this.dead) return;
    const now = performance.now();
    let delay = cond.base;
    if (cond.range > 0) delay += (this.net.random() * 2 - 1) * cond.range;
    let at = now + Math.max(0, delay);
    if (cond.loss > 0 && this.net.random() < cond.loss) {
      at += RTO_MS;
      this.stats.lost++;
    }
    at = Math.max(at, this.last, this.net.holdUntil);
    this.last = at;
    this.stats.messages++;
    this.stats.maxDelayMs = Math.max(this.stats.maxDelayMs, at - now);
    if (at <= now && this.q.length === 0) {
      this.deliver(item);
      return;
    }
    this.q.push({ at, item });
    this._schedule();
  }

  /** Everything queued (and later) waits at least until t. */
  holdUntil(t) {
    this.last = Math.max(this.last, t);
    for (const e of this.q) e.at = Math.max(e.at, t);
    this._schedule();
  }

  _schedule() {
    if (this.dead || this.q.length === 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._flush(), Math.max(0, this.q[0].at - performance.now()));
  }

  _flush() {
    this.timer = null;
    const now = performance.now();
    while (!this.dead && this.q.length && this.q[0].at <= now + 1) this.deliver(this.q.shift().item);
    this._schedule();
  }

  kill() {
    this.dead = true;
    clearTimeout(this.timer);
    this.q = [];
  }
}

export class Net {
  /** Route page's /ws through a fault injector. Call before page.goto. */
  static async attach(page, { seed = Math.floor(Math.random() * 2 ** 32), name = '' } = {}) {
    const net = new Net(seed, name);
    await page.routeWebSocket(/\/ws(\?.*)?$/, (ws) => net._route(ws));
    return net;
  }

  constructor(seed, name) {
    this.seed = seed;
    this.name = name;
    this.random = rng(seed);
    this.up = { base: 0, range: 0, loss: 0 };
    this.down = { base: 0, range: 0, loss: 0 };
    this.holdUntil = 0;
    this.isDown = false;
    this.conns = new Set();
    this.stats = { connections: 0, refused: 0, cuts: 0, up: { messages: 0, lost: 0, maxDelayMs: 0 }, down: { messages: 0, lost: 0, maxDelayMs: 0 } };
  }

  /** Fixed one-way delay: latency(100) both ways, latency({up: 50, down: 200}). */
  latency(ms) {
    const { up, down } = typeof ms === 'number' ? { up: ms, down: ms } : ms;
    if (up !== undefined) Object.assign(this.up, { base: up, range: 0 });
    if (down !== undefined) Object.assign(this.down, { base: down, range: 0 });
    return this;
  }

  /** base +- range ms each way, uniform, order kept. */
  jitter(base, range) {
    for (const d of [this.up, this.down]) Object.assign(d, { base, range });
    return this;
  }

  /** Segment loss with probability p each way, TCP-like (stall RTO_MS, then in order). */
  loss(p) {
    this.up.loss = p;
    this.down.loss = p;
    return this;
  }

  /** Nothing moves either way for ms; resolves when the stall is over. */
  async stall(ms) {
    this.holdUntil = performance.now() + ms;
    for (const c of this.conns) {
      c.up.holdUntil(this.holdUntil);
      c.down.holdUntil(this.holdUntil);
    }
    await sleep(ms);
  }

  /** The connection dies. With down (default) new connections fail until restore(). */
  async cut({ down = true } = {}) {
    this.isDown = down;
    this.stats.cuts++;
    const closing = [];
    for (const c of [...this.conns]) closing.push(this._kill(c, 'network cut'));
    await Promise.all(closing);
  }

  restore() {
    this.up = { base: 0, range: 0, loss: 0 };
    this.down = { base: 0, range: 0, loss: 0 };
    this.holdUntil = 0;
    this.isDown = false;
    return this;
  }

  get openConnections() { return this.conns.size; }

  summary() {
    const s = this.stats;
    const pipes = [...this.conns].map((c) => [c.up.stats, c.down.stats]);
    const sum = (i, k) => s[i ? 'down' : 'up'][k] + pipes.reduce((a, p) => a + p[i][k], 0);
    return `net${this.name ? ` ${this.name}` : ''} seed=${this.seed} connections=${s.connections} refused=${s.refused} cuts=${s.cuts} ` +
      `up=${sum(0, 'messages')} msgs/${sum(0, 'lost')} lost down=${sum(1, 'messages')} msgs/${sum(1, 'lost')} lost`;
  }

  async _route(ws) {
    if (this.isDown) {
      this.stats.refused++;
      await ws.close({ code: 1006, reason: '' }).catch(() => {});
      return;
    }
    // A stalled network does not complete a handshake either.
    const wait = this.holdUntil - performance.now();
    if (wait > 0) await sleep(wait);
    this.stats.connections++;
    const server = ws.connectToServer();
    const c = { ws, server, closed: false };
    c.up = new Pipe(this, (it) => {
      if (it.close) {
        this._forget(c);
        server.close({ code: it.code, reason: it.reason }).catch(() => {});
      } else server.send(it.msg);
    });
    c.down = new Pipe(this, (it) => {
      if (it.close) {
        this._forget(c);
        ws.close({ code: it.code ?? 1005, reason: it.reason ?? '' }).catch(() => {});
      } else ws.send(it.msg);
    });
    this.conns.add(c);
    ws.onMessage((msg) => c.up.push({ msg }, this.up));
    server.onMessage((msg) => c.down.push({ msg }, this.down));
    // Closes travel behind the messages sent before them (an error, then the close).
    ws.onClose((code, reason) => c.up.push({ close: true, code: validClose(code), reason }, this.up));
    server.onClose((code, reason) => c.down.push({ close: true, code, reason }, this.down));
  }

  _forget(c) {
    if (c.closed) return;
    c.closed = true;
    for (const k of ['messages', 'lost']) {
      this.stats.up[k] += c.up.stats[k];
      this.stats.down[k] += c.down.stats[k];
    }
    this.conns.delete(c);
  }

  async _kill(c, reason) {
    c.up.kill();
    c.down.kill();
    this._forget(c);
    // The page sees an abnormal close; the server sees its peer go away.
    await Promise.all([
      c.ws.close({ code: 1006, reason: '' }).catch(() => {}),
      c.server.close({ code: 4000, reason }).catch(() => {}),
    ]);
  }
}

// A page can only close() with 1000 or 3000-4999; anything else the real socket refuses.
function validClose(code) {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}
