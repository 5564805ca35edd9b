// The study design (docs/EXPERIMENTS.md "Design"): the 2x2 example, experiments/conditions
// (layout x human or AI partner, a quiz, a bonus), with eight participants arriving
// together: balanced assignment puts two in each condition, people are grouped only
// within their condition, each condition plays its own game, and everyone finishes with
// the code and a bonus. And routing by outcome: a partner drops, the one left takes the
// exit survey, then sees the end page with the partner_dropped code.
import { test, expect } from './fixtures.js';
import { sqlite, waitForRows } from './lib/exports.js';
import path from 'node:path';

/** Through welcome, consent, the instructions and the quiz (answered right) to the game;
 * the instructions' text. */
async function toGame(p) {
  await p.waitScene('welcome');
  await p.advance();
  await p.advance({ consent: true });
  await p.waitScene('instructions');
  await p.waitState('page');
  const instructions = await p.page.locator('#scene').innerText();
  await p.advance();
  await p.waitScene('check');
  await p.page.locator('#scene [name="onions"]').fill('3');
  await p.page.locator('#scene [name="serve"][value="dish"]').check();
  await p.page.locator('#scene [name="serve"][value="pass"]').check();
  await p.advance();
  await p.waitScene('game');
  return instructions;
}

test.describe('the 2x2 example', () => {
  test.use({ experiment: 'experiments/conditions/experiment.yaml' });

  test('eight arrivals: two per condition, grouped within it, each condition its own game', async ({ server, participants }, testInfo) => {
    test.setTimeout(150000);
    const people = await participants(8);
    await Promise.all(people.map((p) => p.open(server.url)));
    const instructions = await Promise.all(people.map(toGame));
    // The AI conditions' instructions say the other chef is the computer.
    const db = path.join(server.expDir, 'cohort.db');
    const rows = await waitForRows(db, 'SELECT subject, condition FROM participants', (r) => r.length === 8);
    const byCondition = {};
    for (const r of rows) (byCondition[r.condition] ??= []).push(r.subject);
    expect(Object.keys(byCondition).sort()).toEqual(['cramped-ai', 'cramped-human', 'ring-ai', 'ring-human']);
    for (const c of Object.values(byCondition)) expect(c.length).toBe(2);
    for (const [i, p] of people.entries()) {
      const subject = (await p.status()).subject;
      const cond = rows.find((r) => r.subject === subject).condition;
      expect(instructions[i].includes('controlled by the computer')).toBe(cond.endsWith('-ai'));
    }
    await Promise.all(people.map(async (p) => { await p.start(); await p.startKeys(); }));
    await people[0].page.screenshot({ path: testInfo.outputPath('playing.png') });
    for (const p of people) {
      await p.waitScene('survey', { timeout: 90000 });
      await p.stopKeys();
    }
    await Promise.all(people.map((p) => p.advance({ teamwork: 4, partner_guess: 'unsure' })));
    for (const p of people) {
      const r = await p.completionCode(20000);
      expect(r.outcome).toBe('completed');
      expect(r.code).toBe('C2X2OK');
      await expect(p.page.locator('#bonus')).toHaveText(/^Your bonus: \d+\.\d\d GBP$/);
    }
    await people[0].page.screenshot({ path: testInfo.outputPath('end.png') });
    // Six games: one pair in each human condition, one game per person in the AI ones;
    // every seat's person in the game's condition, each condition's env and seats.
    const games = sqlite(db, 'SELECT game, env, condition, seats FROM games ORDER BY condition');
    expect(games.length).toBe(6);
    for (const g of games) {
      const seats = JSON.parse(g.seats);
      const humans = seats.filter((s) => !s.startsWith('ai:'));
      expect(humans.length).toBe(g.condition.endsWith('-ai') ? 1 : 2);
      for (const h of humans) expect(byCondition[g.condition]).toContain(h);
      expect(g.env).toBe(g.condition.startsWith('ring') ? 'cooking/coordination_ring' : 'cooking/cramped_room');
    }
    // The admin page counts them per condition.
    const state = await server.state();
    expect(state.conditions.map((c) => [c.id, c.completed, c.in_progress]))
      .toEqual([['cramped-human', 2, 0], ['cramped-ai', 2, 0], ['ring-human', 2, 0], ['ring-ai', 2, 0]]);
    const admin = await people[0].page.context().newPage();
    await admin.goto(`${server.url}/admin.html#key=${server.adminKey}`);
    await expect(admin.locator('#status')).toHaveText('live');
    await expect(admin.locator('#conditions tr')).toHaveCount(5); // a header and 4 conditions
    await admin.screenshot({ path: testInfo.outputPath('admin-conditions.png'), fullPage: true });
  });
});

test.describe('exit scenes', () => {
  test.use({ experiment: 'exits' });

  test('a partner drops: the exit survey, then the end page with the partner_dropped code', async ({ server, participants }, testInfo) => {
    const [a, b] = await participants(2);
    await a.open(server.url);
    await b.open(server.url);
    await a.waitScene('game');
    await b.waitScene('game');
    await a.start();
    await b.start();
    await a.waitState('playing');
    await b.close(); // gone past the 2 s grace
    await a.waitScene('exit-survey', { timeout: 20000 });
    await a.waitState('page');
    await expect(a.page.locator('#scene h1')).toHaveText('Your game ended early');
    await a.page.screenshot({ path: testInfo.outputPath('exit-survey.png') });
    await a.advance({ what_happened: 'my partner vanished' });
    const r = await a.completionCode(10000);
    expect(r.outcome).toBe('partner_dropped');
    expect(r.code).toBe('EXITPD');
    await a.page.screenshot({ path: testInfo.outputPath('end-after-exit.png') });
    const db = path.join(server.expDir, 'cohort.db');
    const forms = await waitForRows(db, "SELECT scene, form FROM forms WHERE scene = 'exit-survey'");
    expect(JSON.parse(forms[0].form).what_happened).toBe('my partner vanished');
    // Coming back: the end page again, never the survey twice.
    await a.page.reload();
    const again = await a.completionCode(10000);
    expect(again.code).toBe('EXITPD');
  });
});
