// The line above the canvas: round k of n, score, time left. Touches the DOM only when a
// text changes (it is called every tick).

import { formatClock } from './format.js';

export class Hud {
  constructor(el) {
    this.round = el.querySelector('#hud-episode');
    this.score = el.querySelector('#hud-score');
    this.time = el.querySelector('#hud-time');
  }

  _set(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  update({ episode, episodes, score, framesLeft, fps }) {
    this._set(this.round, episode === null || episode === undefined ? '' : `Round ${episode + 1} of ${episodes}`);
    this._set(this.score, `Score ${score ?? 0}`);
    this._set(this.time, Number.isFinite(framesLeft) && fps > 0 ? `Time ${formatClock((framesLeft * 1000) / fps)}` : '');
  }
}
