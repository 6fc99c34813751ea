import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven through playwright-core, for the console's browser tests. Chromium is
 * the system's (`apt-get install -y chromium`; .ci/run installs it when it is missing), never a
 * download: playwright-core brings no browser of its own.
 */
export const chromiumPath = '/usr/bin/chromium';

const launchArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: install it with \`apt-get install -y chromium\` (.ci/run does)`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: launchArgs });
}

/**
 * What the page said that a test should fail on: errors thrown by its scripts, and anything the
 * Content-Security-Policy refused (an inline script or style would be).
 */
export type PageProblems = string[];

export async function consolePage(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: PageProblems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  return { context, page, problems };
}

/** Where the browser tests leave their screenshots (git-ignored); docs/console/ holds copies. */
export const artifactsFolder = join(__dirname, '..', '..', 'test-artifacts', 'console');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsFolder, { recursive: true });
  const path = join(artifactsFolder, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Reads until the check passes, or fails with the check's last complaint: the page polls the API
 * and re-renders, so what a test looks for appears within a poll or two.
 */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => void, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check(await read());
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
