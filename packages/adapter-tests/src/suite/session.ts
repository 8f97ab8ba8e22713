import { TestBrowser } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import { cookieHeader, grantCount, JSON_HEADERS, signedInBrowser } from '../fixtures';
import type { SuiteEnv } from './env';

/** Sessions: the session route, token refresh, timeouts and refused cookies. */
export function sessionTests(env: SuiteEnv): void {
  const refreshGrants = () => grantCount(env.idp, 'refresh_token');

  it('answers /auth/session with the session JSON, no-store and no tokens', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const session = await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS });
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
    const signedOut = await new TestBrowser().request(`${app.url}/auth/session`, {
      headers: JSON_HEADERS,
    });
    expect(signedOut.json()).toEqual({ authenticated: false });
  });

  // Fake clock: the app's time is moved past the access token's expiry.
  it('refreshes an expired access token, counted at the IdP', async () => {
    const { app, clock } = env;
    const { browser } = await signedInBrowser(app);
    const before = refreshGrants();
    const first = (await browser.request(`${app.url}/token`, { headers: JSON_HEADERS })).json<{
      token: string;
    }>().token;
    expect(refreshGrants()).toBe(before);
    clock.offset = 3601 * 1000;
    const second = await browser.request(`${app.url}/token`, { headers: JSON_HEADERS });
    expect(second.status).toBe(200);
    expect(second.json<{ token: string }>().token).not.toBe(first);
    expect(refreshGrants()).toBe(before + 1);
    // The refreshed tokens were stored: the next call needs no refresh.
    expect((await browser.request(`${app.url}/token`, { headers: JSON_HEADERS })).json()).toEqual(
      second.json(),
    );
    expect(refreshGrants()).toBe(before + 1);
  });

  // Fake clock: the app's time is moved past the access token's expiry.
  it('makes exactly one refresh grant for 20 concurrent requests on an expiring session', async () => {
    const { app, clock } = env;
    const { browser } = await signedInBrowser(app);
    clock.offset = 3601 * 1000;
    const before = refreshGrants();
    const cookie = await cookieHeader(browser, app.url);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${app.url}/token`, { headers: { ...JSON_HEADERS, cookie } }),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ token: string }>));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(bodies.map((b) => b.token)).size).toBe(1);
    expect(refreshGrants()).toBe(before + 1);
  });

  // Fake clock: the app's time is moved past the idle timeout, then past the absolute lifetime.
  it('ends an idle session and an old one (absolute lifetime) with session_expired', async () => {
    const { app, clock } = env;
    const { browser } = await signedInBrowser(app);
    clock.offset = 86_401 * 1000;
    const idle = await browser.request(`${app.url}/profile`, { headers: JSON_HEADERS });
    expect(idle.status).toBe(401);
    expect(idle.json()).toMatchObject({ error: 'session_expired' });

    clock.offset = 0;
    const active = await signedInBrowser(app);
    // Activity every 12 hours keeps it within the idle timeout, but not past 7 days.
    for (let hours = 12; hours < 7 * 24; hours += 12) {
      clock.offset = hours * 3600 * 1000;
      expect(
        (await active.browser.request(`${app.url}/profile`, { headers: JSON_HEADERS })).status,
      ).toBe(200);
    }
    clock.offset = (7 * 24 * 3600 + 1) * 1000;
    const old = await active.browser.request(`${app.url}/profile`, { headers: JSON_HEADERS });
    expect(old.status).toBe(401);
    expect(old.json()).toMatchObject({ error: 'session_expired' });
  });

  it('refuses a tampered, truncated or foreign-secret session cookie with session_invalid', async () => {
    const { app, otherSecretApp } = env;
    const { browser } = await signedInBrowser(app);
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
        headers: { ...JSON_HEADERS, cookie: `${session!.name}=${variant}` },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'session_invalid' });
      expect(response.headers.getSetCookie().some((l) => l.startsWith(`${session!.name}=;`))).toBe(
        true,
      );
    }
    const foreign = await fetch(`${otherSecretApp.url}/profile`, {
      headers: { ...JSON_HEADERS, cookie: `${session!.name}=${value}` },
    });
    expect(foreign.status).toBe(401);
    expect(await foreign.json()).toMatchObject({ error: 'session_invalid' });
  });
}
