// Main-thread side of the game clock: starts and stops tick-worker.js.

export class Ticker {
  constructor(onTick) {
    this.onTick = onTick;
    this.worker = null;
    this.fallback = null;
  }

  start(fps) {
    this.stop();
    try {
      this.worker ??= new Worker(new URL('./tick-worker.js', import.meta.url), { type: 'module' });
      this.worker.onmessage = (e) => { if (e.data?.type === 'tick') this.onTick(); };
      this.worker.onerror = () => this._useFallback(fps);
      this.worker.postMessage({ type: 'start', fps });
    } catch {
      this._useFallback(fps);
    }
  }

  // Without workers the game still runs while the tab is visible.
  _useFallback(fps) {
    this.worker = null;
    clearInterval(this.fallback);
    this.fallback = setInterval(() => this.onTick(), 1000 / fps);
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
