// The deploy suite's browser test (tests/deploy/run runs it): the e2e suite's settings
// (one worker, no retries, Debian's chromium-headless-shell and its flags), its own specs.
import { defineConfig } from '@playwright/test';
import e2e from '../e2e/playwright.config.js';

export default defineConfig({
  ...e2e,
  testDir: '.',
  testMatch: /.*\.spec\.js$/,
  outputDir: '../../build/deploy/test-results',
});
