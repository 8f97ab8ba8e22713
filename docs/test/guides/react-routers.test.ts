// Route guards with React Router and TanStack Router, followed as printed: the page's dev IdP
// command and server.ts; each router's entry point bundled for the browser (with esbuild, which
// the docs install, in place of the reader's `npx vite build`) and run in headless Chromium. A signed-out visitor who opens /invoices, or
// follows the app's link to it, signs in at the IdP and lands on /invoices, which never rendered
// signed out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromiumSkipReason,
  launchChromium,
  type StartedExample,
  stopExamples,
} from '@latchkey/test-utils';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guideExample, startGuide } from '../guide';

/** Builds `entry` of the example's directory into its `dist/`, with the index.html it needs. */
async function buildApp(directory: string, entry: string): Promise<void> {
  const dist = join(directory, 'dist');
  await build({
    entryPoints: [join(directory, entry)],
    outfile: join(dist, 'assets', 'app.js'),
    bundle: true,
    format: 'esm',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  mkdirSync(dist, { recursive: true });
  writeFileSync(
    join(dist, 'index.html'),
    '<div id="root"></div>\n<script type="module" src="/assets/app.js"></script>\n',
  );
}

/** At the dev IdP's sign-in form: alice signs in, and the IdP sends her back to the app. */
async function signInAtIdp(page: Page, { issuer, site }: StartedExample): Promise<void> {
  await page.waitForURL(`${issuer}/interaction/**`);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('alice-password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${site}/**`);
}

describe.skipIf(chromiumSkipReason('docs react-routers') !== undefined)(
  'route guards with React Router and TanStack Router, in Chromium',
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });
    afterEach(stopExamples);

    it('the page runs the React guide server and builds one router entry at a time', () => {
      const { files, runCommands } = guideExample('react-routers');
      expect(runCommands).toEqual(['npx tsx server.ts']);
      expect(Object.keys(files).sort()).toEqual([
        'react-router.tsx',
        'server.ts',
        'tanstack-router.tsx',
      ]);
    });

    for (const entry of ['react-router.tsx', 'tanstack-router.tsx']) {
      it(`${entry}: a signed-out visitor of /invoices signs in and lands there, from the address bar or a link`, async () => {
        const example = await startGuide('react-routers', { probe: '/auth/session' });
        const { site } = example;
        await buildApp(example.directory, entry);
        const context = await browser.newContext();
        const other = await browser.newContext();
        const problems: string[] = [];
        const page = await context.newPage();
        page.on('pageerror', (error) => problems.push(error.message));
        try {
          // Home is public.
          await page.goto(`${site}/`);
          await page.getByRole('heading', { name: 'Home' }).waitFor();
          await page.getByText('Signed out.').waitFor();

          // A link inside the app: the route's guard leaves the app for the server's sign-in.
          const toLogin = page.waitForRequest((request) =>
            request.url().startsWith(`${site}/auth/login?`),
          );
          await page.getByRole('link', { name: 'Invoices' }).click();
          const login = new URL((await toLogin).url());
          expect(login.searchParams.get('returnTo')).toBe('/invoices');
          await signInAtIdp(page, example);
          expect(page.url()).toBe(`${site}/invoices`);
          await page.getByRole('heading', { name: 'Invoices' }).waitFor();
          await page.getByText('Signed in as Alice Example.').waitFor();

          // Signed in, the app's links stay inside the app: no new page load, no IdP.
          await page.evaluate(() => {
            (window as { loadedOnce?: boolean }).loadedOnce = true;
          });
          await page.getByRole('link', { name: 'Home' }).click();
          await page.getByRole('heading', { name: 'Home' }).waitFor();
          await page.getByRole('link', { name: 'Invoices' }).click();
          await page.getByRole('heading', { name: 'Invoices' }).waitFor();
          expect(page.url()).toBe(`${site}/invoices`);
          expect(await page.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce)).toBe(
            true,
          );

          // Signed out, in a fresh browser: the address bar's /invoices never renders the route.
          // Each page load reports once whether it showed the route.
          const visitor = await other.newPage();
          const rendered: string[] = [];
          await visitor.exposeFunction('sawInvoices', () => rendered.push(visitor.url()));
          await visitor.addInitScript(() => {
            const observer = new MutationObserver(() => {
              if (document.querySelector('h1')?.textContent === 'Invoices') {
                observer.disconnect();
                (window as unknown as { sawInvoices: () => void }).sawInvoices();
              }
            });
            observer.observe(document, { childList: true, subtree: true });
          });
          await visitor.goto(`${site}/invoices`);
          await signInAtIdp(visitor, example);
          expect(visitor.url()).toBe(`${site}/invoices`);
          await visitor.getByRole('heading', { name: 'Invoices' }).waitFor();
          expect(rendered).toEqual([`${site}/invoices`]);
          expect(problems).toEqual([]);
        } finally {
          await context.close();
          await other.close();
        }
      });
    }
  },
);
