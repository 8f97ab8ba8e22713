// An app with two identity providers: the dev IdP over HTTP ("partners"), and test-utils' hostile
// IdP ("corp"), the one OP here that can sign a logout token on demand. Both know a user with the
// same `sub`, as two unrelated issuers may.
import { type DevIdp, signInAtDevIdp, startDevIdp } from '@latchkey/dev-idp';
import { freePort, type HostileIdp, startHostileIdp, TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLatchkey, type LatchkeyOptions } from '../src/index';
import { type CoreApp, startCoreApp } from './helpers';

let corp: HostileIdp;
let partners: DevIdp;
let app: CoreApp;
beforeAll(async () => {
  corp = await startHostileIdp({ clientId: 'app', clientSecret: 'app-secret', sub: 'usr_alice' });
  const partnersPort = await freePort();
  app = await startCoreApp({
    providers: {
      corp: { issuer: corp.issuer, clientId: 'app', clientSecret: 'app-secret' },
      partners: {
        issuer: `http://127.0.0.1:${partnersPort}`,
        clientId: 'core-app',
        clientSecret: 'core-app-secret',
        roles: () => ['partner'],
      },
    },
  });
  partners = await startDevIdp({
    port: partnersPort,
    ttl: { accessToken: 30 },
    clients: [
      {
        client_id: 'core-app',
        client_secret: 'core-app-secret',
        redirect_uris: [`${app.url}/auth/callback/partners`],
      },
    ],
  });
});
afterAll(async () => {
  await app?.stop();
  await partners?.stop();
  await corp?.stop();
});

const JSON_HEADERS = { accept: 'application/json' };

/** A browser signed in at `provider` (alice at both), and its session as the app answers it. */
async function signedIn(provider: 'corp' | 'partners') {
  const browser = new TestBrowser();
  const login = await browser.get(
    `${app.url}/auth/login?provider=${provider}&returnTo=/auth/session`,
  );
  const landed =
    provider === 'partners'
      ? await signInAtDevIdp(browser, login, { username: 'alice', password: 'alice-password' })
      : login;
  return { browser, session: landed.json<{ user: { sub: string }; roles: string[] }>() };
}

const sessionOf = async (browser: TestBrowser) =>
  (await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS })).json<{
    authenticated: boolean;
  }>().authenticated;

/** The IdP's back-channel POST, handed to the app's latchkey (the test server reads no bodies). */
const postLogoutToken = async (token: string, to: CoreApp = app) => {
  const response = (await to.latchkey.handle(
    new Request(`${to.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${token}`,
    }),
  ))!;
  return { status: response.status, json: () => response.json() };
};

describe('several identity providers', () => {
  it('asks which provider to sign in with, naming them', async () => {
    for (const query of ['', '?provider=nope']) {
      const answer = await new TestBrowser().request(`${app.url}/auth/login${query}`, {
        headers: JSON_HEADERS,
      });
      expect(answer.status).toBe(400);
      expect(answer.json()).toEqual({
        error: 'invalid_request',
        message: 'Sign in with provider set to one of: corp, partners.',
      });
    }
  });

  it("signs in with each provider, each session with its provider's roles and refreshes", async () => {
    const atCorp = await signedIn('corp');
    const atPartners = await signedIn('partners');
    expect(atCorp.session).toMatchObject({
      user: { sub: 'usr_alice' },
      roles: [],
      provider: 'corp',
    });
    expect(atPartners.session).toMatchObject({
      user: { sub: 'usr_alice' },
      roles: ['partner'],
      provider: 'partners',
    });
    // partners' access tokens live 30 s, under latchkey's margin: asking for one refreshes there.
    const corpTokenCalls = corp.requests.filter((r) => r.path === '/token').length;
    const token = await atPartners.browser.request(`${app.url}/access-token`, {
      headers: JSON_HEADERS,
    });
    expect(token.status).toBe(200);
    expect(partners.grants.map((grant) => grant.grantType)).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    expect(corp.requests.filter((r) => r.path === '/token')).toHaveLength(corpTokenCalls);
  });

  it("ends only the sessions of the logout token's own provider, though the sub is the same", async () => {
    const atCorp = await signedIn('corp');
    const atPartners = await signedIn('partners');
    const ended = await postLogoutToken(await corp.logoutToken({ sub: 'usr_alice' }));
    expect(ended.status).toBe(200);
    expect(await sessionOf(atCorp.browser)).toBe(false);
    expect(await sessionOf(atPartners.browser)).toBe(true);
  });

  it("refuses a logout token naming one provider's issuer but signed by another", async () => {
    const atPartners = await signedIn('partners');
    const forged = await postLogoutToken(
      await corp.logoutToken({ iss: partners.issuer, aud: 'core-app', sub: 'usr_alice' }),
    );
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: 'logout_token_invalid' });
    const unknown = await postLogoutToken(
      await corp.logoutToken({ iss: 'https://elsewhere.example', sub: 'usr_alice' }),
    );
    expect(await unknown.json()).toMatchObject({
      error: 'logout_token_invalid',
      message: "Invalid logout token: its issuer is not one of this app's identity providers.",
    });
    expect(await sessionOf(atPartners.browser)).toBe(true);
  });
});

