import { AuthProvider, type SessionResponse } from '@latchkey/react';
import { stopExamples, TestBrowser } from '@latchkey/test-utils';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, expect, it } from 'vitest';
import { ReportsMenu } from '../../examples/roles/ReportsMenu';
import { signInFromHome, startGuide } from '../guide';

afterEach(stopExamples);

/** What a page's `fetch` sends to its own origin. */
const FETCH = { accept: '*/*', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' };

/** `browser` (default a new one), signed in from the app's home page as `username`. */
async function signIn(
  site: string,
  username: string,
  browser = new TestBrowser(),
): Promise<TestBrowser> {
  const { landed: back } = await signInFromHome(browser, site, username);
  expect(back.url).toBe(`${site}/`);
  return browser;
}

const menu = (session: SessionResponse) =>
  renderToString(
    createElement(AuthProvider, { initialSession: session }, createElement(ReportsMenu)),
  );

it('lets alice (admin) into /admin and the export, and refuses bob (viewer) with 403', async () => {
  const { site } = await startGuide('roles');

  const alice = await signIn(site, 'alice');
  const aliceHome = await alice.get(`${site}/`);
  expect(aliceHome.body).toContain('Your roles: admin, viewer.');
  expect(aliceHome.body).toContain('href="/reports/export"');
  const admin = await alice.get(`${site}/admin`);
  expect(admin.status).toBe(200);
  expect(admin.body).toContain('Only admins see this page.');
  const csv = await alice.get(`${site}/reports/export`);
  expect(csv.status).toBe(200);
  expect(csv.body).toContain('quarter,total');
  const aliceSession = (await alice.request(`${site}/auth/session`, { headers: FETCH })).json();
  expect(aliceSession).toMatchObject({
    roles: ['admin', 'viewer'],
    permissions: ['reports:*', 'users:manage', 'reports:read'],
  });
  const aliceMenu = menu(aliceSession as SessionResponse);
  expect(aliceMenu).toContain('href="/reports/export"');
  expect(aliceMenu).toContain('href="/admin"');

  // Sign out (and confirm at the IdP), then sign in as bob in the same browser.
  const confirm = await alice.submitForm(aliceHome, {}, 'form[action="/auth/logout"]');
  const signedOut = await alice.submitForm(confirm, { logout: 'yes' });
  expect(signedOut.url).toBe(`${site}/`);
  expect(signedOut.body).toContain('Sign in');
  const bob = await signIn(site, 'bob', alice);
  const bobHome = await bob.get(`${site}/`);
  expect(bobHome.body).toContain('Your roles: viewer.');
  expect(bobHome.body).not.toContain('href="/reports/export"');
  expect((await bob.get(`${site}/reports`)).json()).toEqual({ reports: ['Q1', 'Q2'] });
  // A page navigation: latchkey's error page, status 403.
  const page = await bob.get(`${site}/admin`);
  expect(page.status).toBe(403);
  expect(page.url).toBe(`${site}/admin`);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.body).toContain('The role &#39;admin&#39; is required.');
  expect(page.body).toContain('<code>forbidden</code>');
  // A script's call: JSON, status 403.
  const api = await bob.request(`${site}/admin`, { headers: FETCH });
  expect(api.status).toBe(403);
  expect(api.json()).toEqual({ error: 'forbidden', message: "The role 'admin' is required." });
  const exported = await bob.request(`${site}/reports/export`, {
    headers: { accept: 'application/json' },
  });
  expect(exported.status).toBe(403);
  expect(exported.json()).toEqual({
    error: 'forbidden',
    message: "The permission 'reports:export' is required.",
  });
  const bobSession = (await bob.request(`${site}/auth/session`, { headers: FETCH })).json();
  expect(bobSession).toMatchObject({ roles: ['viewer'], permissions: ['reports:read'] });
  const bobMenu = menu(bobSession as SessionResponse);
  expect(bobMenu).toContain('href="/reports"');
  expect(bobMenu).not.toContain('href="/reports/export"');
  expect(bobMenu).not.toContain('href="/admin"');

  // Signed out, the same guard answers 401 to a script and sends a page to sign-in.
  const anonymous = new TestBrowser();
  expect((await anonymous.request(`${site}/admin`, { headers: FETCH })).status).toBe(401);
  const redirected = await anonymous.get(`${site}/admin`);
  expect(redirected.redirects[0]).toBe(`${site}/admin`);
  expect(redirected.redirects[1]).toBe(`${site}/auth/login?returnTo=%2Fadmin`);
}, 60_000);
