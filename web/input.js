// Keyboard to env action (docs/DESIGN.md section 6, step 1), in the game's input mode:
//
// held (the default): the key pressed last among those still held wins; with none held,
// the default action.
//
// press: one keydown is one action, as in the 2019 Overcooked human-AI studies (Carroll
// et al.; their page listened for one keydown per step, then stopped listening until the
// step was taken). The first keydown since the last step is the next step's action; more
// keydowns before that step are dropped, not queued for later steps; a step with none
// takes the default action ("stay"). The browser's auto-repeat keydowns of a held key count
// as presses, as they did there, so holding a key moves once, then (after the system's
// repeat delay) about once a step. Key releases mean nothing.

export class KeyState {
  /** mode: 'held' or 'press' (game_start.input); anything else is 'held'. */
  constructor(keys, defaultAction, mode = 'held') {
    this.keys = new Map(Object.entries(keys ?? {}));
    this.defaultAction = defaultAction;
    this.pressMode = mode === 'press';
    this.held = []; // in press order; the last one wins
    this.tapped = null; // held: a key pressed since the last step; press: the step's press
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
    if (this.pressMode) {
      this.tapped ??= k; // the first press of the step; later ones are dropped
      return true;
    }
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

  /**
   * Focus left the page: keyup events will not arrive, so nothing counts as held. A press
   * already made still counts (it was made).
   */
  blur() {
    this.held = [];
    if (!this.pressMode) this.tapped = null;
  }

  /** Forget everything (the game is over). */
  clear() {
    this.held = [];
    this.tapped = null;
  }

  /** The action the next step would take, without using it up. */
  peek() {
    const k = !this.pressMode && this.held.length ? this.held[this.held.length - 1] : this.tapped;
    return k === null ? this.defaultAction : this.keys.get(k);
  }

  /**
   * The step took its action: a tap or a press is used up. A key pressed and released
   * between two steps (a quick tap, shorter than one frame) still counts once, so taps
   * are never lost.
   */
  consume() {
    this.tapped = null;
  }

  /** The action for this step, used up (peek then consume). */
  sample() {
    const a = this.peek();
    this.consume();
    return a;
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
  const blur = () => keyState.blur();
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
