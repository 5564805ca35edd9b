// Main-thread side of the game clock: starts and stops tick-worker.js.

export class Ticker {
  constructor(onTick) {
    this.onTick = onTick;
    this.worker = null;
    this.fallback = null;
  }

  /** One tick every periodMs milliseconds (a fraction is fine: 1000 / 30). */
  start(periodMs) {
    this.stop();
    try {
      this.worker ??= new Worker(new URL('./tick-worker.js', import.meta.url), { type: 'module' });
      this.worker.onmessage = (e) => { if (e.data?.type === 'tick') this.onTick(); };
      this.worker.onerror = () => this._useFallback(periodMs);
      this.worker.postMessage({ type: 'start', periodMs });
    } catch {
      this._useFallback(periodMs);
    }
  }

  // Without workers the game still runs while the tab is visible.
  _useFallback(periodMs) {
    this.worker = null;
    clearInterval(this.fallback);
    this.fallback = setInterval(() => this.onTick(), periodMs);
  }

  stop() {
    this.worker?.postMessage({ type: 'stop' });
    clearInterval(this.fallback);
    this.fallback = null;
  }

  dispose() {
    this.stop();
    this.worker?.terminate();
    this.worker = null;
  }
}
