// Providers loaded on demand (`resolveProvider`), as an app with one IdP per customer has them:
// tenant "acme" signs in at the dev IdP over HTTP, tenant "globex" at test-utils' hostile IdP
// (the one OP here that signs a logout token on demand), and tenant "evil" is a record naming an
// issuer the app does not trust. The app names the tenant of a sign-in by its `?org=` query.
import { type DevIdp, signInAtDevIdp, startDevIdp } from '@latchkey/dev-idp';
import { freePort, type HostileIdp, startHostileIdp, TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config';
import {
  createLatchkey,
  type LatchkeyOptions,
  MemorySessionStore,
  type ProviderOptions,
} from '../src/index';
import { Providers } from '../src/providers';
import { type CoreApp, startCoreApp } from './helpers';

let acme: DevIdp;
let globex: HostileIdp;
let evil: HostileIdp;
let app: CoreApp;
const store = new MemorySessionStore();
const loads: string[] = [];
const tenants = new Map<string, ProviderOptions>();

const resolverOptions = (): Pick<LatchkeyOptions, 'resolveProvider' | 'store' | 'secrets'> => ({
  store,
  secrets: ['resolve-provider-test-secret-000000001'],
  resolveProvider: {
    nameOf: (request) => new URL(request.url).searchParams.get('org'),
    load: async (name) => {
      loads.push(name);
      return tenants.get(name);
    },
    trustedIssuers: [acme.issuer, globex.issuer],
  },
});

beforeAll(async () => {
  const acmePort = await freePort();
  globex = await startHostileIdp({ clientId: 'globex-app', clientSecret: 'globex-secret' });
  evil = await startHostileIdp({ clientId: 'evil-app', clientSecret: 'evil-secret' });
  acme = { issuer: `http://127.0.0.1:${acmePort}` } as DevIdp;
  tenants.set('acme', {
    issuer: acme.issuer,
    clientId: 'acme-app',
    clientSecret: 'acme-secret',
    roles: () => ['acme-staff'],
  });
  tenants.set('globex', {
    issuer: globex.issuer,
    clientId: 'globex-app',
    clientSecret: 'globex-secret',
  });
  tenants.set('evil', { issuer: evil.issuer, clientId: 'evil-app', clientSecret: 'evil-secret' });
  app = await startCoreApp(resolverOptions());
  acme = await startDevIdp({
    port: acmePort,
    ttl: { accessToken: 30 },
    clients: [
      {
        client_id: 'acme-app',
        client_secret: 'acme-secret',
        redirect_uris: [`${app.url}/auth/callback/acme`],
      },
    ],
  });
});
afterAll(async () => {
  await app?.stop();
  await acme?.stop?.();
  await globex?.stop();
  await evil?.stop();
});

const JSON_HEADERS = { accept: 'application/json' };

/** A browser signed in at `org`'s IdP (alice at acme), and its session as the app answers it. */
async function signedIn(org: 'acme' | 'globex') {
  const browser = new TestBrowser();
  const login = await browser.get(`${app.url}/auth/login?org=${org}&returnTo=/auth/session`);
  const landed =
    org === 'acme'
      ? await signInAtDevIdp(browser, login, { username: 'alice', password: 'alice-password' })
      : login;
  return { browser, session: landed.json<{ user: { sub: string }; roles: string[] }>() };
}

const signedInNow = async (browser: TestBrowser) =>
  (await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS })).json<{
    authenticated: boolean;
  }>().authenticated;

