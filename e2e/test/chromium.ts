import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

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
