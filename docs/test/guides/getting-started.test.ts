import { shellEnv, startProcess, stopExamples, TestBrowser } from '@latchkey/test-utils';
import { afterEach, expect, it } from 'vitest';
import { signInFromHome, startGuide } from '../guide';

afterEach(stopExamples);

it('signs alice in from the home page, shows her profile, and signs her out', async () => {
  const { site, issuer } = await startGuide('getting-started');
  const browser = new TestBrowser();
  const { home, login, landed: profile } = await signInFromHome(browser, site, 'alice');
  expect(home.body).toContain('Sign in');
  expect(login.url.startsWith(`${issuer}/`)).toBe(true);
  expect(profile.url).toBe(`${site}/profile`);
  expect(profile.json()).toMatchObject({
    user: { sub: 'usr_alice', name: 'Alice Example' },
    roles: ['admin', 'viewer'],
  });

  const signedIn = await browser.get(`${site}/`);
  expect(signedIn.body).toContain('Signed in as Alice Example.');
  const confirm = await browser.submitForm(signedIn, {}, 'form[action="/auth/logout"]');
  expect(confirm.url.startsWith(`${issuer}/`)).toBe(true);
  const back = await browser.submitForm(confirm, { logout: 'yes' });
  expect(back.url).toBe(`${site}/`);
  expect(back.body).toContain('Sign in');
  // Signed out, /profile sends the browser to the IdP again.
  expect((await browser.get(`${site}/profile`)).url.startsWith(`${issuer}/`)).toBe(true);
});

it('does not start in production without SESSION_SECRET', async () => {
  const { directory } = await startGuide('getting-started');
  const server = startProcess('npx', ['tsx', 'server.ts'], {
    cwd: directory,
    env: shellEnv({ NODE_ENV: 'production', SESSION_SECRET: undefined }),
  });
  const end = await server.exited();
  expect(end.code).not.toBe(0);
  expect(server.stderr()).toContain('SESSION_SECRET is not set.');
}, 60_000);
