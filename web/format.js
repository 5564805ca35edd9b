// Small text helpers shared by the views (pure, so Node tests can check them).

import { t } from './texts.js';

/** 61000 -> "1:01"; never negative. */
export function formatClock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function playersHere(count, needed) {
  return t(needed === 1 ? 'waitroom_count_one' : 'waitroom_count', { count, needed });
}

const KEY_LABELS = { ' ': 'Space', ArrowUp: '↑', ArrowDown: '↓', ArrowLeft: '←', ArrowRight: '→', Enter: 'Enter' };

export function keyLabel(key) {
  return KEY_LABELS[key] ?? (key.length === 1 ? key.toUpperCase() : key);
}

/** "↑ ↓ ← → move · Space interact" from the game's key map and the env's action names. */
export function controlsText(keys, actionNames = []) {
  const byAction = new Map();
  for (const [key, action] of Object.entries(keys ?? {})) {
    if (!byAction.has(action)) byAction.set(action, []);
    byAction.get(action).push(keyLabel(key));
  }
  const parts = [...byAction.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([action, labels]) => `${labels.join(' ')} ${actionNames[action] ?? `action ${action}`}`);
  return parts.join(' · ');
}

/**
 * The milliseconds of one step of a game: `step_ms` when it sets one, else 1000 / `fps`
 * (game_start carries one of the two; neither counts as 30 fps, as on the server).
 */
export function stepPeriodMs({ fps, step_ms: stepMs } = {}) {
  if (stepMs > 0) return stepMs;
  return 1000 / (fps > 0 ? fps : 30);
}
