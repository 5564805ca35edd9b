// A browser for the HTTPS tests (tests/deploy): the suite's own launch options, trusting
// exactly the given certificates by the SHA-256 of their public keys (Chromium matches
// the chain the server sends), so every other certificate error still fails a test.
export async function trustingBrowser({ playwright, launchOptions, spkis }, use) {
  const args = [...(launchOptions.args ?? []), `--ignore-certificate-errors-spki-list=${spkis.join(',')}`];
  const browser = await playwright.chromium.launch({ ...launchOptions, headless: true, args });
  try {
    await use(browser);
  } finally {
    await browser.close();
  }
}
