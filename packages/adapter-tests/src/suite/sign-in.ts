import { signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import { alice, JSON_HEADERS, signedInBrowser } from '../fixtures';
import type { SuiteEnv } from './env';

/** Sign-in: the login and callback routes, guards on pages and APIs, returnTo. */
export function signInTests(env: SuiteEnv): void {
  it('signs alice in through the IdP pages and shows her profile', async () => {
    const { app, idp } = env;
    const browser = new TestBrowser();
    const start = await browser.get(`${app.url}/profile`);
    expect(new URL(start.url).origin).toBe(idp.issuer);
    const landed = await signInAtDevIdp(browser, start, alice);
    expect(landed.status).toBe(200);
    expect(landed.url).toBe(`${app.url}/profile`);
    expect(landed.json()).toMatchObject({
      user: {
        sub: expect.any(String),
        name: expect.stringContaining('Alice'),
        email: expect.stringContaining('alice'),
      },
      roles: ['admin', 'viewer'],
    });
  });

  it('redirects page requests to sign-in and answers API requests with 401 JSON', async () => {
    const { app } = env;
    const page = await new TestBrowser().request(`${app.url}/profile?tab=1`, {
      headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' },
    });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fprofile%3Ftab%3D1');
    const api = await new TestBrowser().request(`${app.url}/profile`, { headers: JSON_HEADERS });
    expect(api.status).toBe(401);
    expect(api.json()).toMatchObject({ error: 'unauthenticated' });
  });

  it('rejects callbacks with a missing or unknown state, and a replayed callback', async () => {
    const { app } = env;
    const browser = new TestBrowser();
    const missing = await browser.request(`${app.url}/auth/callback?code=abc`, {
      headers: JSON_HEADERS,
    });
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'state_missing' });
    const unknown = await browser.request(
      `${app.url}/auth/callback?code=abc&state=${'s'.repeat(43)}`,
      { headers: JSON_HEADERS },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.json()).toMatchObject({ error: 'state_mismatch' });

    const login = await browser.request(`${app.url}/auth/login?returnTo=/profile`);
    const transactionCookie = login.setCookies[0]!.split(';')[0]!;
    const idpPage = await browser.get(login.headers.get('location')!);
    const landed = await signInAtDevIdp(browser, idpPage, alice);
    expect(landed.url).toBe(`${app.url}/profile`);
    const callbackUrl = landed.redirects.find((url) => url.startsWith(`${app.url}/auth/callback`))!;
    const replay = await new TestBrowser().request(callbackUrl, {
      headers: { ...JSON_HEADERS, cookie: transactionCookie },
    });
    expect(replay.status).toBe(400);
    expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect(replay.setCookies.some((line) => line.startsWith('lk_session'))).toBe(false);
  });

  it.each([
    '//evil.example',
    '/\\evil.example',
    'https://evil.example/',
    '/%2F%2Fevil.example',
    '%2F%2Fevil.example',
  ])('falls back to / for the open-redirect attempt %s', async (returnTo) => {
    const { app } = env;
    const { landed } = await signedInBrowser(app, { returnTo });
    expect(landed.url).toBe(`${app.url}/`);
  });

  it('completes two sign-ins started in two tabs', async () => {
    const { app } = env;
    const browser = new TestBrowser();
    const tabA = await browser.request(`${app.url}/auth/login?returnTo=/profile`);
    const tabB = await browser.request(`${app.url}/auth/login?returnTo=/`);
    const landedA = await signInAtDevIdp(
      browser,
      await browser.get(tabA.headers.get('location')!),
      alice,
    );
    expect(landedA.url).toBe(`${app.url}/profile`);
    const landedB = await signInAtDevIdp(
      browser,
      await browser.get(tabB.headers.get('location')!),
      alice,
    );
    expect(landedB.url).toBe(`${app.url}/`);
    expect(landedB.json()).toEqual({ signedIn: true });
  });
}
