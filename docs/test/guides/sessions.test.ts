// Sessions: cookie or Redis, followed as printed: the page's dev IdP command, its server.ts on a
// private Redis, its run command, and a second instance of the same file on another port as the
// page starts it (PORT set). Then what the page says the reader sees on both instances.
import { signInAtDevIdp } from '@latchkey/dev-idp';
import {
  freePort,
  type RedisTestServer,
  shellEnv,
  startProcess,
  startRedisServer,
  stopExamples,
  TestBrowser,
  type TestProcess,
} from '@latchkey/test-utils';
import { afterAll, afterEach, expect, it } from 'vitest';
import { startGuide } from '../guide';

let redis: RedisTestServer | undefined;
const secondInstances: TestProcess[] = [];

afterEach(() => {
  for (const instance of secondInstances.splice(0)) instance.killGroup();
  stopExamples();
});
afterAll(async () => {
  await redis?.stop();
});

it('shares a Redis session between two instances, and a sign-out on one ends it on both', async (context) => {
  redis = await startRedisServer();
  if (!redis) {
    context.skip();
    return;
  }
  const env = { REDIS_URL: redis.url, PORT: undefined };
  const { site, issuer, directory } = await startGuide('sessions', { env });

  // The page's second instance: the same server.ts, with PORT set.
  const portB = await freePort();
  const siteB = `http://localhost:${portB}`;
  const instanceB = startProcess('npx', ['tsx', 'server.ts'], {
    cwd: directory,
    env: shellEnv({ REDIS_URL: redis.url, PORT: String(portB) }),
  });
  secondInstances.push(instanceB);
  await instanceB.waitForOutput(new RegExp(`Open ${siteB}`));

  const browser = new TestBrowser();
  const home = await browser.get(`${site}/`);
  expect(home.body).toContain(`Served by the instance on port ${new URL(site).port}.`);
  const before = Math.floor(Date.now() / 1000);
  const login = await browser.get(`${site}/auth/login`);
  expect(login.url.startsWith(`${issuer}/`)).toBe(true);
  const back = await signInAtDevIdp(browser, login, {
    username: 'alice',
    password: 'alice-password',
  });
  const after = Math.ceil(Date.now() / 1000);
  expect(back.url).toBe(`${site}/`);
  expect(back.body).toContain('Signed in as Alice Example.');

  // The cookie holds a random session id, nothing else.
  const cookie = (await browser.cookies(site)).find(({ name }) => name === 'lk_session');
  expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);

  // GET /auth/session: the fields the page lists, no token, not cached; ends 8 hours after sign-in.
  const session = await browser.request(`${site}/auth/session`);
  expect(session.headers.get('cache-control')).toBe('no-store');
  const json = session.json<Record<string, unknown>>();
  expect(Object.keys(json).sort()).toEqual(
    ['acr', 'amr', 'authTime', 'authenticated', 'expiresAt', 'permissions', 'roles', 'user'].sort(),
  );
  expect(json).toMatchObject({
    authenticated: true,
    user: { sub: 'usr_alice', name: 'Alice Example', email: 'alice@example.com' },
    roles: ['admin', 'viewer'],
    permissions: [],
    acr: 'urn:latchkey:acr:pwd',
    amr: ['pwd'],
  });
  expect(json.expiresAt).toBeGreaterThanOrEqual(before + 8 * 60 * 60 - 1);
  expect(json.expiresAt).toBeLessThanOrEqual(after + 8 * 60 * 60);

  // The other instance finds the same session in Redis.
  const homeB = await browser.get(`${siteB}/`);
  expect(homeB.body).toContain(`Served by the instance on port ${portB}.`);
  expect(homeB.body).toContain('Signed in as Alice Example.');
  const copied = { headers: { cookie: `lk_session=${cookie?.value}` } };
  expect(await (await fetch(`${siteB}/auth/session`, copied)).json()).toMatchObject({
    authenticated: true,
    user: { sub: 'usr_alice' },
  });

  // Sign out on the first instance (the app's form, then the IdP's confirmation)...
  const signedIn = await browser.get(`${site}/`);
  const confirm = await browser.submitForm(signedIn, {}, 'form[action="/auth/logout"]');
  expect(confirm.url.startsWith(`${issuer}/`)).toBe(true);
  const signedOut = await browser.submitForm(confirm, { logout: 'yes' });
  expect(signedOut.url).toBe(`${site}/`);
  expect(signedOut.body).toContain('Sign in');

  // ...and the copied cookie is dead on the second one too.
  expect(await (await fetch(`${siteB}/auth/session`, copied)).json()).toEqual({
    authenticated: false,
  });
  expect((await browser.get(`${siteB}/`)).body).toContain('Sign in');
}, 60_000);
