// The built site in headless Chromium: every page loads without console errors, every internal
// link answers, and the local search finds what the pages say. Needs the build (turbo builds first).
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumSkipReason, close, launchChromium, listen } from '@latchkey/test-utils';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pages } from './pages';

const dist = fileURLToPath(new URL('../.vitepress/dist/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** The file of a URL path in the build, as a static host serves clean URLs; undefined if none. */
function fileOf(path: string): string | undefined {
  const clean = normalize(decodeURIComponent(path.split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
  for (const candidate of [clean, `${clean}.html`, join(clean, 'index.html')]) {
    const file = join(dist, candidate);
    if (file.startsWith(dist) && existsSync(file) && !file.endsWith('/')) {
      try {
        readFileSync(file);
        return file;
      } catch {}
    }
  }
  return undefined;
}

describe.skipIf(chromiumSkipReason('docs') !== undefined)('the docs site in Chromium', () => {
  let server: Server;
  let site: string;
  let browser: Browser;

  beforeAll(async () => {
    expect(existsSync(join(dist, 'index.html')), 'build the site first').toBe(true);
    server = createServer((req, res) => {
      const file = fileOf(req.url ?? '/');
      if (!file) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    site = await listen(server);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (server) await close(server);
  });

  it('loads every page without errors, and every internal link answers', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
    });
    const links = new Set<string>();
    for (const file of pages()) {
      const route = `/${file.replace(/(^|\/)index\.md$/, '$1').replace(/\.md$/, '')}`;
      const response = await page.goto(`${site}${route}`);
      expect([route, response?.status()]).toEqual([route, 200]);
      for (const href of await page.$$eval('a[href^="/"]', (anchors) =>
        anchors.map((anchor) => anchor.getAttribute('href')!),
      )) {
        links.add(href.split('#')[0]!);
      }
    }
    for (const link of links) {
      expect([link, (await fetch(`${site}${link}`)).status]).toEqual([link, 200]);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it('finds "back-channel" with the local search', async () => {
    const page = await browser.newPage();
    await page.goto(`${site}/`);
    await page
      .getByRole('button', { name: /search/i })
      .first()
      .click();
    await page.getByRole('searchbox').first().fill('back-channel');
    await page.locator('.result').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('.result').count()).toBeGreaterThan(0);
    await page.close();
  });
});