describe('several identity providers: the callback', () => {
  it("refuses a code delivered to another provider's callback (mix-up)", async () => {
    const tokenCallsBefore = corp.requests.filter((r) => r.path === '/token').length;
    const browser = new TestBrowser();
    const login = await browser.request(`${app.url}/auth/login?provider=corp`, {
      headers: { accept: 'text/html' },
    });
    // corp answers at its own authorization endpoint; the code is then sent to partners' callback.
    const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
    const answer = new URL(authorize.headers.get('location')!);
    expect(answer.pathname).toBe('/auth/callback/corp');
    const mixedUp = await browser.request(`${app.url}/auth/callback/partners${answer.search}`, {
      headers: JSON_HEADERS,
    });
    expect(mixedUp.status).toBe(400);
    expect(mixedUp.json()).toEqual({
      error: 'state_mismatch',
      message:
        'This callback is for another identity provider than the one the sign-in started at.',
    });
    expect(corp.requests.filter((r) => r.path === '/token')).toHaveLength(tokenCallsBefore);
  });
});

describe('several identity providers: logout token replay', () => {
  it("keeps each provider's jti apart: the same jti from another issuer is no replay", async () => {
    const branch = await startHostileIdp({
      clientId: 'app',
      clientSecret: 'app-secret',
      sub: 'usr_bob',
    });
    const twoCorps = await startCoreApp({
      providers: {
        corp: { issuer: corp.issuer, clientId: 'app', clientSecret: 'app-secret' },
        branch: { issuer: branch.issuer, clientId: 'app', clientSecret: 'app-secret' },
      },
    });
    try {
      const signedInAt = async (provider: string) => {
        const browser = new TestBrowser();
        await browser.get(`${twoCorps.url}/auth/login?provider=${provider}`);
        const session = async () =>
          (await browser.request(`${twoCorps.url}/auth/session`, { headers: JSON_HEADERS })).json<{
            authenticated: boolean;
          }>().authenticated;
        expect(await session()).toBe(true);
        return session;
      };
      const atCorp = await signedInAt('corp');
      const atBranch = await signedInAt('branch');
      const fromCorp = await corp.logoutToken({ sub: 'usr_alice', jti: 'one-jti' });
      expect((await postLogoutToken(fromCorp, twoCorps)).status).toBe(200);
      expect([await atCorp(), await atBranch()]).toEqual([false, true]);
      const fromBranch = await branch.logoutToken({ sub: 'usr_bob', jti: 'one-jti' });
      expect((await postLogoutToken(fromBranch, twoCorps)).status).toBe(200);
      expect(await atBranch()).toBe(false);
      // Each token again is a replay.
      for (const token of [fromCorp, fromBranch]) {
        const replay = await postLogoutToken(token, twoCorps);
        expect(replay.status).toBe(400);
        expect(await replay.json()).toMatchObject({
          error: 'logout_token_invalid',
          message: 'Invalid logout token: its jti was already used (replay).',
        });
      }
    } finally {
      await twoCorps.stop();
      await branch.stop();
    }
  });
});

describe('several identity providers: sessions from before', () => {
  it('refuses a session signed in before the app had providers: it names none', async () => {
    const options = { baseUrl: app.url, secrets: ['core-test-secret-core-test-secret-0001'] };
    const single = createLatchkey({
      ...options,
      issuer: corp.issuer,
      clientId: 'app',
      clientSecret: 'app-secret',
    });
    const login = (await single.handle(new Request(`${app.url}/auth/login`)))!;
    const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
    const cookieOf = (response: Response) =>
      response.headers
        .getSetCookie()
        .map((line) => line.split(';')[0])
        .join('; ');
    const callback = (await single.handle(
      new Request(authorize.headers.get('location')!, { headers: { cookie: cookieOf(login) } }),
    ))!;
    expect(callback.status).toBe(303);
    const session = (await app.latchkey.handle(
      new Request(`${app.url}/auth/session`, { headers: { cookie: cookieOf(callback) } }),
    ))!;
    expect(await session.json()).toEqual({ authenticated: false });
  });
});

describe('providers configuration', () => {
  const base = {
    baseUrl: 'https://app.example.com',
    secrets: ['providers-test-secret-providers-test-01'],
  };
  const provider = { issuer: 'https://idp.example.com', clientId: 'a', clientSecret: 's' };
  it.each<[string, Partial<LatchkeyOptions>, string]>([
    [
      'issuer beside providers',
      { issuer: 'https://x.example', providers: { a: provider } },
      'not the top-level options',
    ],
    ['no provider', { providers: {} }, 'providers needs at least one provider.'],
    ['a bad name', { providers: { 'a b': provider } }, "providers.a b: a provider's name"],
    [
      'one issuer twice',
      { providers: { a: provider, b: { ...provider, clientId: 'b' } } },
      'providers.b has the issuer of another provider',
    ],
    [
      'a provider without clientId',
      { providers: { a: { ...provider, clientId: '' } } },
      'providers.a: clientId is required.',
    ],
  ])('refuses %s', (_name, options, message) => {
    expect(() => createLatchkey({ ...base, ...options } as LatchkeyOptions)).toThrow(message);
  });
});
