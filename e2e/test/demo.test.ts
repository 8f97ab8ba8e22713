import { DEV_OTP } from '@latchkey/dev-idp';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  launchChromium,
  type PageProblems,
  screenshotPages,
  skipReason,
  watchProblems,
} from './chromium';
import { type Stack, startStack } from './stack';

describe.skipIf(skipReason !== undefined)('the demo in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let watched: PageProblems;

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startStack();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  beforeEach(async () => {
    context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    watched = watchProblems(context);
  });
  afterEach(async ({ task }) => {
    const problems = [...watched.problems];
    if (task.result?.state === 'fail' || problems.length > 0) {
      await screenshotPages(context, task.name);
    }
    await context.close();
    // Checked after the test so that a failing step reports first; a test whose pages logged
    // errors (a hydration mismatch, an exception) fails here even when its steps passed.
    expect(problems, 'errors in the pages').toEqual([]);
  });

  /** Loads a page of the app and waits until React has hydrated it. */
  async function open(page: Page, path: string): Promise<void> {
    await page.goto(`${stack.site}${path}`);
    await hydrated(page);
  }

  async function hydrated(page: Page): Promise<void> {
    await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
  }

  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  /** Waits until `locator` shows `text` (a whole-text match for strings). */
  async function shows(locator: Locator, text: string | RegExp): Promise<void> {
    const exact = typeof text === 'string' ? new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`) : text;
    await locator.filter({ hasText: exact }).first().waitFor();
  }

  /** From a signed-out page of the app: Sign in, the dev IdP's form, back to the app. */
  async function signIn(page: Page, username: 'alice' | 'bob'): Promise<void> {
    await page.getByTestId('sign-in').click();
    await page.waitForURL(`${stack.issuer}/interaction/**`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(`${username}-password`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${stack.site}/**`);
    await hydrated(page);
    await shows(page.getByTestId('session-status'), 'Signed in');
  }

  /** Marks the window, to tell later whether the page was reloaded. */
  const mark = (page: Page) =>
    page.evaluate(() => {
      (window as { e2eMark?: boolean }).e2eMark = true;
    });
  const stillMarked = (page: Page) =>
    page.evaluate(() => (window as { e2eMark?: boolean }).e2eMark === true);

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  it('signs alice in through the dev IdP and shows her profile', async () => {
    const page = await context.newPage();
    await open(page, '/');
    await shows(page.getByTestId('session-status'), 'Signed out');
    await shows(page.getByTestId('signed-out'), 'You are signed out.');

    await signIn(page, 'alice');
    expect(page.url()).toBe(`${stack.site}/profile`);
    await shows(page.getByRole('heading', { level: 1 }), 'Profile');
    await shows(page.getByTestId('profile-name'), 'Alice Example');
    await shows(page.getByTestId('profile-email'), 'alice@example.com');
    await shows(page.getByTestId('profile-roles'), 'admin, viewer');
    await shows(page.getByTestId('profile-permissions'), '*, reports:read');
    await shows(page.getByTestId('session-acr'), /urn:latchkey:acr:pwd/);
    await shows(page.getByTestId('session-expires'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    // The API's view of the access token, fetched through the backend.
    await shows(page.getByTestId('api-view'), /usr_alice/);

    // Client-side navigation: no page load between routes.
    await mark(page);
    await nav(page, 'Home').click();
    await shows(page.getByTestId('signed-in'), 'Signed in as Alice Example.');
    expect(new URL(page.url()).pathname).toBe('/');
    await nav(page, 'Profile').click();
    await shows(page.getByTestId('profile-name'), 'Alice Example');
    expect(await nav(page, 'Profile').getAttribute('aria-current')).toBe('page');
    expect(await stillMarked(page)).toBe(true);
  });

  it('refuses the admin page to bob, in the app and from the server', async () => {
    const page = await context.newPage();
    await open(page, '/');
    await signIn(page, 'bob');
    await shows(page.getByTestId('profile-roles'), 'viewer');

    await nav(page, 'Admin').click();
    const denied = page.getByRole('alert').filter({ hasText: 'Not allowed' });
    await denied.waitFor();
    expect(await page.getByTestId('admin-content').count()).toBe(0);

    // Loaded directly, the server refuses it with 403 and the same explanation.
    const response = await page.goto(`${stack.site}/admin`);
    expect(response?.status()).toBe(403);
    await hydrated(page);
    await denied.waitFor();
  });

  it('steps alice up with the one-time code and sends the payment on her second submit', async () => {
    const page = await context.newPage();
    const posts: number[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname === '/api/payments' && response.request().method() === 'POST') {
        posts.push(response.status());
      }
    });
    await open(page, '/');
    await signIn(page, 'alice');
    await nav(page, 'Payments').click();
    await page.getByTestId('step-up-needed').waitFor();

    await page.getByLabel('Amount (EUR)').fill('25');
    await page.getByLabel('To').fill('Bob Example');
    await page.getByRole('button', { name: 'Send payment' }).click();

    // RFC 9470: the API's challenge sends the page to the IdP's one-time code form.
    await page.waitForURL(`${stack.issuer}/interaction/**`);
    await page.getByLabel('One-time code').fill(DEV_OTP);
    await page.getByRole('button', { name: 'Verify' }).click();

    // Back on /payments with the form filled in, and nothing sent again on its own.
    await page.waitForURL(`${stack.site}/payments`);
    await hydrated(page);
    await page.getByTestId('payment-resume').waitFor();
    await page.getByTestId('step-up-fresh').waitFor();
    await shows(page.getByTestId('session-acr'), /urn:latchkey:acr:mfa/);
    expect(await page.getByLabel('Amount (EUR)').inputValue()).toBe('25');
    expect(await page.getByLabel('To').inputValue()).toBe('Bob Example');
    expect(posts).toEqual([401]);

    await page.getByRole('button', { name: 'Send payment' }).click();
    await shows(page.getByTestId('payment-result'), /Payment sent: 25 EUR to Bob Example/);
    expect(await page.getByTestId('payment-id').textContent()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(posts).toEqual([401, 201]);
  });

  it('shows a second tab signed out, without a reload, when the first signs out', async () => {
    const first = await context.newPage();
    await open(first, '/');
    await signIn(first, 'alice');
    const second = await context.newPage();
    await open(second, '/profile');
    await shows(second.getByTestId('session-status'), 'Signed in');
    await mark(second);

    await first.getByTestId('sign-out').click();
    await shows(second.getByTestId('session-status'), 'Signed out');
    await second.getByTestId('sign-in').waitFor();
    await second.getByTestId('sign-in-prompt').waitFor();
    expect(await stillMarked(second)).toBe(true);

    // The first tab goes on to end the IdP session, and comes back signed out.
    await first.waitForURL(`${stack.issuer}/**`);
    await first.getByRole('button', { name: 'Yes, sign me out' }).click();
    await first.waitForURL(`${stack.site}/`);
    await hydrated(first);
    await shows(first.getByTestId('session-status'), 'Signed out');
  });

  it('signs the browser out on its next request after a back-channel logout from the IdP', async () => {
    const page = await context.newPage();
    await open(page, '/');
    await signIn(page, 'alice');
    await nav(page, 'Home').click();
    await page.getByRole('button', { name: 'Load reports' }).click();
    await shows(page.getByTestId('reports'), /Q3 revenue/);

    // Alice ends her session at the IdP itself, which tells demo-express (back-channel logout).
    const delivered = new Promise<void>((resolve) => {
      stack.idp.on('backchannel.success', () => resolve());
    });
    const idpPage = await context.newPage();
    await idpPage.goto(`${stack.issuer}/session/end`);
    await idpPage.getByRole('button', { name: 'Yes, sign me out' }).click();
    await idpPage.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await delivered;

    // The app's tab still shows the session it knew; its next request finds it ended.
    await page.bringToFront();
    await page.getByRole('button', { name: 'Load reports' }).click();
    await shows(page.getByTestId('session-status'), 'Signed out');
    await shows(page.getByTestId('signed-out'), 'You are signed out.');
    await page.reload();
    await hydrated(page);
    await shows(page.getByTestId('session-status'), 'Signed out');
  });

  it('signs out without JavaScript through the IdP, so the next sign-in asks for the password', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    noScript.setDefaultTimeout(10_000);
    try {
      const page = await noScript.newPage();
      const signInForm = async () => {
        await page.goto(`${stack.site}/auth/login?returnTo=/`);
        await page.waitForURL(`${stack.issuer}/interaction/**`);
      };
      await signInForm();
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('alice-password');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${stack.site}/`);

      // latchkey's own sign-out page: its form posts, and the answer redirects to the IdP.
      await page.goto(`${stack.site}/auth/logout`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${stack.issuer}/**`);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.waitForURL(`${stack.site}/`);

      // The IdP session ended too: signing in again shows the password form.
      await signInForm();
      await page.getByLabel('Password').waitFor();
    } finally {
      await noScript.close();
    }
  });
});
