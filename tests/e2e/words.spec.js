// The participant's words (docs/EXPERIMENTS.md): an experiment's `texts:` and `language:`
// reach the page. A study in Hebrew: the page turns right to left, the waiting room, the
// game's status line and the end page show the experiment's texts, not the defaults.
import { test, expect } from './fixtures.js';

test.use({ experiment: 'words' });

test('texts and language from the experiment: waiting room, game and end page, right to left', async ({ server, participants }, testInfo) => {
  const [a, b] = await participants(2);
  await a.open(server.url);
  await expect(a.page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(a.page.locator('html')).toHaveAttribute('lang', 'he');
  await a.advanceTo('game');
  await a.start();
  await a.waitState('waiting');
  await expect(a.page.locator('#waitroom h2')).toHaveText('ממתינים לשחקנים נוספים');
  await expect(a.page.locator('#waitroom-count')).toHaveText('1 מתוך 2 כאן');
  await expect(a.page.locator('#leave')).toHaveText('יציאה מחדר ההמתנה');
  await a.page.screenshot({ path: testInfo.outputPath('waitroom-he.png') });

  await b.open(server.url);
  await b.advanceTo('game');
  await b.start();
  await a.waitState('playing');
  await expect(a.page.locator('#hud-score')).toHaveText(/^ניקוד \d+$/);
  for (const p of [a, b]) {
    const r = await p.completionCode(20000);
    expect(r.outcome).toBe('completed');
    expect(r.code).toBe('WORDSOK');
    await expect(p.page.locator('.end-message')).toHaveText('תודה רבה! סיימת את המחקר.');
    await expect(p.page.locator('.code-line')).toContainText('קוד הסיום שלך:');
  }
  await a.page.screenshot({ path: testInfo.outputPath('end-he.png') });
});
