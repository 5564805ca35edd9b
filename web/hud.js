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

  // seat and nseats: in a game of more than two, each player is told which one is theirs
  // (the env draws player n's number on it), as "player n" counts from 1.
  // stepMs: the milliseconds of one step (format.js stepPeriodMs).
  update({ episode, episodes, score, framesLeft, stepMs, seat, nseats }) {
    this._set(this.round, episode === null || episode === undefined ? '' : t('hud_round', { round: episode + 1, rounds: episodes }));
    this._set(this.score, nseats > 2 && Number.isInteger(seat)
      ? t('hud_score_seat', { score: score ?? 0, n: seat + 1 })
      : t('hud_score', { score: score ?? 0 }));
    this._set(this.time, Number.isFinite(framesLeft) && stepMs > 0 ? t('hud_time', { time: formatClock(framesLeft * stepMs) }) : '');
  }
}
