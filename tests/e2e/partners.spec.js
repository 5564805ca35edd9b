// Issue 14, same partners across games (docs/DESIGN.md section 5, "Same partners"): the
// pairs formed in game1 play game2 together again, whatever order they come back in; a
// partner who does not come back within wait_s leaves the other to be matched afresh
// (if_gone: regroup) or to end with partner_dropped (if_gone: end).
import { test, expect } from './fixtures.js';
import { sqlite, waitForRows } from './lib/exports.js';

const REGROUP = 'tests/e2e/experiments/partners/experiment.yaml';
const END = 'tests/e2e/experiments/partners/end.yaml';
const WAIT_S = 4;

/** Open, start game1 in the given order (pairs form in arrival order), and wait until
 * every one of them is on the page between the games. */
async function throughGame1(server, ps) {
  for (const p of ps) {
    await p.open(server.url);
    await p.waitScene('game1');
    await p.start();
  }
  const games = [];
  for (const p of ps) games.push(await p.gameId());
  for (const p of ps) await p.waitScene('between', { timeout: 20000 });
  return games;
}

/** The id of the game p is matched into after `old` (window.cohort.game keeps the last). */
async function nextGameId(p, old, timeout = 15000) {
  await p.waitFor((o) => Boolean(window.cohort?.game?.id) && window.cohort.game.id !== o,
    { arg: old, what: `a game after ${old}`, timeout });
  return (await p.status()).game.id;
}

/** game2's matches rows: game, subjects (sorted) and the game whose group it is. */
function game2Matches(db) {
  return sqlite(db, "SELECT game, subjects, party FROM matches WHERE scene = 'game2' ORDER BY t")
    .map((r) => ({ game: r.game, subjects: JSON.parse(r.subjects).sort(), party: r.party }));
}

