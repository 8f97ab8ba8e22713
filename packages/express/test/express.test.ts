import { type DevIdp, signInAtDevIdp, startDevIdp } from '@latchkey/dev-idp';
import { freePort, TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientFor, expressVersions, startApp, type TestApp } from './app';

const alice = { username: 'alice', password: 'alice-password' };

describe.each(expressVersions)('%s adapter against the dev IdP', (_name, expressModule) => {
  let idp: DevIdp;
  let app: TestApp;
  let otherSecretApp: TestApp;
  // A fake clock for expiry tests: the app's time runs `offset` ms ahead of the real one.
  let offset = 0;

  beforeAll(async () => {
    const idpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    app = await startApp(expressModule, { issuer, now: () => Date.now() + offset });
    otherSecretApp = await startApp(expressModule, {
      issuer,
      secrets: ['a-different-secret-a-different-secret-1'],
    });
    idp = await startDevIdp({
      port: idpPort,
      clients: [
        {
          ...clientFor(app.url),
          redirect_uris: [`${app.url}/auth/callback`, `${otherSecretApp.url}/auth/callback`],
        },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all([app?.stop(), otherSecretApp?.stop()]);
    await idp?.stop();
  });
  beforeEach(() => {
    offset = 0;
  });

  const json = { accept: 'application/json' };

  async function signedInBrowser(returnTo = '/profile') {
    const browser = new TestBrowser();
    const loginPage = await browser.get(
      `${app.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
    );
    const landed = await signInAtDevIdp(browser, loginPage, alice);
    return { browser, landed };
  }

  const refreshGrants = () =>
    idp.grants.filter((grant) => grant.grantType === 'refresh_token').length;

  it('signs alice in through the IdP pages and shows her profile', async () => {
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

  it('answers /auth/session with the session JSON, no-store and no tokens', async () => {
    const { browser } = await signedInBrowser();
    const session = await browser.request(`${app.url}/auth/session`, { headers: json });
    expect(session.status).toBe(200);
    expect(session.headers.get('cache-control')).toBe('no-store');
    expect(session.json()).toMatchObject({
      authenticated: true,
      user: { name: expect.stringContaining('Alice') },
      roles: ['admin', 'viewer'],
      acr: 'urn:latchkey:acr:pwd',
      amr: ['pwd'],
      authTime: expect.any(Number),
      expiresAt: expect.any(Number),
    });
    expect(session.body).not.toMatch(/eyJ|access_token|refresh_token|id_token/);
    const signedOut = await new TestBrowser().request(`${app.url}/auth/session`, { headers: json });
    expect(signedOut.json()).toEqual({ authenticated: false });
  });

  it('signs out: clears the session, reaches the IdP end-session endpoint, and the old cookie is dead', async () => {
    const { browser } = await signedInBrowser();
    const cookie = (await browser.cookies(app.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const logout = await browser.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: app.url },
    });
    expect(logout.status).toBe(303);
    const endSession = new URL(logout.headers.get('location')!);
    expect(endSession.origin).toBe(idp.issuer);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${app.url}/`);
    expect(logout.setCookies.some((line) => /^lk_session=; .*Max-Age=0/.test(line))).toBe(true);

    const session = await browser.request(`${app.url}/auth/session`, { headers: json });
    expect(session.json()).toEqual({ authenticated: false });
    // A copy of the cookie taken before sign-out is refused: the sessionId is revoked.
    const replay = await new TestBrowser().request(`${app.url}/profile`, {
      headers: { ...json, cookie },
    });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'session_revoked' });
  });

  it('answers sign-out with JSON { redirectTo } for fetch callers', async () => {
    const { browser } = await signedInBrowser();
    const logout = await browser.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: app.url, accept: 'application/json' },
    });
    expect(logout.status).toBe(200);
    expect(new URL(logout.json<{ redirectTo: string }>().redirectTo).origin).toBe(idp.issuer);
  });

  it('refuses sign-out without a same-origin Origin', async () => {
    const { browser } = await signedInBrowser();
    for (const headers of [{}, { origin: 'https://evil.example' }, { origin: 'null' }]) {
      const response = await browser.request(`${app.url}/auth/logout`, {
        method: 'POST',
        headers: { ...headers, ...json },
      });
      expect(response.status).toBe(403);
      expect(response.json()).toMatchObject({ error: 'origin_mismatch' });
    }
    expect(
      (await browser.request(`${app.url}/auth/session`, { headers: json })).json(),
    ).toMatchObject({
      authenticated: true,
    });
  });

  it('refreshes an expired access token, counted at the IdP', async () => {
    const { browser } = await signedInBrowser();
    const before = refreshGrants();
    const first = (await browser.request(`${app.url}/token`, { headers: json })).json<{
      token: string;
    }>().token;
    expect(refreshGrants()).toBe(before);
    offset = 3601 * 1000;
    const second = await browser.request(`${app.url}/token`, { headers: json });
    expect(second.status).toBe(200);
    expect(second.json<{ token: string }>().token).not.toBe(first);
    expect(refreshGrants()).toBe(before + 1);
    // The refreshed tokens were stored: the next call needs no refresh.
    expect((await browser.request(`${app.url}/token`, { headers: json })).json()).toEqual(
      second.json(),
    );
    expect(refreshGrants()).toBe(before + 1);
  });

  it('makes exactly one refresh grant for 20 concurrent requests on an expiring session', async () => {
    const { browser } = await signedInBrowser();
    offset = 3601 * 1000;
    const before = refreshGrants();
    const cookie = (await browser.cookies(app.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${app.url}/token`, { headers: { ...json, cookie } })),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ token: string }>));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(bodies.map((b) => b.token)).size).toBe(1);
    expect(refreshGrants()).toBe(before + 1);
  });

  it('ends an idle session and an old one (absolute lifetime) with session_expired', async () => {
    const { browser } = await signedInBrowser();
    offset = 86_401 * 1000;
    const idle = await browser.request(`${app.url}/profile`, { headers: json });
    expect(idle.status).toBe(401);
    expect(idle.json()).toMatchObject({ error: 'session_expired' });

    offset = 0;
    const active = await signedInBrowser();
    // Activity every 12 hours keeps it within the idle timeout, but not past 7 days.
    for (let hours = 12; hours < 7 * 24; hours += 12) {
      offset = hours * 3600 * 1000;
      expect((await active.browser.request(`${app.url}/profile`, { headers: json })).status).toBe(
        200,
      );
    }
    offset = (7 * 24 * 3600 + 1) * 1000;
    const old = await active.browser.request(`${app.url}/profile`, { headers: json });
    expect(old.status).toBe(401);
    expect(old.json()).toMatchObject({ error: 'session_expired' });
  });

  it('refuses a tampered, truncated or foreign-secret session cookie with session_invalid', async () => {
    const { browser } = await signedInBrowser();
    const [session] = (await browser.cookies(app.url)).filter((c) =>
      c.name.startsWith('lk_session'),
    );
    const value = session!.value;
    const variants = [
      `${value.slice(0, 60)}${value[60] === 'A' ? 'B' : 'A'}${value.slice(61)}`,
      value.slice(0, value.length - 20),
    ];
    for (const variant of variants) {
      const response = await fetch(`${app.url}/profile`, {
        headers: { ...json, cookie: `${session!.name}=${variant}` },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'session_invalid' });
      expect(response.headers.getSetCookie().some((l) => l.startsWith(`${session!.name}=;`))).toBe(
        true,
      );
    }
    const foreign = await fetch(`${otherSecretApp.url}/profile`, {
      headers: { ...json, cookie: `${session!.name}=${value}` },
    });
    expect(foreign.status).toBe(401);
    expect(await foreign.json()).toMatchObject({ error: 'session_invalid' });
  });

  it('redirects page requests to sign-in and answers API requests with 401 JSON', async () => {
    const page = await new TestBrowser().request(`${app.url}/profile?tab=1`, {
      headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' },
    });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fprofile%3Ftab%3D1');
    const api = await new TestBrowser().request(`${app.url}/profile`, { headers: json });
    expect(api.status).toBe(401);
    expect(api.json()).toMatchObject({ error: 'unauthenticated' });
  });

  it('rejects callbacks with a missing or unknown state, and a replayed callback', async () => {
    const browser = new TestBrowser();
    const missing = await browser.request(`${app.url}/auth/callback?code=abc`, { headers: json });
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'state_missing' });
    const unknown = await browser.request(
      `${app.url}/auth/callback?code=abc&state=${'s'.repeat(43)}`,
      { headers: json },
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
      headers: { ...json, cookie: transactionCookie },
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
    const { landed } = await signedInBrowser(returnTo);
    expect(landed.url).toBe(`${app.url}/`);
  });

  it('completes two sign-ins started in two tabs', async () => {
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
});

describe.each(expressVersions)('%s adapter while the IdP is down', (_name, expressModule) => {
  it('starts, serves public pages, answers idp_unreachable, and recovers when the IdP is back', async () => {
    const idpPort = await freePort();
    const app = await startApp(expressModule, {
      issuer: `http://127.0.0.1:${idpPort}`,
      idpTimeout: 1000,
    });
    let idp: DevIdp | undefined;
    try {
      expect((await fetch(`${app.url}/`)).status).toBe(200);
      const down = await fetch(`${app.url}/auth/login`, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
      });
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: 'idp_unreachable' });
      idp = await startDevIdp({ port: idpPort, clients: [clientFor(app.url)] });
      const browser = new TestBrowser();
      const landed = await signInAtDevIdp(
        browser,
        await browser.get(`${app.url}/auth/login?returnTo=/profile`),
        alice,
      );
      expect(landed.status).toBe(200);
      expect(landed.url).toBe(`${app.url}/profile`);
    } finally {
      await app.stop();
      await idp?.stop();
    }
  });
});