/** The IdP's back-channel POST to `path`, handed to `latchkey` (the test server reads no bodies). */
const postLogoutToken = async (
  latchkey: CoreApp['latchkey'],
  path: string,
  token: string,
): Promise<{ status: number; body: unknown }> => {
  const response = (await latchkey.handle(
    new Request(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${token}`,
    }),
  ))!;
  return { status: response.status, body: response.status === 200 ? null : await response.json() };
};

describe('resolveProvider: sign-in', () => {
  it("signs in at each tenant's own IdP, with its roles, and refreshes there", async () => {
    const atAcme = await signedIn('acme');
    const atGlobex = await signedIn('globex');
    expect(atAcme.session).toMatchObject({ user: { sub: 'usr_alice' }, roles: ['acme-staff'] });
    expect(atGlobex.session).toMatchObject({ authenticated: true, roles: [] });
    // acme's access tokens live 30 s, under latchkey's margin: asking for one refreshes at acme.
    const globexTokenCalls = globex.requests.filter((r) => r.path === '/token').length;
    const token = await atAcme.browser.request(`${app.url}/access-token`, {
      headers: JSON_HEADERS,
    });
    expect(token.status).toBe(200);
    expect(acme.grants.map((grant) => grant.grantType)).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    expect(globex.requests.filter((r) => r.path === '/token')).toHaveLength(globexTokenCalls);
  });

  it('loads each provider once for many requests, even when they come at once', async () => {
    loads.length = 0;
    const fresh = await startCoreApp(resolverOptions());
    try {
      const logins = await Promise.all(
        Array.from({ length: 5 }, () =>
          new TestBrowser().request(`${fresh.url}/auth/login?org=acme`),
        ),
      );
      expect(logins.map((login) => login.status)).toEqual([302, 302, 302, 302, 302]);
      expect(loads).toEqual(['acme']);
    } finally {
      await fresh.stop();
    }
  });

  it.each([
    ['no tenant', ''],
    ['an unknown tenant', '?org=initech'],
    ['a name that is no provider name', '?org=a%2Fb'],
  ])('refuses a sign-in for %s with 400 invalid_request', async (_, query) => {
    loads.length = 0;
    const answer = await new TestBrowser().request(`${app.url}/auth/login${query}`, {
      headers: JSON_HEADERS,
    });
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ error: 'invalid_request' });
    expect(loads).toEqual(query === '?org=initech' ? ['initech'] : []);
  });

  it('never contacts a provider whose issuer trustedIssuers does not list', async () => {
    const answer = await new TestBrowser().request(`${app.url}/auth/login?org=evil`, {
      headers: JSON_HEADERS,
    });
    expect(answer.status).toBe(500);
    expect(answer.json()).toEqual({
      error: 'config_invalid',
      message: `resolveProvider: provider evil has the issuer ${evil.issuer}/, which trustedIssuers does not trust.`,
    });
    expect(evil.requests).toEqual([]);
  });
});

describe('resolveProvider: sessions', () => {
  it("lets the sign-out page go on to the session's own IdP only", async () => {
    const atGlobex = await signedIn('globex');
    await signedIn('acme');
    const page = await atGlobex.browser.get(`${app.url}/auth/logout`);
    expect(page.headers.get('content-security-policy')).toContain(
      `form-action 'self' ${globex.issuer};`,
    );
  });

  it('keeps a session, and its cookie, while the app cannot load its provider (503)', async () => {
    const atAcme = await signedIn('acme');
    const cookie = (await atAcme.browser.cookies(app.url))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const options = resolverOptions();
    const down = createLatchkey({
      ...options,
      baseUrl: app.url,
      resolveProvider: {
        ...options.resolveProvider!,
        load: () => {
          throw new Error('database down');
        },
      },
    });
    const setCookies: string[][] = [];
    const request = new Request(`${app.url}/x`, { headers: { cookie } });
    const context = await down.authenticate(request, (lines) => setCookies.push([...lines]));
    expect(context.session).toBeNull();
    expect(context.problem).toMatchObject({ code: 'store_unavailable', status: 503 });
    const session = await down.handle(
      new Request(`${app.url}/auth/session`, { headers: { cookie, accept: 'application/json' } }),
    );
    expect(session!.status).toBe(503);
    expect(session!.headers.getSetCookie()).toEqual([]);
    expect(setCookies).toEqual([]);
    expect(await signedInNow(atAcme.browser)).toBe(true);
  });
});

describe('resolveProvider: back-channel logout', () => {
  it("ends a tenant's sessions from its own route, on an instance that never loaded it", async () => {
    const atGlobex = await signedIn('globex');
    const atAcme = await signedIn('acme');
    // Another instance of the app, sharing the session store, has loaded no provider yet.
    const other = createLatchkey({ ...resolverOptions(), baseUrl: app.url });
    const token = await globex.logoutToken({ sub: 'hostile-user' });
    expect(await postLogoutToken(other, '/auth/backchannel-logout/globex', token)).toEqual({
      status: 200,
      body: null,
    });
    expect(await signedInNow(atGlobex.browser)).toBe(false);
    expect(await signedInNow(atAcme.browser)).toBe(true);
  });

  it("refuses a logout token at another tenant's route, and at the route of no tenant", async () => {
    const atGlobex = await signedIn('globex');
    const token = await globex.logoutToken({ sub: 'hostile-user' });
    const atAcmeRoute = await postLogoutToken(app.latchkey, '/auth/backchannel-logout/acme', token);
    expect(atAcmeRoute).toMatchObject({ status: 400, body: { error: 'logout_token_invalid' } });
    const nowhere = await postLogoutToken(app.latchkey, '/auth/backchannel-logout/initech', token);
    expect(nowhere).toEqual({
      status: 400,
      body: {
        error: 'logout_token_invalid',
        message: "Invalid logout token: its issuer is not one of this app's identity providers.",
      },
    });
    // The route without a provider is not there: the token alone cannot pick one to load.
    expect(await app.latchkey.handle(new Request(`${app.url}/auth/backchannel-logout`))).toBe(
      undefined,
    );
    expect(await signedInNow(atGlobex.browser)).toBe(true);
  });
});

describe('resolveProvider: configuration', () => {
  const base = {
    baseUrl: 'https://app.example.com',
    secrets: ['resolve-provider-test-secret-000000001'],
  };
  const load = () => undefined;
  it.each<[string, Partial<LatchkeyOptions>, string]>([
    [
      'issuer beside it',
      {
        issuer: 'https://idp.example.com',
        resolveProvider: { load, trustedIssuers: ['https://idp.example.com'] },
      },
      'leave out issuer, clientId and providers',
    ],
    [
      'a client secret beside it',
      {
        clientSecret: 'shared',
        resolveProvider: { load, trustedIssuers: ['https://idp.example.com'] },
      },
      'its load() gives each provider its own client credentials',
    ],
    [
      'passkeys beside it',
      {
        passkeys: {} as never,
        resolveProvider: { load, trustedIssuers: ['https://idp.example.com'] },
      },
      'passkeys cannot be used with resolveProvider yet',
    ],
    [
      'passkeys beside several providers',
      {
        passkeys: {} as never,
        providers: { a: { issuer: 'https://idp.example.com', clientId: 'a', clientSecret: 's' } },
      },
      'passkeys cannot be used with providers yet',
    ],
    [
      'no load',
      { resolveProvider: { trustedIssuers: ['https://idp.example.com'] } as never },
      'resolveProvider.load must be a function',
    ],
    [
      'no trusted issuer',
      { resolveProvider: { load, trustedIssuers: [] } },
      'resolveProvider.trustedIssuers must list the issuers',
    ],
    [
      'a trusted issuer that is no URL',
      { resolveProvider: { load, trustedIssuers: ['idp.example.com'] } },
      'resolveProvider.trustedIssuers must be an absolute URL.',
    ],
  ])('refuses %s', (_name, options, message) => {
    expect(() => createLatchkey({ ...base, ...options } as LatchkeyOptions)).toThrow(message);
  });
});

describe('resolveProvider: the loaded providers', () => {
  const issuer = 'https://idp.example.com';
  function providersAt(
    clock: { now: number },
    load: (name: string) => ProviderOptions | undefined,
  ) {
    const names: string[] = [];
    const config = resolveConfig({
      baseUrl: 'https://app.example.com',
      secrets: ['resolve-provider-test-secret-000000001'],
      now: () => clock.now,
      resolveProvider: {
        load: (name) => {
          names.push(name);
          return load(name);
        },
        trustedIssuers: [issuer, `${issuer}/other`],
      },
    });
    return { providers: new Providers(config), names };
  }
  const acmeOptions = { issuer, clientId: 'acme-app', clientSecret: 'acme-secret' };

  it('keeps a provider five minutes, then loads it again', async () => {
    const clock = { now: 0 };
    const { providers, names } = providersAt(clock, () => acmeOptions);
    const first = await providers.load('acme');
    expect(first.config.redirectUri).toBe('https://app.example.com/auth/callback/acme');
    clock.now = 299_999;
    expect(providers.load('acme')).toBe(first);
    expect(names).toEqual(['acme']);
    clock.now = 300_000;
    const again = await providers.load('acme');
    expect(names).toEqual(['acme', 'acme']);
    expect(again).not.toBe(first);
    expect(providers.of('acme')).toBe(again);
  });

  it('ends the sessions of a provider the app no longer has, once it is loaded again', async () => {
    const clock = { now: 0 };
    let exists = true;
    const { providers } = providersAt(clock, () => (exists ? acmeOptions : undefined));
    await providers.load('acme');
    exists = false;
    clock.now = 300_000;
    expect(await providers.find('acme')).toBeUndefined();
    await expect(Promise.resolve(providers.load('acme'))).rejects.toMatchObject({
      code: 'session_invalid',
    });
    expect(() => providers.of('acme')).toThrow(/no longer has/);
  });

  it('remembers no failed load: the next use tries again', async () => {
    const { providers, names } = providersAt({ now: 0 }, () => {
      throw new Error('database down');
    });
    for (let i = 0; i < 2; i++) {
      await expect(providers.find('acme')).rejects.toMatchObject({
        code: 'store_unavailable',
        cause: new Error('database down'),
      });
    }
    expect(names).toEqual(['acme', 'acme']);
  });

  it("refuses a session whose provider's issuer changed since it signed in", async () => {
    const clock = { now: 0 };
    let options: ProviderOptions = acmeOptions;
    const { providers } = providersAt(clock, () => options);
    const session = { pv: 'acme', pi: `${issuer}/`, idt: 'x' };
    expect((await providers.ofSession(session)).name).toBe('acme');
    options = { ...acmeOptions, issuer: `${issuer}/other` };
    clock.now = 300_000;
    await expect(Promise.resolve(providers.ofSession(session))).rejects.toMatchObject({
      code: 'session_invalid',
      message: "The session's identity provider has another issuer now; sign in again.",
    });
  });

  it('goes on with the provider it has while the app cannot load it, and tries again', async () => {
    const clock = { now: 0 };
    let down = false;
    const { providers, names } = providersAt(clock, () => {
      if (down) throw new Error('database down');
      return acmeOptions;
    });
    const loaded = await providers.load('acme');
    down = true;
    clock.now = 300_000;
    expect(await providers.load('acme')).toBe(loaded);
    expect(await providers.load('acme')).toBe(loaded);
    expect(names).toEqual(['acme', 'acme', 'acme']);
    down = false;
    expect(await providers.load('acme')).not.toBe(loaded);
  });

  it('ends the sessions of a provider whose issuer is no longer trusted', async () => {
    const clock = { now: 0 };
    let trusted = true;
    const config = resolveConfig({
      baseUrl: 'https://app.example.com',
      secrets: ['resolve-provider-test-secret-000000001'],
      now: () => clock.now,
      resolveProvider: { load: () => acmeOptions, trustedIssuers: () => trusted },
    });
    const providers = new Providers(config);
    const session = { pv: 'acme', pi: `${issuer}/`, idt: 'x' };
    await providers.ofSession(session);
    trusted = false;
    clock.now = 300_000;
    await expect(Promise.resolve(providers.ofSession(session))).rejects.toMatchObject({
      code: 'session_invalid',
      message: "The session's identity provider is not trusted any more; sign in again.",
    });
    expect(() => providers.of('acme')).toThrow(/no longer has/);
  });

  it('never uses a provider reloaded with another issuer for a session of the old one', async () => {
    const clock = { now: 0 };
    let options: ProviderOptions = acmeOptions;
    const { providers } = providersAt(clock, () => options);
    const session = { pv: 'acme', pi: `${issuer}/`, idt: 'x' };
    await providers.ofSession(session);
    // Another request reloads the provider between this session's read and its refresh.
    options = { ...acmeOptions, issuer: `${issuer}/other` };
    clock.now = 300_000;
    await providers.load('acme');
    expect(() => providers.ofRecord(session)).toThrow(/another issuer now/);
  });

  it('serves the provider it has during an outage only while its issuer is trusted', async () => {
    const clock = { now: 0 };
    let trusted = true;
    let down = false;
    const config = resolveConfig({
      baseUrl: 'https://app.example.com',
      secrets: ['resolve-provider-test-secret-000000001'],
      now: () => clock.now,
      resolveProvider: {
        load: () => {
          if (down) throw new Error('database down');
          return acmeOptions;
        },
        trustedIssuers: () => {
          if (!trusted) throw new Error('policy service down');
          return true;
        },
      },
    });
    const providers = new Providers(config);
    await providers.load('acme');
    [down, trusted] = [true, false];
    clock.now = 300_000;
    await expect(Promise.resolve(providers.load('acme'))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });

  it('gives up on a load that does not answer within idpTimeout', async () => {
    const config = resolveConfig({
      baseUrl: 'https://app.example.com',
      secrets: ['resolve-provider-test-secret-000000001'],
      idpTimeout: 50,
      resolveProvider: { load: () => new Promise(() => {}), trustedIssuers: [issuer] },
    });
    await expect(new Providers(config).find('acme')).rejects.toMatchObject({
      code: 'store_unavailable',
      cause: new Error('no answer within 50 ms'),
    });
  });

  it('keeps the sessions of a provider whose record is malformed, and says so', async () => {
    const clock = { now: 0 };
    let options: ProviderOptions = acmeOptions;
    const { providers } = providersAt(clock, () => options);
    const session = { pv: 'acme', pi: `${issuer}/`, idt: 'x' };
    await providers.ofSession(session);
    options = { ...acmeOptions, clientId: '' };
    clock.now = 300_000;
    await expect(Promise.resolve(providers.ofSession(session))).rejects.toMatchObject({
      code: 'config_invalid',
      message: 'resolveProvider: provider acme: clientId is required.',
    });
  });

  it('trusts an issuer only when trustedIssuers answers true', async () => {
    const config = resolveConfig({
      baseUrl: 'https://app.example.com',
      secrets: ['resolve-provider-test-secret-000000001'],
      resolveProvider: { load: () => acmeOptions, trustedIssuers: (() => 'yes') as never },
    });
    await expect(new Providers(config).find('acme')).rejects.toMatchObject({
      code: 'config_invalid',
    });
  });

  it('refuses a session of an IdP that does not name its provider', () => {
    const { providers } = providersAt({ now: 0 }, () => acmeOptions);
    expect(() => providers.ofSession({ idt: 'x' })).toThrow(/does not say which identity provider/);
    // A passkey session has no provider: it uses the app-wide configuration.
    expect(providers.ofSession({})).toBe(providers.default);
  });
});
