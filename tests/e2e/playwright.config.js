// Playwright Test configuration for cohort's end-to-end suite. Run it with
// `make test-e2e` or `bash tests/e2e/run [playwright args]` from the repo root.
import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tools/harness/chromium.js';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.js$/,
  outputDir: '../../build/e2e/test-results',
  // Each test drives several pages on a 2-core machine: one test at a time.
  workers: 1,
  fullyParallel: false,
  // Flaky is broken: a failure is a bug to find, not a retry to add.
  retries: 0,
  reporter: [['list']],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    },
    trace: 'off',
    video: 'off',
    screenshot: 'off',
  },
});
