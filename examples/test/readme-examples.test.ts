import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import {
  documentedExample,
  type Page,
  type RedisTestServer,
  SoftwareAuthenticator,
  shellEnv,
  startExample,
  startRedisServer,
  stopExamples,
  TestBrowser,
} from '@latchkey/test-utils';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = join(here, '..');
/** The packages the READMEs install: this package's node_modules (the workspace builds, express, fastify, tsx). */
const nodeModules = join(here, 'node_modules');

afterEach(stopExamples);

/** The sign-out form on `/` (the adapter examples), else latchkey's own page at GET /auth/logout. */
async function signOutForm(browser: TestBrowser, site: string): Promise<Page> {
  const home = await browser.get(`${site}/`);
  if (home.body.includes('action="/auth/logout"')) return home;
  return browser.get(`${site}/auth/logout`);
}

const README_EXAMPLES = [
  { pkg: 'core', redis: false },
  { pkg: 'express', redis: false },
  { pkg: 'fastify', redis: false },
  { pkg: 'redis', redis: true },
] as const;

/** A README's example, read from the package's README. */
const exampleOf = (pkg: string) =>
  documentedExample(readFileSync(join(repo, 'packages', pkg, 'README.md'), 'utf8'));

describe('README examples, run as printed against the dev IdP started as printed', () => {
  let redis: RedisTestServer | undefined;
  let redisTried = false;
  afterAll(async () => {
    await redis?.stop();
  });

  for (const { pkg, redis: needsRedis } of README_EXAMPLES) {
    it(`@latchkey/${pkg}: signs alice in and out`, async (context) => {
      const example = exampleOf(pkg);
      expect(example.runCommands).toHaveLength(1);
      const env = shellEnv();
      if (needsRedis) {
        if (!redisTried) {
          redisTried = true;
          redis = await startRedisServer();
        }
        if (!redis) {
          context.skip();
          return;
        }
        // The example reads REDIS_URL: a private Redis, so that its keys land nowhere shared.
        env.REDIS_URL = redis.url;
      }
      const { site, issuer } = await startExample(example, example.runCommands[0]!, {
        nodeModules,
        env,
        probe: '/profile',
      });
      if (example.files['server.ts']?.includes("'/healthz'")) {
        // The README says the health check answers 200 once Redis is connected.
        expect((await fetch(`${site}/healthz`)).status).toBe(200);
      }

      const browser = new TestBrowser();
      const login = await browser.get(`${site}/auth/login?returnTo=/profile`);
      expect(login.url.startsWith(`${issuer}/`)).toBe(true);
      const profile = await signInAtDevIdp(browser, login, {
        username: 'alice',
        password: 'alice-password',
      });
      expect(profile.url).toBe(`${site}/profile`);
      expect(profile.status).toBe(200);
      expect(profile.body).toContain('Alice Example');
      const session = await browser.request(`${site}/auth/session`);
      expect(session.json()).toMatchObject({ authenticated: true, user: { sub: 'usr_alice' } });

      // Sign out: the app's form, then the IdP's confirmation; the IdP sends the user back to the
      // app's home page (the post-logout redirect URI the CLI registered by default).
      const form = await signOutForm(browser, site);
      const confirm = await browser.submitForm(form, {}, 'form[action="/auth/logout"]');
      expect(confirm.url.startsWith(`${issuer}/`)).toBe(true);
      expect(confirm.status).toBe(200);
      const back = await browser.submitForm(confirm, { logout: 'yes' });
      expect([...back.redirects, back.url]).toContain(`${site}/`);
      expect(back.status).toBe(200);
      const after = await browser.request(`${site}/auth/session`);
      expect(after.json()).toEqual({ authenticated: false });
    });
  }

  const passkeys = exampleOf('passkeys');
  it('@latchkey/passkeys: comes for Express and for Fastify', () => {
    expect(passkeys.runCommands).toEqual(['npx tsx express.ts', 'npx tsx fastify.ts']);
  });
  for (const runCommand of passkeys.runCommands) {
    it(`@latchkey/passkeys (${runCommand}): registers a passkey, signs in and steps up with it`, async () => {
      const { site } = await startExample(passkeys, runCommand, {
        nodeModules,
        env: shellEnv(),
        probe: '/profile',
      });
      // The routes as the browser helpers call them: same origin, JSON.
      const call = (browser: TestBrowser, path: string, body?: unknown) =>
        browser.request(`${site}/auth/passkeys${path}`, {
          method: 'POST',
          headers: { origin: site, accept: 'application/json', 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const device = new SoftwareAuthenticator({ origin: site });

      // Adding a passkey needs a recent step-up: alice signs in with the dev IdP's one-time code.
      const alice = new TestBrowser();
      const stepUp = await alice.get(
        `${site}/auth/step-up?acr=urn:latchkey:acr:mfa&returnTo=/profile`,
      );
      await signInAtDevIdp(alice, stepUp, { username: 'alice', password: 'alice-password' });
      const creation = (await call(alice, '/register/options')).json();
      const registered = await call(alice, '/register/verify', device.register(creation as never));
      expect(registered.status).toBe(201);

      const fresh = new TestBrowser();
      const request = (await call(fresh, '/authenticate/options')).json();
      const signedIn = await call(
        fresh,
        '/authenticate/verify',
        device.authenticate(request as never),
      );
      expect(signedIn.status).toBe(200);
      const profile = await fresh.request(`${site}/profile`);
      expect(profile.json()).toMatchObject({
        user: { sub: 'usr_alice', name: 'Alice Example' },
        acr: 'urn:latchkey:acr:mfa',
        amr: ['hwk', 'user'],
      });

      // Signed in with the password only, alice steps up to /transfer with the passkey.
      const later = new TestBrowser();
      const login = await later.get(`${site}/auth/login?returnTo=/profile`);
      await signInAtDevIdp(later, login, { username: 'alice', password: 'alice-password' });
      const transfer = () =>
        later.request(`${site}/transfer`, { headers: { accept: 'application/json' } });
      expect((await transfer()).status).toBe(401);
      const stepUpOptions = (await call(later, '/authenticate/options?purpose=step-up')).json();
      const raised = await call(
        later,
        '/authenticate/verify?purpose=step-up',
        device.authenticate(stepUpOptions as never),
      );
      expect(raised.status).toBe(200);
      expect((await transfer()).json()).toEqual({ ok: true });
    });
  }
});
