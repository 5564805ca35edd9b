// #waitroom: "N of M players here" and the time left, from `waiting` messages, counted
// down locally between them so the clock moves every second.

import { formatClock, playersHere } from './format.js';
import { t } from './texts.js';

export class Waitroom {
  constructor(el, { onLeave }) {
    this.el = el;
    this.count = el.querySelector('#waitroom-count');
    this.time = el.querySelector('#waitroom-time');
    this.leaveBtn = el.querySelector('#leave');
    this.deadline = null;
    this.timer = null;
    this.leaveBtn.addEventListener('click', () => {
      if (this.leaveBtn.disabled) return;
      this.leaveBtn.disabled = true;
      if (onLeave() === false) this.leaveBtn.disabled = false;
    });
  }

  /** Shown right after #start, before the server's first `waiting`. */
  show(timeoutS) {
    this.el.hidden = false;
    this.leaveBtn.disabled = false;
    if (this.deadline === null) {
      this.count.textContent = t('waitroom_looking');
      delete this.count.dataset.count;
      this.time.textContent = '';
      if (timeoutS > 0) this._countTo(Date.now() + timeoutS * 1000);
    }
  }

  update({ count, needed, remaining_ms }) {
    this.show();
    if (Number.isFinite(count) && Number.isFinite(needed)) {
      this.count.textContent = playersHere(count, needed);
      this.count.dataset.count = String(count); // for tests, whatever the page's language
    }
    if (Number.isFinite(remaining_ms)) this._countTo(Date.now() + remaining_ms);
  }

  _countTo(deadline) {
    this.deadline = deadline;
    const draw = () => { this.time.textContent = t('waitroom_time_left', { time: formatClock(this.deadline - Date.now()) }); };
    draw();
    clearInterval(this.timer);
    this.timer = setInterval(draw, 250);
  }

  hide() {
    this.el.hidden = true;
    clearInterval(this.timer);
    this.timer = null;
    this.deadline = null;
  }
}
