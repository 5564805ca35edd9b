// Every sentence the browser shows a participant, in one table. An experiment file's
// `texts:` block overrides any of them (the server sends the overrides in `welcome`);
// {name} marks a value filled in when the text is shown. The server keeps the same keys
// and defaults (src/texts/texts.h) to check experiment files; a test keeps the two equal.

export const DEFAULT_TEXTS = {
  connecting: 'Connecting…',
  button_continue: 'Continue',
  button_start: 'Start',
  not_connected: 'Not connected right now. Please try again in a moment.',
  replaced_tab: 'This study was opened in another tab or window. Please continue there; you can close this tab.',
  error_generic: 'Sorry, something went wrong: {message}. Please contact the researcher.',
  no_javascript: 'This study needs JavaScript. Please enable it and reload the page.',
  waitroom_title: 'Waiting for other players',
  waitroom_looking: 'Looking for other players…',
  waitroom_count: '{count} of {needed} players here',
  waitroom_count_one: '{count} of {needed} player here',
  waitroom_time_left: 'Time left: {time}',
  waitroom_keep_open: 'Please keep this tab open. The game starts as soon as everyone is here.',
  waitroom_leave: 'Leave the waiting room',
  partner_you: 'Your partner',
  partner_player: 'Player {n}',
  partner_reconnecting: '{who} lost their connection. Waiting for them to come back…',
  partner_back: '{who} is back.',
  partner_dropped: '{who} has left the game.',
  partner_ai: '{who} has left; a computer player has taken over.',
  partner_default: '{who} has left; the game goes on without them.',
  matched_countdown: 'Matched! The game starts in {seconds}…',
  game_countdown: 'The game starts in {seconds}…',
  round_countdown: 'Round {round} of {rounds} starts in {seconds}…',
  starting: 'Starting…',
  round_over: 'Round {round} of {rounds} is over.',
  round_last: 'That was the last round.',
  game_load_failed: 'The game could not be loaded. Please reload this page.',
  game_end_completed: 'The game is over. Thank you!',
  game_end_partner_dropped: 'Your partner left, so the game has ended.',
  game_end_excluded: 'The game has ended for you.',
  game_end_other: 'The game has ended ({reason}).',
  hud_round: 'Round {round} of {rounds}',
  hud_score: 'Score {score}',
  hud_score_seat: 'You are player {n} · Group score {score}',
  hud_time: 'Time {time}',
  end_code: 'Your completion code:',
  end_copy: 'Copy',
  end_copied: 'Copied',
  end_submit: 'Submit your code and finish',
  end_finish: 'Finish',
  end_close_tab: 'Thank you. You may close this tab now.',
  quiz_attempts_left: '{count} attempts left.',
  quiz_attempts_left_one: '{count} attempt left.',
  quiz_retry: 'Please read this page again; then you can try the questions once more.',
};

// Languages written right to left, for `language:` without an explicit `direction:`.
const RTL = new Set(['ar', 'arc', 'dv', 'fa', 'ha', 'he', 'iw', 'ks', 'ku', 'ps', 'sd', 'ug', 'ur', 'yi']);

let active = { ...DEFAULT_TEXTS };

/** The text for key with its {names} filled in from vars (unknown names stay as written). */
export function t(key, vars = {}) {
  const text = active[key] ?? DEFAULT_TEXTS[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The experiment's overrides (only known keys with string values count). */
export function setTexts(overrides) {
  active = { ...DEFAULT_TEXTS };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (k in DEFAULT_TEXTS && typeof v === 'string') active[k] = v;
  }
}

/** Fills every [data-text] element under root with its text. */
export function applyTexts(root) {
  for (const el of root.querySelectorAll('[data-text]')) el.textContent = t(el.dataset.text);
}

/** The page's language and writing direction (`dir` wins; else from the language). */
export function setLanguage(doc, lang, dir) {
  if (typeof lang === 'string' && lang) doc.documentElement.lang = lang;
  const base = (typeof lang === 'string' ? lang : '').toLowerCase().split('-')[0];
  doc.documentElement.dir = dir === 'rtl' || dir === 'ltr' ? dir : RTL.has(base) ? 'rtl' : 'ltr';
}
