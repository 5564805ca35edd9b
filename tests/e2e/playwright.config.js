// Playwright Test configuration for cohort's end-to-end suite. Run it with
// `make test-e2e` or `bash tests/e2e/run [playwright args]` from the repo root.
import { defineConfig } from '@playwright/test';

const CHROMIUM = process.env.COHORT_CHROMIUM || '/usr/lib/chromium/chromium-headless-shell';

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
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // Many pages share 2 cores: keep background pages' timers at full speed.
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
        '--disable-backgrounding-occluded-windows',
      ],
    },
    trace: 'off',
    video: 'off',
    screenshot: 'off',
  },
});
