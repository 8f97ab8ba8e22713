import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** The Chromium the suite drives: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** True under CI (`CI` set to anything but `''`, `0` or `false`), where a missing browser fails. */
const inCi = ((ci) => ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false')(
  process.env.CI,
);

/**
 * Why the suite cannot run here, or `undefined` when it can. Outside CI a missing Chromium skips
 * the suite (the reason is printed); under CI the suite runs and {@link launchChromium} fails.
 */
export const skipReason: string | undefined =
  existsSync(chromiumPath) || inCi
    ? undefined
    : `no Chromium at ${chromiumPath} (set CHROMIUM_PATH, or apt-get install chromium)`;
if (skipReason) console.warn(`[e2e] Browser tests are skipped: ${skipReason}.`);

/** Starts headless Chromium; under CI without one, fails with what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `CI is set and there is no Chromium at ${chromiumPath}: install Debian's chromium package or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What the pages of a context reported: uncaught errors and `console.error` lines. */
export interface PageProblems {
  problems: string[];
}

/**
 * Records uncaught errors and console errors of every page of `context` (a hydration mismatch is
 * one). Failed resource loads are left out: some tests expect 401 and 403 answers.
 */
export function watchProblems(context: BrowserContext): PageProblems {
  const watched: PageProblems = { problems: [] };
  context.on('page', (page) => {
    page.on('pageerror', (error) => watched.problems.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        watched.problems.push(`${page.url()}: console.error ${message.text()}`);
      }
    });
  });
  return watched;
}

const outputDir = fileURLToPath(new URL('../test-output/', import.meta.url));

/** Screenshots every open page of `context` to `test-output/<test name>-<n>.png`. */
export async function screenshotPages(context: BrowserContext, testName: string): Promise<void> {
  await mkdir(outputDir, { recursive: true });
  const base = testName.replace(/[^\w-]+/g, '-').replace(/^-|-$/g, '');
  const pages: Page[] = context.pages();
  await Promise.all(
    pages.map(async (page, index) => {
      const path = join(outputDir, `${base}-${index + 1}.png`);
      try {
        await page.screenshot({ path, fullPage: true, timeout: 5_000 });
        console.error(`[e2e] ${testName}: page ${index + 1} (${page.url()}) -> ${path}`);
      } catch (error) {
        console.error(`[e2e] ${testName}: no screenshot of ${page.url()}: ${String(error)}`);
      }
    }),
  );
}
