// The episode viewer (web/viewer.html): an export of a real run (two C bots through
// experiments/viewer) loaded from its folder replays in the browser with the game's own
// wasm and renderer, every recorded hash verified; play, speed and the scrubber move the
// frame; a copy whose actions were changed is flagged at the frame it breaks.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { COHORT, REPO } from './lib/server.js';

test.use({ experiment: 'viewer' });

function runBots(url) {
  return new Promise((resolve, reject) => {
    const p = spawn(COHORT, ['bots', url, '-n', '2', '--policy', 'greedy', '--think', '50', '--duration', '45', '--run', 'view'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bots exited ${code}:\n${out}`))));
  });
}

// The folder's frames.csv with seat 0's action at frame 0 of the first episode changed
// so that the state must differ (chef 0 starts facing up: down, or up when it was down).
function tamperedCopy(src) {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-viewer-tampered-'));
  fs.copyFileSync(path.join(src, 'episodes.csv'), path.join(dst, 'episodes.csv'));
  const lines = fs.readFileSync(path.join(src, 'frames.csv'), 'utf8').split('\n');
  const header = lines[0].split(',');
  const a0 = header.indexOf('action.0');
  const cells = lines[1].split(',');
  cells[a0] = cells[a0] === '1' ? '0' : '1';
  lines[1] = cells.join(',');
  fs.writeFileSync(path.join(dst, 'frames.csv'), lines.join('\n'));
  return dst;
}

test('the viewer replays an exported episode, verifies every hash and flags a tampered file', async ({ server, page }, testInfo) => {
  test.setTimeout(90_000);
  const out = await runBots(server.url);
  expect(out).toContain('completed=2');
  const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-viewer-export-'));
  // The server has handed every episode to the store once the bots completed; wait for
  // the kitchen and court episodes' rows, then export.
  let r;
  for (let i = 0; i < 50; i++) {
    r = spawnSync(COHORT, ['export', server.expDir, '--out', exportDir], { encoding: 'utf8' });
    if (r.status === 0 && JSON.parse(fs.readFileSync(path.join(exportDir, 'export.json'), 'utf8')).tables['episodes.csv'] === 3) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  expect(r.status, r.stderr).toBe(0);

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${server.url}/viewer.html`);
  await page.setInputFiles('#folder', exportDir);
  await expect.poll(() => page.evaluate(() => window.cohortViewer.selected)).not.toBeNull();
  const st = await page.evaluate(() => window.cohortViewer);
  expect(st.episodes).toBe(3);
  expect(st.env).toBe('cooking/cramped_room');
  expect(st.frames).toBe(240);
  expect(st.mismatches).toEqual([]);
  expect(st.verifiedFrames).toBe(240);
  await expect(page.locator('#verify')).toHaveClass(/ok/);
  await expect(page.locator('#verify')).toContainText('All 240 recorded state hashes verified');
  await expect(page.locator('.seat')).toHaveCount(2);
  await expect(page.locator('.seat').first()).toContainText('(input)');

  // play at 4x, then pause: the frame moves on
  await page.selectOption('#speed', '4');
  await page.click('#play');
  await expect.poll(() => page.evaluate(() => window.cohortViewer.frame), { timeout: 10_000 }).toBeGreaterThan(60);
  await page.click('#play');
  const paused = await page.evaluate(() => window.cohortViewer.frame);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => window.cohortViewer.frame)).toBe(paused);
  expect(await page.evaluate(() => window.cohortViewer.playing)).toBe(false);

  // the scrubber goes straight to a frame
  await page.locator('#scrub').evaluate((el) => { el.value = '150'; el.dispatchEvent(new Event('input')); });
  expect(await page.evaluate(() => window.cohortViewer.frame)).toBe(150);
  await expect(page.locator('#frame')).toHaveText('frame 150 / 240');
  await page.waitForTimeout(100);
  const shot = testInfo.outputPath('viewer-cooking.png');
  await page.screenshot({ path: shot });
  fs.mkdirSync(path.join(REPO, 'build/e2e'), { recursive: true });
  fs.copyFileSync(shot, path.join(REPO, 'build/e2e/viewer-cooking.png'));

  // the volley episodes replay too
  await page.click('#episodes tbody tr:nth-child(2)');
  await expect.poll(() => page.evaluate(() => window.cohortViewer.env)).toBe('volley/slime');
  expect(await page.evaluate(() => window.cohortViewer.mismatches.length)).toBe(0);
  await page.locator('#scrub').evaluate((el) => { el.value = '120'; el.dispatchEvent(new Event('input')); });
  await page.waitForTimeout(100);
  await page.screenshot({ path: path.join(REPO, 'build/e2e/viewer-volley.png') });

  // a tampered copy is flagged at the frame it breaks
  const bad = tamperedCopy(exportDir);
  await page.setInputFiles('#files', [path.join(bad, 'episodes.csv'), path.join(bad, 'frames.csv')]);
  await expect.poll(() => page.evaluate(() => window.cohortViewer.mismatches.length)).toBeGreaterThan(0);
  const m = await page.evaluate(() => window.cohortViewer.mismatches[0]);
  expect(m.frame).toBe(0);
  await expect(page.locator('#verify')).toHaveClass(/bad/);
  await expect(page.locator('#verify')).toContainText('Hash mismatch at frame 0');
  await page.screenshot({ path: path.join(REPO, 'build/e2e/viewer-tampered.png') });
  fs.rmSync(bad, { recursive: true, force: true });
  fs.rmSync(exportDir, { recursive: true, force: true });
});

// From the admin page: it lists every episode the server wrote; "replay" opens the viewer
// on the server's own files (GET /api/episode, the admin key in a header), which
// re-simulates the episode and verifies every recorded hash.
test('the admin page lists every episode; its replay link opens the viewer on the server\'s files', async ({ server, page }, testInfo) => {
  test.setTimeout(90_000);
  const out = await runBots(server.url);
  expect(out).toContain('completed=2');
  if (!server.adminKey) await server.state(); // waits for the admin line
  await page.goto(`${server.url}/admin.html#key=${server.adminKey}`);
  const links = page.locator('#episodes a', { hasText: 'replay' });
  await expect.poll(() => links.count(), { timeout: 15_000 }).toBeGreaterThan(0);
  const listed = await links.count();
  const written = Number((await import('./lib/exports.js')).sqlite(server.db, 'SELECT count(*) AS n FROM episodes')[0].n);
  expect(listed, 'every written episode is listed').toBe(written);
  await page.screenshot({ path: path.join(REPO, 'build/e2e/admin-episodes.png') });
  const href = await links.first().getAttribute('href');
  expect(href).toMatch(/^viewer\.html#key=/);
  await page.goto(`${server.url}/${href}`);
  await expect.poll(() => page.evaluate(() => window.cohortViewer?.selected ?? null), { timeout: 15_000 }).not.toBeNull();
  const st = await page.evaluate(() => window.cohortViewer);
  expect(st.error).toBeNull();
  expect(st.mismatches).toEqual([]);
  expect(st.frames).toBeGreaterThan(0);
  expect(st.verifiedFrames).toBe(st.frames);
  await expect(page.locator('#verify')).toHaveText(/All \d+ recorded state hashes verified/);
  await page.locator('#play').click();
  await expect.poll(() => page.evaluate(() => window.cohortViewer.frame), { timeout: 10_000 }).toBeGreaterThan(30);
  await page.screenshot({ path: path.join(REPO, 'build/e2e/viewer-from-admin.png') });
  // Without the key nothing is listed.
  const res = await page.evaluate(async () => (await fetch('/api/episodes')).status);
  expect(res).toBe(403);
});
