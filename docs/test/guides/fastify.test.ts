// Fastify, followed as printed: the page's dev IdP command, its server.ts, its run command; then
// what the page says the reader sees.
import { signInAtDevIdp } from '@latchkey/dev-idp';
import { stopExamples, TestBrowser } from '@latchkey/test-utils';
import { afterEach, expect, it } from 'vitest';
import { signInFromHome, startGuide } from '../guide';

afterEach(stopExamples);

it('signs alice in from the home page, shows her profile and /admin, signs her out, and refuses /admin to bob', async () => {
  const { site, issuer } = await startGuide('fastify');
  const browser = new TestBrowser();
  const { home, login, landed: profile } = await signInFromHome(browser, site, 'alice');
  expect(home.body).toContain('Sign in');
  expect(login.url.startsWith(`${issuer}/`)).toBe(true);
  expect(profile.url).toBe(`${site}/profile`);
  expect(profile.json()).toMatchObject({
    user: { sub: 'usr_alice', name: 'Alice Example' },
    roles: ['admin', 'viewer'],
  });
  const admin = await browser.get(`${site}/admin`);
  expect(admin.status).toBe(200);
  expect(admin.json()).toEqual({ welcome: 'Alice Example' });

  const signedIn = await browser.get(`${site}/`);
  expect(signedIn.body).toContain('Signed in as Alice Example.');
  const confirm = await browser.submitForm(signedIn, {}, 'form[action="/auth/logout"]');
  expect(confirm.url.startsWith(`${issuer}/`)).toBe(true);
  const back = await browser.submitForm(confirm, { logout: 'yes' });
  expect(back.url).toBe(`${site}/`);
  expect(back.body).toContain('Sign in');
  // Signed out, /profile sends the browser to the IdP again, and a script gets 401 JSON.
  expect((await browser.get(`${site}/profile`)).url.startsWith(`${issuer}/`)).toBe(true);
  const script = await browser.request(`${site}/profile`, {
    headers: { accept: 'application/json' },
  });
  expect(script.status).toBe(401);
  expect(script.json()).toMatchObject({ error: 'unauthenticated' });

  // Bob is not an admin: a 403 page with the code forbidden.
  const bob = new TestBrowser();
  await signInAtDevIdp(bob, await bob.get(`${site}/auth/login?returnTo=/profile`), {
    username: 'bob',
    password: 'bob-password',
  });
  const refused = await bob.get(`${site}/admin`);
  expect(refused.status).toBe(403);
  expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
  expect(refused.body).toContain('forbidden');
}, 60_000);
