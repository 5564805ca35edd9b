// The line above the canvas: round k of n, score, time left. Touches the DOM only when a
// text changes (it is called every tick).

import { t } from './texts.js';
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
    this._set(this.round, episode === null || episode === undefined ? '' : t('hud_round', { round: episode + 1, rounds: episodes }));
    this._set(this.score, t('hud_score', { score: score ?? 0 }));
    this._set(this.time, Number.isFinite(framesLeft) && fps > 0 ? t('hud_time', { time: formatClock((framesLeft * 1000) / fps) }) : '');
  }
}
