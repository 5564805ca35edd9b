// How cohort's browser harnesses launch Chromium (docs/DESIGN.md section 3): Debian's
// chromium-headless-shell, never a browser Playwright downloaded. Shared by
// tests/e2e/playwright.config.js and `cohort pilot`.

export const CHROMIUM = process.env.COHORT_CHROMIUM || '/usr/lib/chromium/chromium-headless-shell';

export const CHROMIUM_ARGS = [
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
];
