// tests/pilot/run: open a pilot's report.html in headless Chromium (as a researcher
// would open it) and save a full-page screenshot to look at.
import { createRequire } from 'node:module';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tools/harness/chromium.js';

const [report, png] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`file://${path.resolve(report)}`);
  await page.waitForLoadState('load');
  await page.screenshot({ path: png, fullPage: true });
  console.log(`test-pilot: the report photographed: ${png}`);
} finally {
  await browser.close();
}
