// Bonuses (docs/EXPERIMENTS.md "Bonus"): the end page shows the bonus the server recorded
// with the outcome, and that amount is the rule applied to the score of the episodes the
// participant played and the time they waited, as cohort.db records them. The admin's
// payments.csv (behind the admin key) lists it in Prolific's bulk bonus format.
import { test, expect } from './fixtures.js';
import { sqlite, waitForRows } from './lib/exports.js';
import path from 'node:path';

test.use({ experiment: 'bonus' });

test('the end page shows the bonus for the score and the wait, as recorded and as paid', async ({ server, participants }, testInfo) => {
  const [a] = await participants(1);
  await a.open(server.url);
  await a.waitScene('solo');
  await a.start(); // the greedy cook scores while a stands still
  await a.waitScene('duo', { timeout: 30000 });
  await a.waitState('page');
  await a.start(); // nobody comes: the waiting room times out after 3 s
  const r = await a.completionCode(20000);
  expect(r.outcome).toBe('waitroom_timeout');
  expect(r.code).toBe('BONUSWAIT');

  const db = path.join(server.expDir, 'cohort.db');
  const [row] = await waitForRows(db, "SELECT bonus, bonus_points, bonus_wait_ms FROM outcomes");
  const [{ points }] = sqlite(db, 'SELECT sum(score) AS points FROM episodes');
  const [{ wait }] = sqlite(db, 'SELECT sum(wait_ms) AS wait FROM waits');
  expect(points).toBeGreaterThan(0); // the cook served: the score part is not zero
  expect(row.bonus_points).toBe(points);
  expect(row.bonus_wait_ms).toBe(wait);
  expect(wait).toBeGreaterThan(2500); // the 3 s timeout (on the wall clock: maybe 2999 ms)
  // 0.01 a point (at most 5.00) + 0.60 a minute per second waited, to the nearest second
  // (at most 1.00), in 1/10000 units, rounded down to a cent.
  const units = Math.min(points * 100, 50000) + Math.min(Math.floor(Math.floor((wait + 500) / 1000) * 6000 / 60), 10000);
  const cents = Math.floor(units / 100);
  const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  expect(row.bonus).toBe(amount);
  await expect(a.page.locator('#bonus')).toHaveText(`Your bonus: ${amount} GBP`);
  expect(r.status.bonus).toBe(amount);
  await a.page.screenshot({ path: testInfo.outputPath('end-bonus.png') });

  // Coming back: the same end page, the same amount.
  await a.page.reload();
  await a.waitState('done');
  await expect(a.page.locator('#bonus')).toHaveText(`Your bonus: ${amount} GBP`);

  // The admin's download: Prolific's bulk bonus lines, behind the admin key.
  const url = `${server.url}/api/payments.csv`;
  expect((await fetch(url)).status).toBe(403);
  const res = await fetch(url, { headers: { Authorization: `Bearer ${server.adminKey}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/csv');
  const pid = r.status.subject;
  expect(await res.text()).toBe(`${pid},${amount}\n`);

  // The admin page's link fetches the same file with the key and hands it to the browser.
  const admin = a.page.context();
  const page = await admin.newPage();
  await page.goto(`${server.url}/admin.html#key=${server.adminKey}`);
  await expect(page.locator('#status')).toHaveText('live');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#payments').click()]);
  expect(download.suggestedFilename()).toBe('payments.csv');
  const saved = testInfo.outputPath('payments.csv');
  await download.saveAs(saved);
  const fs = await import('node:fs');
  expect(fs.readFileSync(saved, 'utf8')).toBe(`${pid},${amount}\n`);
  await expect(page.locator('#payments-status')).toHaveText('1 bonus');
  await page.screenshot({ path: testInfo.outputPath('admin-bonus.png') });
  await page.close();
});
