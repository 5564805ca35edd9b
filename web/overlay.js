// #overlay: short messages over the page (partner status, countdown, round, errors).
// Several can be up at once; each has a key so it can be replaced or cleared on its own.

export class Overlay {
  constructor(el) {
    this.el = el;
    this.items = new Map(); // key -> {text, tone, timer}
  }

  /** tone: info | warn | error | good. ttl (ms): clear by itself after that long. */
  set(key, text, { tone = 'info', ttl = 0 } = {}) {
    const old = this.items.get(key);
    // Same words again (a countdown redrawn ten times a second): leave the DOM alone, so
    // screen readers announce it once.
    if (old && old.text === text && old.tone === tone && !old.timer && ttl === 0) return;
    if (old?.timer) clearTimeout(old.timer);
    const item = { text, tone, timer: null };
    if (ttl > 0) item.timer = setTimeout(() => { if (this.items.get(key) === item) this.clear(key); }, ttl);
    this.items.set(key, item);
    this.render();
  }

  clear(key) {
    const old = this.items.get(key);
    if (!old) return;
    if (old.timer) clearTimeout(old.timer);
    this.items.delete(key);
    this.render();
  }

  /** Clear every message whose key starts with one of the prefixes. */
  clearMatching(...prefixes) {
    for (const key of [...this.items.keys()]) if (prefixes.some((p) => key.startsWith(p))) this.clear(key);
  }

  render() {
    const doc = this.el.ownerDocument;
    const nodes = [...this.items.entries()].map(([key, { text, tone }]) => {
      const p = doc.createElement('p');
      p.className = `msg ${tone}`;
      p.dataset.key = key;
      p.textContent = text;
      return p;
    });
    this.el.replaceChildren(...nodes);
    this.el.hidden = nodes.length === 0;
  }
}
