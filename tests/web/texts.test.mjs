// The participant's words live in two tables that must not drift: the browser's
// (web/texts.js) and the server's (src/texts/texts.h: its own texts and the list it checks
// experiment files against), and docs/EXPERIMENTS.md lists every key with its default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TEXTS, setTexts, t, setLanguage } from '../../web/texts.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const header = readFileSync(join(root, 'src/texts/texts.h'), 'utf8');

/** [key, text] pairs of an X-macro list whose items end with `"key", "text")`. */
function cList(name) {
  const start = header.indexOf(`#define ${name}(X)`);
  assert.ok(start >= 0, `${name} in texts.h`);
  let end = start;
  while (header[end] !== '\n' || header[end - 1] === '\\') end++;
  const body = header.slice(start, end).replace(/\\\n/g, ' ');
  // Adjacent C string literals are joined, as the compiler does.
  const items = [...body.matchAll(/X\((?:\w+,\s*)?"([^"]+)",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)/g)];
  return items.map((m) => [m[1], [...m[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => JSON.parse(`"${s[1]}"`)).join('')]);
}

test('the browser and the server hold the same texts for the page', () => {
  assert.deepEqual(Object.fromEntries(cList('CLIENT_TEXT_LIST')), DEFAULT_TEXTS);
});

test('docs/EXPERIMENTS.md lists every text with its default', () => {
  const doc = readFileSync(join(root, 'docs/EXPERIMENTS.md'), 'utf8');
  const rows = new Map([...doc.matchAll(/^\| `(\w+)` \| (server|browser) \| (.*) \|$/gm)].map((m) => [m[1], m[3]]));
  const all = [...cList('TEXT_LIST'), ...cList('CLIENT_TEXT_LIST')];
  for (const [key, text] of all) assert.equal(rows.get(key), text.replace(/\|/g, '\\|'), `docs row for ${key}`);
  assert.equal(rows.size, all.length, 'no row for a text that does not exist');
});

test('overrides replace a text, placeholders are filled, unknown keys are ignored', () => {
  setTexts({ round_over: 'Runde {round} von {rounds} ist vorbei.', made_up: 'x', hud_score: 7 });
  assert.equal(t('round_over', { round: 2, rounds: 3 }), 'Runde 2 von 3 ist vorbei.');
  assert.equal(t('hud_score', { score: 5 }), 'Score 5');
  assert.equal(t('partner_back', {}), '{who} is back.');
  setTexts({});
  assert.equal(t('round_over', { round: 1, rounds: 2 }), 'Round 1 of 2 is over.');
});

test('a right-to-left language turns the page around unless the experiment says otherwise', () => {
  const doc = { documentElement: { lang: 'en', dir: '' } };
  setLanguage(doc, 'he', '');
  assert.deepEqual(doc.documentElement, { lang: 'he', dir: 'rtl' });
  setLanguage(doc, 'ar-EG', '');
  assert.equal(doc.documentElement.dir, 'rtl');
  setLanguage(doc, 'he', 'ltr');
  assert.equal(doc.documentElement.dir, 'ltr');
  setLanguage(doc, 'de', '');
  assert.equal(doc.documentElement.dir, 'ltr');
});