test.describe('if_gone: regroup', () => {
  test.use({ experiment: REGROUP });

  test('two pairs from game1 play game2 together again, whoever comes back first', async ({ server, participants }, testInfo) => {
    const [a, b, c, d] = await participants(4);
    const g1 = await throughGame1(server, [a, b, c, d]);
    expect(g1[0], 'a and b pair in game1').toBe(g1[1]);
    expect(g1[2], 'c and d pair in game1').toBe(g1[3]);
    expect(g1[0]).not.toBe(g1[2]);
    const seat1 = { a: (await a.status()).game.seat, c: (await c.status()).game.seat };

    for (const p of [a, b, c, d]) await p.advance();
    // a and c come back first: each waits for their own partner, not for the other.
    await a.start();
    await a.waitState('waiting');
    await c.start();
    await c.waitState('waiting');
    await expect(a.page.locator('#waitroom-count')).toHaveText(/\b1 of 2\b/);
    await expect(c.page.locator('#waitroom-count')).toHaveText(/\b1 of 2\b/);
    await a.page.screenshot({ path: testInfo.outputPath('party-waiting.png') });
    expect((await a.status()).state, 'a is not matched with c').toBe('waiting');

    await d.start();
    await b.start();
    const g2 = [await nextGameId(a, g1[0]), await nextGameId(b, g1[1]), await nextGameId(c, g1[2]),
      await nextGameId(d, g1[3])];
    expect(g2[0], 'a and b again').toBe(g2[1]);
    expect(g2[2], 'c and d again').toBe(g2[3]);
    expect(g2[0]).not.toBe(g2[2]);
    expect(g2[0]).not.toBe(g1[0]);
    expect((await a.status()).game.seat, 'a keeps its seat').toBe(seat1.a);
    expect((await c.status()).game.seat, 'c keeps its seat').toBe(seat1.c);

    for (const p of [a, b, c, d]) {
      const r = await p.completionCode(20000);
      expect(r.outcome, `${p.name} outcome`).toBe('completed');
      expect(r.code).toBe('PARTOK');
    }
    // cohort.db: game2's pairs are game1's, each match naming the game1 it came from.
    const g1rows = sqlite(server.db, "SELECT game, subjects FROM matches WHERE scene = 'game1'")
      .map((r) => ({ game: r.game, subjects: JSON.parse(r.subjects).sort() }));
    const g2rows = game2Matches(server.db);
    expect(g2rows).toHaveLength(2);
    for (const m of g2rows) {
      const from = g1rows.find((r) => r.game === m.party);
      expect(from, `game2 ${m.game} names a game1 game`).toBeTruthy();
      expect(m.subjects).toEqual(from.subjects);
    }
    const parties = sqlite(server.db, 'SELECT subject, party FROM participants ORDER BY subject');
    for (const p of [a, b]) expect(parties.find((r) => r.subject === p.pid)?.party).toBe(g1[0]);
    const waits = await waitForRows(server.db,
      "SELECT subject, outcome, game FROM waits WHERE scene = 'game2'", (rs) => rs.length >= 4);
    expect(waits.find((w) => w.subject === a.pid)).toMatchObject({ outcome: 'matched', game: g2[0] });
  });

  test('a partner who leaves between the games: the other is matched afresh with someone whose partner left too', async ({ server, participants }) => {
    const [a, b, c, d] = await participants(4);
    const g1 = await throughGame1(server, [a, b, c, d]);
    expect(g1[0]).toBe(g1[1]);
    expect(g1[2]).toBe(g1[3]);
    await b.close(); // b's and d's tabs close on the page between the games
    await d.close();
    await a.advance();
    await c.advance();
    const t0 = Date.now();
    await a.start();
    await c.start();
    await a.waitState('waiting');
    // Not matched while their partners may still come; after wait_s, matched afresh.
    const ga = await nextGameId(a, g1[0], WAIT_S * 1000 + 10000);
    expect(Date.now() - t0, 'waited for the partner first').toBeGreaterThanOrEqual(WAIT_S * 1000 - 500);
    expect(await nextGameId(c, g1[2])).toBe(ga);
    for (const p of [a, c]) expect((await p.completionCode(20000)).outcome).toBe('completed');
    const g2rows = game2Matches(server.db);
    expect(g2rows).toEqual([{ game: ga, subjects: [a.pid, c.pid].sort(), party: null }]);
    const gone = await waitForRows(server.db,
      "SELECT subject, wait_ms FROM waits WHERE scene = 'game2' AND outcome = 'partner_gone'",
      (rs) => rs.length >= 2);
    for (const w of gone) expect(w.wait_ms).toBeGreaterThanOrEqual(WAIT_S * 1000 - 100);
    const events = sqlite(server.db, "SELECT subject, detail FROM events WHERE kind = 'party_broken'");
    expect(events.map((e) => e.subject).sort()).toEqual([a.pid, c.pid].sort());
    for (const e of events) expect(JSON.parse(e.detail)).toMatchObject({ why: 'late', then: 'regroup', scene: 'game2' });
  });
});

test.describe('if_gone: end', () => {
  test.use({ experiment: END });

  test('a partner who leaves between the games: the other ends with partner_dropped', async ({ server, participants }, testInfo) => {
    const [a, b] = await participants(2);
    await throughGame1(server, [a, b]);
    await b.close();
    await a.advance();
    await a.start();
    await a.waitState('waiting');
    await expect(a.page.locator('#waitroom-count')).toHaveText(/\b1 of 2\b/);
    const r = await a.completionCode(WAIT_S * 1000 + 10000);
    expect(r.outcome).toBe('partner_dropped');
    expect(r.code).toBe('PARTDROP');
    await a.page.screenshot({ path: testInfo.outputPath('party-end.png') });
    const out = await waitForRows(server.db, 'SELECT subject, outcome, reason FROM outcomes', (rs) => rs.some((o) => o.subject === a.pid));
    expect(out.find((o) => o.subject === a.pid)).toMatchObject({ outcome: 'partner_dropped', reason: 'partner_gone' });
    await expect(a.page.locator('#scene')).toContainText('Your partner from the last game did not come back');
    expect(game2Matches(server.db)).toEqual([]);
  });
});
