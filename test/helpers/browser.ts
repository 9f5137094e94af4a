// A real browser for end-to-end tests: Debian's Chromium (`apt-get install chromium`) driven by
// playwright-core, which never downloads a browser. Without Chromium the tests that need it skip,
// saying how to install it. Screenshots for docs/ are written only when NEWSWATCH_SCREENSHOTS
// names a folder (`npm run screenshots`), so a test run leaves the committed ones alone.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** CHROMIUM_PATH, else Debian's package. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when Chromium is installed. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `browser test skipped: no Chromium at ${CHROMIUM_PATH}; install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Quiet and offline: no GPU, sandbox (tests may run as root), updates, sync or first-run pages.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 60_000,
  });
}

/** The folder screenshots go to (NEWSWATCH_SCREENSHOTS), or undefined: none are taken. */
export const screenshotDir = process.env.NEWSWATCH_SCREENSHOTS || undefined;

/** Saves the whole page as `<name>.png` in the screenshot folder, when one is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!screenshotDir) return;
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
}
