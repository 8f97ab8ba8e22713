import { TestBrowser } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import { cookieHeader, JSON_HEADERS, postSignOut, signedInBrowser } from '../fixtures';
import type { SuiteEnv } from './env';

/** What a browser sends when a page's form posts (a top-level navigation). */
const PAGE_POST_HEADERS = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'content-type': 'application/x-www-form-urlencoded',
};

/** Sign-out: RP-initiated logout, its CSRF defence and the HTML form. */
export function signOutTests(env: SuiteEnv): void {
  it('signs out: clears the session, reaches the IdP end-session endpoint, and the old cookie is dead', async () => {
    const { app, idp } = env;
    const { browser } = await signedInBrowser(app);
    const cookie = await cookieHeader(browser, app.url);
    const { logout, endSession } = await postSignOut(browser, app, idp.issuer);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    // The ID token says who signs out: no logout_hint beside it.
    expect(endSession.searchParams.has('logout_hint')).toBe(false);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(
      `${app.url}/auth/signed-out`,
    );
    expect(endSession.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(logout.setCookies.some((line) => /^lk_session=; .*Max-Age=0/.test(line))).toBe(true);
    expect(logout.setCookies).toContain(
      `lk_logout=${endSession.searchParams.get('state')}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`,
    );

    const session = await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS });
    expect(session.json()).toEqual({ authenticated: false });
    // A copy of the cookie taken before sign-out is refused: the sessionId is revoked.
    const replay = await new TestBrowser().request(`${app.url}/profile`, {
      headers: { ...JSON_HEADERS, cookie },
    });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'session_revoked' });
  });

  it('answers sign-out with JSON { redirectTo } for fetch callers', async () => {
    const { app, idp } = env;
    const { browser } = await signedInBrowser(app);
    const logout = await browser.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: app.url, accept: 'application/json' },
    });
    expect(logout.status).toBe(200);
    expect(new URL(logout.json<{ redirectTo: string }>().redirectTo).origin).toBe(idp.issuer);
  });

  it('refuses sign-out without a same-origin Origin', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    for (const headers of [{}, { origin: 'https://evil.example' }, { origin: 'null' }]) {
      const response = await browser.request(`${app.url}/auth/logout`, {
        method: 'POST',
        headers: { ...headers, ...JSON_HEADERS },
      });
      expect(response.status).toBe(403);
      expect(response.json()).toMatchObject({ error: 'origin_mismatch' });
    }
    expect(
      (await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS })).json(),
    ).toMatchObject({
      authenticated: true,
    });
  });

  it('answers the form post of a sign-out button with a 303 to the IdP', async () => {
    const { app, idp } = env;
    const { browser } = await signedInBrowser(app);
    const logout = await browser.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { ...PAGE_POST_HEADERS, origin: app.url, 'sec-fetch-site': 'same-origin' },
      body: 'confirm=yes',
    });
    expect(logout.status).toBe(303);
    expect(new URL(logout.headers.get('location')!).origin).toBe(idp.issuer);
    expect(logout.setCookies.some((line) => /^lk_session=; .*Max-Age=0/.test(line))).toBe(true);
  });

  it('signs out through the form of the sign-out page and the IdP, back to the home page', async () => {
    const { app, idp } = env;
    const { browser } = await signedInBrowser(app);
    const confirm = await browser.get(`${app.url}/auth/logout`);
    expect(confirm.status).toBe(200);
    const atIdp = await browser.submitForm(confirm);
    expect(atIdp.redirects[0]).toBe(`${app.url}/auth/logout`);
    expect(new URL(atIdp.url).origin).toBe(idp.issuer);
    const home = await browser.submitForm(atIdp);
    expect(home.redirects).toEqual([
      expect.stringMatching(new RegExp(`^${idp.issuer}/`)),
      expect.stringMatching(new RegExp(`^${app.url}/auth/signed-out\\?state=[\\w-]{43}$`)),
    ]);
    expect(home.url).toBe(`${app.url}/`);
    expect(home.json()).toEqual({ signedIn: false });
    // The sign-out's state was used up: the same return again is refused.
    const again = await browser.get(home.redirects[1]!);
    expect(again.status).toBe(400);
    expect(again.body).toContain('state_mismatch');
  });

  it("refuses a return from the IdP's sign-out that does not carry this browser's state", async () => {
    const { app, idp } = env;
    const { browser } = await signedInBrowser(app);
    const { endSession } = await postSignOut(browser, app, idp.issuer);
    const state = endSession.searchParams.get('state')!;
    for (const query of ['', '?state=forged', `?state=${state}&state=${state}`]) {
      const back = await browser.get(`${app.url}/auth/signed-out${query}`);
      expect(back.status).toBe(400);
      expect(back.body).toContain('state_mismatch');
    }
    // Another browser cannot use this browser's state.
    const other = await new TestBrowser().get(`${app.url}/auth/signed-out?state=${state}`);
    expect(other.status).toBe(400);
    // This browser's own state still works after the refusals.
    const back = await browser.get(`${app.url}/auth/signed-out?state=${state}`);
    expect(back.url).toBe(`${app.url}/`);
  });

  it.each([
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=latchkey',
    'text/plain',
  ])('refuses a cross-site form post (%s) to sign-out with 403 origin_mismatch', async (type) => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const body = type.startsWith('multipart/')
      ? '--latchkey\r\nContent-Disposition: form-data; name="confirm"\r\n\r\nyes\r\n--latchkey--\r\n'
      : 'confirm=yes';
    const response = await browser.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: {
        ...PAGE_POST_HEADERS,
        'content-type': type,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body,
    });
    expect(response.status).toBe(403);
    expect(response.body).toContain('origin_mismatch');
    expect(
      (await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS })).json(),
    ).toMatchObject({ authenticated: true });
  });
}
