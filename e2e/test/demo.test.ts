import { DEV_OTP } from '@latchkey/dev-idp';
import { chromiumSkipReason, launchChromium } from '@latchkey/test-utils';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PageProblems, screenshotPages, watchProblems } from './chromium';
import { type Stack, startStack } from './stack';

describe.skipIf(chromiumSkipReason('e2e') !== undefined)('the demo in Chromium', () => {
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

    // RFC 9470: the API's challenge offers the IdP's one-time code form (or a passkey).
    await page.getByTestId('payment-step-up').waitFor();
    await page.getByRole('button', { name: 'Use the one-time code' }).click();
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

  describe('passkeys', () => {
    /**
     * Gives `page` a platform authenticator (CDP's virtual one: CTAP2, internal, resident keys,
     * user verification that succeeds), as a laptop with a fingerprint reader would have.
     */
    async function withAuthenticator(page: Page): Promise<string> {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });
      return authenticatorId;
    }

    /** Signs out at the app and at the IdP, back on the app's home page. */
    async function signOutEverywhere(page: Page): Promise<void> {
      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${stack.issuer}/**`);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.waitForURL(`${stack.site}/`);
      await hydrated(page);
    }

    /**
     * Pages of `page` loaded while its tab's `e2e-no-autofill` flag is set report no passkey
     * autofill, as a browser without it would: no autofill request answers (or signs in) first.
     */
    async function autofillSwitch(page: Page) {
      await page.addInitScript(() => {
        if (sessionStorage.getItem('e2e-no-autofill')) {
          PublicKeyCredential.isConditionalMediationAvailable = async () => false;
        }
      });
      return (on: boolean) =>
        page.evaluate((off) => {
          if (off) sessionStorage.setItem('e2e-no-autofill', '1');
          else sessionStorage.removeItem('e2e-no-autofill');
        }, !on);
    }

    /** On the Passkeys page: the one-time code at the IdP first, then "Add a passkey". */
    async function addPasskey(page: Page): Promise<void> {
      await nav(page, 'Passkeys').click();
      await page.getByTestId('passkey-step-up').waitFor();
      await page.getByRole('button', { name: 'Use the one-time code' }).click();
      await page.waitForURL(`${stack.issuer}/interaction/**`);
      await page.getByLabel('One-time code').fill(DEV_OTP);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL(`${stack.site}/passkeys`);
      await hydrated(page);
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByTestId('passkey').first().waitFor();
    }

    it('registers a passkey, steps up and signs in with it, and no longer signs in once it is removed', async () => {
      const page = await context.newPage();
      await withAuthenticator(page);
      const autofill = await autofillSwitch(page);
      await open(page, '/');
      await signIn(page, 'alice');

      // 1. Adding a passkey needs a recent step-up: the one-time code, then the passkey, named.
      await nav(page, 'Passkeys').click();
      await shows(page.getByTestId('no-passkeys'), 'You have no passkeys yet.');
      expect(await page.getByRole('button', { name: 'Add a passkey' }).count()).toBe(0);
      await addPasskey(page);
      expect(await page.getByTestId('passkey').count()).toBe(1);
      await page.getByRole('button', { name: 'Rename' }).click();
      await page.getByLabel('Name').fill('This laptop');
      await page.getByRole('button', { name: 'Save' }).click();
      await shows(page.getByTestId('passkey-name'), 'This laptop');

      // 2. Signed in again with the password only, step up with the passkey on Payments: the
      // API's challenge offers it, and the payment goes through (the site vouches for the passkey
      // step-up with a step-up assertion).
      await autofill(false);
      await signOutEverywhere(page);
      await signIn(page, 'alice');
      await shows(page.getByTestId('session-acr'), /urn:latchkey:acr:pwd/);
      const posts: number[] = [];
      page.on('response', (response) => {
        if (response.url().endsWith('/api/payments') && response.request().method() === 'POST') {
          posts.push(response.status());
        }
      });
      await nav(page, 'Payments').click();
      await page.getByTestId('step-up-needed').waitFor();
      await page.getByLabel('Amount (EUR)').fill('12');
      await page.getByLabel('To').fill('Carol Example');
      await mark(page);
      await page.getByRole('button', { name: 'Send payment' }).click();
      await page.getByTestId('payment-step-up').waitFor();
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await shows(page.getByTestId('payment-result'), /Payment sent: 12 EUR to Carol Example/);
      expect(posts).toEqual([401, 201]);
      expect(await stillMarked(page)).toBe(true);
      await shows(page.getByTestId('session-acr'), /urn:latchkey:acr:mfa/);

      // Transfer now opens without another step-up, in the app and from the server.
      await nav(page, 'Transfer').click();
      await shows(page.getByTestId('transfer-content'), /with a passkey/);
      const direct = await page.goto(`${stack.site}/transfer`);
      expect(direct?.status()).toBe(200);
      await hydrated(page);
      await page.getByTestId('transfer-content').waitFor();

      // 3. Sign out everywhere, then sign in with the passkey, without the IdP. The virtual
      // authenticator answers the page's autofill request as a person picking the passkey in the
      // username field's suggestions would.
      await autofill(true);
      await signOutEverywhere(page);
      await shows(page.getByTestId('signed-in'), 'Signed in as Alice Example.');
      expect(new URL(page.url()).origin).toBe(stack.site);
      await nav(page, 'Profile').click();
      await shows(page.getByTestId('profile-name'), 'Alice Example');
      await shows(page.getByTestId('session-acr'), /urn:latchkey:acr:mfa/);
      await shows(page.getByTestId('session-acr'), /passkey/);

      // Again with the button, in a browser without autofill. A passkey session has no IdP
      // session: sign-out comes straight back home.
      await autofill(false);
      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${stack.site}/`);
      await hydrated(page);
      await shows(page.getByTestId('session-status'), 'Signed out');
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await shows(page.getByTestId('signed-in'), 'Signed in as Alice Example.');

      // 4. Remove the passkey: signing in with it now fails, and says why, by autofill and button.
      await nav(page, 'Passkeys').click();
      await page.getByRole('button', { name: 'Remove' }).click();
      await shows(page.getByTestId('no-passkeys'), 'You have no passkeys yet.');
      await autofill(true);
      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${stack.site}/`);
      await hydrated(page);
      await shows(page.getByRole('alert'), /not registered here/);
      const refusals = page.getByRole('alert').filter({ hasText: /not registered here/ });
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await expect.poll(() => refusals.count()).toBe(2);
      await shows(page.getByTestId('session-status'), 'Signed out');
    });

    it('steps bob up on Transfer with a passkey, and a fresh browser cannot use that passkey', async () => {
      const first = await context.newPage();
      await withAuthenticator(first);
      const autofill = await autofillSwitch(first);
      await open(first, '/');
      await signIn(first, 'bob');
      await addPasskey(first);
      // Signed in again with the password only: Transfer offers the passkey, and opens here.
      await autofill(false);
      await signOutEverywhere(first);
      await signIn(first, 'bob');
      await nav(first, 'Transfer').click();
      await first.getByTestId('transfer-step-up').waitFor();
      await first.getByRole('button', { name: 'Use a passkey' }).click();
      await shows(first.getByTestId('transfer-content'), /with a passkey/);

      const other = await browser.newContext();
      other.setDefaultTimeout(10_000);
      try {
        const page = await other.newPage();
        await withAuthenticator(page);
        await open(page, '/');
        await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
        // Its authenticator holds no passkey of this site: the browser refuses, nobody signs in.
        await page
          .getByRole('button', { name: 'Sign in with a passkey' })
          .and(page.locator(':enabled'))
          .waitFor();
        const session = await page.evaluate(async () =>
          (await fetch('/auth/session', { headers: { accept: 'application/json' } })).json(),
        );
        expect(session).toEqual({ authenticated: false });
        await shows(page.getByTestId('session-status'), 'Signed out');
      } finally {
        await other.close();
      }
    });
  });
});
