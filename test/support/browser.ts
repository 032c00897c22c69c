/**
 * A real browser for the end-to-end tests: playwright-core driving Debian's `chromium` package
 * (installed by scripts/install-test-packages.sh). Playwright's own browser downloads are never
 * used, so `playwright install` is not needed.
 *
 * Chromium 132 and later run `--headless` as the full ("new") headless browser, which is what
 * Playwright passes for `headless: true`; no X server or display is needed.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a container without a display, usually as root. Playwright adds the first two itself
 * today; they are spelled out so the harness does not depend on its defaults.
 */
const ARGS = [
  // Chromium's sandbox cannot start as root (nor without user namespaces): the launch fails with
  // "Chromium sandboxing failed!".
  '--no-sandbox',
  // Docker's default /dev/shm is 64 MB, too small for the renderer; use temp files instead.
  '--disable-dev-shm-usage',
  // No GPU in a container: render in software from the start.
  '--disable-gpu',
];

/** The chromium executable: `CHROMIUM_PATH` if set, else Debian's; undefined if not executable. */
export function chromiumPath(): string | undefined {
  const candidate = process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM;
  try {
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}

/** A headless chromium; the caller closes it (`browser.close()`). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) {
    throw new Error(
      `no chromium at ${process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM}: install Debian's package ` +
        '(`apt-get install chromium`, or run scripts/install-test-packages.sh) or set CHROMIUM_PATH',
    );
  }
  // Fail well within vitest's 60 s hook timeout, with Playwright's launch log in the message.
  return chromium.launch({ executablePath, headless: true, args: ARGS, timeout: 30_000 });
}
