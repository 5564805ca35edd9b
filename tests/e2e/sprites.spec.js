// Issue 17: sprites live in the game's own folder (envs/FAMILY/web/sprites.js, served as
// /envs/FAMILY/sprites.js) and web/draw.js paints them through it. A participant sees the
// chefs, pots and dispensers drawn as before: the painter is fetched, and no sprite falls
// back to the magenta box draw.js uses when a family's painter is missing.
import { test, expect } from './fixtures.js';

test.use({ experiment: 'game' });

test('cooking sprites come from envs/cooking/web/sprites.js and are painted', async ({ participants, orchestrate }, testInfo) => {
  const ps = await participants(2);
  const fetched = ps.map((p) => p.page.waitForResponse((r) => r.url().endsWith('/envs/cooking/sprites.js'), { timeout: 20000 }));
  const orch = orchestrate(ps, { game: { scene: 'game', maxSteps: 150 } });
  await orch.arrive();
  for (const r of await Promise.all(fetched)) {
    expect(r.status()).toBe(200);
    expect(r.headers()['content-type'] || '').toContain('javascript');
  }
  await ps[0].waitFor(() => window.cohort.game.frame > 30, { what: 'frame 30' });
  const { magenta, painted } = await ps[0].page.evaluate(() => {
    const c = document.querySelector('#game canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let m = 0, p = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] > 240 && d[i + 1] < 20 && d[i + 2] > 240) m++;
      if (d[i + 3] > 0) p++;
    }
    return { magenta: m, painted: p };
  });
  await ps[0].page.screenshot({ path: testInfo.outputPath('cooking-sprites.png') });
  expect(painted, 'the canvas is drawn').toBeGreaterThan(1000);
  expect(magenta, 'pixels of the missing-sprite fallback').toBe(0);
  await orch.waitDone();
});
