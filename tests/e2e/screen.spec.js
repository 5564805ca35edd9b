// Device screening (docs/EXPERIMENTS.md "Device requirements"): `require:` turns a device
// away before consent with a polite page that says what is needed, records nothing about
// the person, counts the screening in events, and lets someone whose window was too small
// in once they reload with a large enough one.
import { devices } from '@playwright/test';
import { test, expect, Participant, sqlite, waitForRows } from './fixtures.js';

test.use({ experiment: 'screen' });

const screenings = (kind) =>
  `SELECT subject, detail FROM events WHERE kind = '${kind}' ORDER BY t`;

test('a window too small is screened out politely, and let in after a reload with a larger one', async ({ server, participants }, testInfo) => {
  const [p] = await participants(1, { prefix: 'small' });
  await p.page.setViewportSize({ width: 900, height: 600 });
  await p.open(server.url);
  const out = await p.completionCode();
  expect(out.outcome).toBe('screened_out');
  expect(out.code).toBe('SCREENOUT');
  await expect(p.page.locator('.end-message')).toHaveText(
    'This study needs a browser window of at least 1000 × 700 pixels, and this one is 900 × 600. '
    + 'Please make the window larger (maximise it, or zoom out with Ctrl and minus, ⌘ and minus on a Mac), then reload this page.');
  await p.page.screenshot({ path: testInfo.outputPath('screened-out-window.png'), fullPage: true });

  // Counted without a name; nothing names them.
  const [ev] = await waitForRows(server.db, screenings('screened_out'));
  expect(ev.subject).toBeNull();
  const detail = JSON.parse(ev.detail);
  expect(detail).toMatchObject({ verdict: 'small_window', attempt: 1, device: { width: 900, height: 600, pointer: 'fine', mobile: false } });
  expect(sqlite(server.db, `SELECT count(*) AS n FROM participants`)[0].n).toBe(0);

  // Larger window, same browser (the token in localStorage): in at the first scene.
  await p.page.setViewportSize({ width: 1280, height: 800 });
  await p.page.reload();
  await p.waitFor(() => window.cohort?.connected && window.cohort.scene === 'welcome' && window.cohort.state === 'page', { what: 'the welcome page after the reload' });
  await p.page.screenshot({ path: testInfo.outputPath('let-in.png') });
  await p.advance();
  await p.advance({ agree: true });
  const done = await p.completionCode();
  expect(done.outcome).toBe('completed');
  expect(done.code).toBe('SCREENOK');

  const [back] = await waitForRows(server.db, screenings('screened_in'));
  expect(JSON.parse(back.detail)).toMatchObject({ verdict: 'passed', attempt: 2, device: { width: 1280, height: 800 } });
  const rows = await waitForRows(server.db, `SELECT outcome, code FROM outcomes WHERE subject = '${p.pid}'`);
  expect(rows).toEqual([{ outcome: 'completed', code: 'SCREENOK' }]);
  expect(sqlite(server.db, `SELECT count(*) AS n FROM events WHERE kind = 'screened_out'`)[0].n).toBe(1);
});

test('a phone is screened out by desktop: true, told it needs a computer', async ({ server, browser }, testInfo) => {
  const context = await browser.newContext({ ...devices['Pixel 7'] });
  try {
    const page = await context.newPage();
    const phone = new Participant(context, page, { name: 'phone', pid: `phone${Date.now().toString(36)}` });
    await phone.open(server.url);
    const out = await phone.completionCode();
    expect(out.outcome).toBe('screened_out');
    expect(out.code).toBe('SCREENOUT');
    await expect(page.locator('.end-message')).toHaveText(/has to be done on a desktop or laptop computer, so it cannot be taken on a phone or tablet/);
    // The consent page was never shown.
    expect(await page.locator('#advance').count()).toBe(0);
    await page.screenshot({ path: testInfo.outputPath('screened-out-phone.png'), fullPage: true });
    const [ev] = await waitForRows(server.db, screenings('screened_out'));
    expect(JSON.parse(ev.detail)).toMatchObject({ verdict: 'not_desktop', device: { mobile: true, pointer: 'coarse', hover: false } });
    expect(sqlite(server.db, `SELECT count(*) AS n FROM participants`)[0].n).toBe(0);
  } finally {
    await context.close();
  }
});
