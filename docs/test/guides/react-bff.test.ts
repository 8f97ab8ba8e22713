// React SPA with a backend-for-frontend, followed as printed: the page's dev IdP command, its
// api.ts and server.ts with their run commands; then what the page says the reader sees. The
// React app is rendered on the server with the session the BFF answered (the reader's browser
// runs it from a Vite build, which the docs do not install).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import { AuthProvider, type SessionResponse } from '@latchkey/react';
import { stopExamples, TestBrowser } from '@latchkey/test-utils';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, expect, it } from 'vitest';
import { App } from '../../examples/react-bff/App';
import { guideExample, startGuide } from '../guide';

afterEach(stopExamples);

/** Anything shaped like a JWT or JWE: base64url JSON header, then dot-separated parts. */
const JOSE = /eyJ[\w-]*\.[\w-]*\./;

/** What a page's `fetch` sends to its own origin. */
const FETCH = { accept: '*/*', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' };

/** The page's React app, rendered as the server would with `initialSession`. */
const render = (session: SessionResponse) =>
  renderToString(createElement(AuthProvider, { initialSession: session }, createElement(App)));

it('signs alice in through the BFF, whose session JSON and API answers hold no token', async () => {
  // The page's run commands in order: the API, then the BFF.
  expect(guideExample('react-bff').runCommands).toEqual(['npx tsx api.ts', 'npx tsx server.ts']);
  const { site, issuer, api, directory } = await startGuide('react-bff', {
    probe: '/auth/session',
  });
  // What `npx vite build` would have written.
  mkdirSync(join(directory, 'dist'));
  writeFileSync(join(directory, 'dist', 'index.html'), '<div id="root"></div>\n');

  const browser = new TestBrowser();
  const signedOut = await browser.request(`${site}/auth/session`, { headers: FETCH });
  expect(signedOut.json()).toEqual({ authenticated: false });
  expect(render(signedOut.json())).toContain('Sign in');
  // Signed out, the BFF forwards nothing.
  const refused = await browser.request(`${site}/api/me`, { headers: FETCH });
  expect(refused.status).toBe(401);
  expect(refused.json()).toMatchObject({ error: 'unauthenticated' });

  // signIn() navigates to /auth/login?returnTo=<this page>.
  const login = await browser.get(`${site}/auth/login?returnTo=/`);
  expect(login.url.startsWith(`${issuer}/`)).toBe(true);
  const home = await signInAtDevIdp(browser, login, {
    username: 'alice',
    password: 'alice-password',
  });
  expect(home.url).toBe(`${site}/`);
  expect(home.status).toBe(200);
  expect(home.body).toContain('<div id="root">');

  const session = await browser.request(`${site}/auth/session`, { headers: FETCH });
  expect(session.headers.get('cache-control')).toBe('no-store');
  expect(session.body).not.toMatch(JOSE);
  const json = session.json<SessionResponse & Record<string, unknown>>();
  expect(Object.keys(json).sort()).toEqual([
    'acr',
    'amr',
    'authTime',
    'authenticated',
    'expiresAt',
    'permissions',
    'roles',
    'user',
  ]);
  expect(json).toMatchObject({
    authenticated: true,
    user: { sub: 'usr_alice', name: 'Alice Example', email: 'alice@example.com' },
    roles: ['admin', 'viewer'],
    acr: 'urn:latchkey:acr:pwd',
  });
  // The session cookie is HttpOnly: the page's scripts cannot read it.
  const cookies = await browser.jar.getCookies(site);
  expect(cookies.map((cookie) => [cookie.key, cookie.httpOnly])).toContainEqual([
    'lk_session',
    true,
  ]);

  // The React app shows Alice, from that JSON.
  const page = render(json);
  expect(page).toContain('Signed in as Alice Example.');
  expect(page).toContain('Call the API');

  // "Call the API": through the BFF, which adds the access token.
  const me = await browser.request(`${site}/api/me`, { headers: FETCH });
  expect(me.status).toBe(200);
  expect(me.json()).toEqual({
    sub: 'usr_alice',
    roles: ['admin', 'viewer'],
    acr: 'urn:latchkey:acr:pwd',
  });
  expect(me.body).not.toMatch(JOSE);
  expect(me.headers.get('cache-control')).toBe('private, no-store');
  expect(me.headers.get('x-content-type-options')).toBe('nosniff');
  // The API itself wants a token: the browser's cookie alone gets nothing there.
  const direct = await browser.request(`${api}/api/me`, { headers: FETCH });
  expect(direct.status).toBe(401);

  // signOut(): POST /auth/logout asking for JSON; the IdP URL it answers holds no ID token.
  const signOut = await browser.request(`${site}/auth/logout`, {
    method: 'POST',
    headers: { ...FETCH, accept: 'application/json', origin: site },
  });
  expect(signOut.status).toBe(200);
  const { redirectTo } = signOut.json<{ redirectTo: string }>();
  expect(redirectTo.startsWith(`${issuer}/`)).toBe(true);
  expect(redirectTo).not.toMatch(JOSE);
  expect(new URL(redirectTo).searchParams.has('id_token_hint')).toBe(false);
  const confirm = await browser.get(redirectTo);
  expect(confirm.url.startsWith(`${issuer}/`)).toBe(true);
  const back = await browser.submitForm(confirm, { logout: 'yes' });
  expect(back.url).toBe(`${site}/`);
  const after = await browser.request(`${site}/auth/session`, { headers: FETCH });
  expect(after.json()).toEqual({ authenticated: false });
}, 60_000);
