// Keyboard to env action (docs/DESIGN.md section 6, step 1): the key pressed last among those
// still held wins; with none held, the default action.

export class KeyState {
  constructor(keys, defaultAction) {
    this.keys = new Map(Object.entries(keys ?? {}));
    this.defaultAction = defaultAction;
    this.held = []; // in press order; the last one wins
    this.tapped = null;
  }

  // Map a KeyboardEvent.key to a configured key: exact first, then the other case of a
  // letter, so "w" still works with Caps Lock or Shift.
  lookup(key) {
    if (this.keys.has(key)) return key;
    if (key.length === 1) {
      for (const k of [key.toLowerCase(), key.toUpperCase()]) if (this.keys.has(k)) return k;
    }
    return null;
  }

  /** Returns true when the key is one of the game's (the caller then prevents the default). */
  press(key) {
    const k = this.lookup(key);
    if (k === null) return false;
    this.held = this.held.filter((h) => h !== k);
    this.held.push(k);
    this.tapped = k;
    return true;
  }

  release(key) {
    const k = this.lookup(key);
    if (k === null) return false;
    this.held = this.held.filter((h) => h !== k);
    return true;
  }

  /** Focus left the page: keyup events will not arrive, so nothing counts as held. */
  clear() {
    this.held = [];
    this.tapped = null;
  }

  /**
   * The action for this tick. A key pressed and released between two ticks (a quick tap,
   * shorter than one frame) still counts once, so taps are never lost.
   */
  sample() {
    const k = this.held.length ? this.held[this.held.length - 1] : this.tapped;
    this.tapped = null;
    return k === null ? this.defaultAction : this.keys.get(k);
  }
}

function typingInto(target) {
  const tag = target?.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target?.isContentEditable;
}

/** Listens on `win` while attached; returns a function that detaches. */
export function attachKeys(win, keyState) {
  const down = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typingInto(e.target)) return;
    if (keyState.press(e.key)) e.preventDefault(); // arrows and space must not scroll or click
  };
  const up = (e) => {
    if (keyState.release(e.key)) e.preventDefault();
  };
  const blur = () => keyState.clear();
  win.addEventListener('keydown', down);
  win.addEventListener('keyup', up);
  win.addEventListener('blur', blur);
  return () => {
    win.removeEventListener('keydown', down);
    win.removeEventListener('keyup', up);
    win.removeEventListener('blur', blur);
    keyState.clear();
  };
}
