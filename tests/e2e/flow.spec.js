// Issue 3: the participant's way through (docs/DESIGN.md sections 5 and 9): static pages and
// forms, the waiting room, matching, the waiting room timeout, leaving the waiting room.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { sqlite, waitForRows } from './lib/exports.js';

test.use({ experiment: 'flow' });

const CODES = { completed: 'E2EDONE', waitroom_timeout: 'E2EWAIT' };
const ROOM_TIMEOUT_MS = 6000;

test('two pass welcome and consent and are matched; a third waits alone and times out', async ({ server, participants }) => {
  const [a, b, c] = await participants(3);
  const forms = new Map([[a, { consent: true, age: '34', comment: 'first, with a comma' }], [b, { consent: true, age: '51', comment: '' }]]);

  await Promise.all([a, b].map(async (p) => {
    await p.open(server.url, { STUDY_ID: 'study-e2e', SESSION_ID: `s-${p.pid}` });
    await p.waitScene('welcome');
    await p.advance();
    await p.waitScene('consent');
    await p.advance(forms.get(p));
    await p.waitScene('game');
    await p.waitState('page');
  }));
  await a.start();
  await b.start();
  const [ga, gb] = [await a.gameId(), await b.gameId()];
  expect(ga, 'a and b are in the same game').toBe(gb);
  const seats = [(await a.status()).game.seat, (await b.status()).game.seat].sort();
  expect(seats).toEqual([0, 1]);

  // The third arrives while the pair plays, waits alone and sees it.
  await c.open(server.url);
  await c.advanceTo('game', { consent: { consent: true, age: '40' } });
  const t0 = Date.now();
  await c.start();
  await c.waitState('waiting');
  await expect(c.page.locator('#waitroom')).toBeVisible();
  await expect(c.page.locator('#waitroom-count')).toHaveText(/\b1 of 2\b/);
  await expect(c.page.locator('#waitroom-time')).toHaveText(/0:0[0-6]/);

  // The pair finishes with the completed code.
  for (const p of [a, b]) {
    const r = await p.completionCode(20000);
    expect(r.outcome, `${p.name} outcome`).toBe('completed');
    expect(r.code).toBe(CODES.completed);
  }

  // The third times out (not before the room's timeout) with the waitroom_timeout code.
  const r = await c.completionCode(ROOM_TIMEOUT_MS + 10000);
  const waited = Date.now() - t0;
  expect(r.outcome).toBe('waitroom_timeout');
  expect(r.code).toBe(CODES.waitroom_timeout);
  expect(waited, 'waited at least the room timeout').toBeGreaterThanOrEqual(ROOM_TIMEOUT_MS - 500);
  expect(await c.page.locator('#redirect').getAttribute('href')).toContain(`cc=${CODES.waitroom_timeout}`);

  // Forms: SQLite `forms` and consent/SUBJECT_form.json hold what was typed.
  const rows = await waitForRows(server.db, "SELECT subject, scene, form FROM forms WHERE scene = 'consent' ORDER BY subject",
    (rs) => rs.length >= 3);
  for (const p of [a, b]) {
    const row = rows.find((x) => x.subject === p.pid);
    expect(row, `forms row of ${p.pid}`).toBeTruthy();
    const want = { consent: 'true', age: forms.get(p).age, comment: forms.get(p).comment };
    expect(JSON.parse(row.form)).toMatchObject(want);
    const file = path.join(server.expDir, 'consent', `${p.pid}_form.json`);
    await expect.poll(() => fs.existsSync(file), { message: file }).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject(want);
  }
  // The welcome page has no form: no file for it.
  expect(fs.existsSync(path.join(server.expDir, 'welcome', `${a.pid}_form.json`))).toBe(false);

  // Waits and outcomes are recorded; study params are kept with the participant.
  const waits = await waitForRows(server.db, 'SELECT subject, outcome, game, wait_ms FROM waits', (rs) => rs.length >= 3);
  expect(waits.find((w) => w.subject === a.pid)).toMatchObject({ outcome: 'matched', game: ga });
  expect(waits.find((w) => w.subject === b.pid)).toMatchObject({ outcome: 'matched', game: ga });
  const cw = waits.find((w) => w.subject === c.pid);
  expect(cw?.outcome).toBe('timeout');
  expect(cw.wait_ms).toBeGreaterThanOrEqual(ROOM_TIMEOUT_MS - 500);
  const outcomes = await waitForRows(server.db, 'SELECT subject, outcome, code FROM outcomes', (rs) => rs.length >= 3);
  expect(outcomes.find((o) => o.subject === c.pid)).toMatchObject({ outcome: 'waitroom_timeout', code: CODES.waitroom_timeout });
  expect(outcomes.find((o) => o.subject === a.pid)).toMatchObject({ outcome: 'completed', code: CODES.completed });
  const part = sqlite(server.db, `SELECT params FROM participants WHERE subject = '${a.pid}'`);
  expect(part[0]?.params).toContain('study-e2e');
});

test('leaving the waiting room removes only the leaver; a later pair still matches', async ({ server, participants }) => {
  const [closer, leaver, x, y] = await participants(4);
  const waitingCount = async () => (await server.state()).waiting?.game;

  // One closes the page while waiting.
  await closer.open(server.url);
  await closer.advanceTo('game', { consent: { consent: true, age: '30' } });
  await closer.start();
  await closer.waitState('waiting');
  await expect.poll(waitingCount, { message: 'server counts the waiting participant' }).toBe(1);
  await closer.context.close();
  await expect.poll(waitingCount, { message: 'a closed page leaves the waiting room', timeout: 5000 }).toBe(0);

  // One presses Leave: back to the game page with #start, nobody waiting.
  await leaver.open(server.url);
  await leaver.advanceTo('game', { consent: { consent: true, age: '31' } });
  await leaver.start();
  await leaver.waitState('waiting');
  await expect.poll(waitingCount).toBe(1);
  await leaver.page.locator('#leave').click();
  await leaver.waitState('page');
  await expect(leaver.page.locator('#start')).toBeEnabled();
  await expect.poll(waitingCount, { message: 'Leave empties the waiting room' }).toBe(0);

  // A later pair matches with each other, not with anyone who left.
  await Promise.all([x, y].map(async (p) => {
    await p.open(server.url);
    await p.advanceTo('game', { consent: { consent: true, age: '45' } });
  }));
  await x.start();
  await y.start();
  const gx = await x.gameId();
  expect(await y.gameId()).toBe(gx);
  for (const p of [x, y]) expect((await p.completionCode(20000)).outcome).toBe('completed');
  // The leaver was not pulled into their game and can still start.
  expect((await leaver.status()).state).toBe('page');

  const waits = await waitForRows(server.db, 'SELECT subject, outcome, game FROM waits', (rs) => rs.length >= 4);
  expect(waits.find((w) => w.subject === closer.pid)?.outcome).toBe('dropped');
  expect(waits.find((w) => w.subject === leaver.pid)?.outcome).toBe('left');
  expect(waits.filter((w) => w.outcome === 'matched').map((w) => w.subject).sort()).toEqual([x.pid, y.pid].sort());
});
