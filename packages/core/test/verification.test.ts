// The checks latchkey makes on what an IdP returns after sign-in: refreshed tokens, step-up
// results, HMAC-signed ID tokens, and sessions a store keeps too long. A deliberately malicious IdP
// (test-utils' hostile provider) stands in for the IdP: no real IdP returns another user's ID token
// on refresh, or a weaker acr than asked, on demand.
import { ACR_LEVELS, ACR_MFA, ACR_PWD } from '@latchkey/dev-idp';
import {
  CookieJar,
  freePort,
  type HostileIdp,
  type HostileMode,
  startHostileIdp,
} from '@latchkey/test-utils';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLatchkey,
  type Latchkey,
  type LatchkeyOptions,
  MemoryRevocationList,
  MemorySessionStore,
} from '../src/index';
import { baseUrl, secrets, useHostileIdp } from './hostile';

const hostile = useHostileIdp();
let idp: HostileIdp;
beforeAll(() => {
  idp = hostile.idp;
});
beforeEach(() => {
  idp.mode = 'valid';
  idp.claims = {};
  idp.expiresIn = 3600;
  idp.issueRefreshTokens = true;
});

function latchkeyFor(overrides: Partial<LatchkeyOptions> = {}): Latchkey {
  return createLatchkey({
    issuer: idp.issuer,
    clientId: 'app',
    clientSecret: 'app-secret',
    baseUrl,
    secrets,
    acrLevels: ACR_LEVELS,
    ...overrides,
  });
}

const JSON_ACCEPT = { accept: 'application/json' };

/** A response carrying `Set-Cookie` lines, for {@link CookieJar.take}. */
function responseWith(lines: readonly string[]): Response {
  const response = new Response(null);
  for (const line of lines) response.headers.append('set-cookie', line);
  return response;
}

/** Follows a sign-in (or step-up) from latchkey's route through the IdP to the callback's answer. */
async function through(latchkey: Latchkey, jar: CookieJar, path: string): Promise<Response> {
  const start = jar.take(
    (await latchkey.handle(new Request(`${baseUrl}${path}`, { headers: { cookie: jar.header } })))!,
  );
  expect(start.status).toBe(302);
  const authorize = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const callback = authorize.headers.get('location')!;
  return jar.take(
    (await latchkey.handle(
      new Request(callback, { headers: { cookie: jar.header, ...JSON_ACCEPT } }),
    ))!,
  );
}

async function signedIn(latchkey: Latchkey): Promise<CookieJar> {
  const jar = new CookieJar();
  const callback = await through(latchkey, jar, '/auth/login?returnTo=/profile');
  expect(callback.status).toBe(303);
  return jar;
}

const contextOf = (latchkey: Latchkey, jar: CookieJar, sink: (lines: readonly string[]) => void) =>
  latchkey.authenticate(new Request(`${baseUrl}/x`, { headers: { cookie: jar.header } }), sink);

describe('the callback', () => {
  it('clears the transaction cookie after a successful sign-in', async () => {
    const jar = await signedIn(latchkeyFor());
    expect(jar.names()).toEqual(['lk_session']);
  });

  it('refuses an HS256 ID token unless idTokenAlgorithms names HS256', async () => {
    idp.mode = 'hs256';
    const refused = await through(latchkeyFor(), new CookieJar(), '/auth/login');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'id_token_invalid' });
  });

  it('verifies an HS256 ID token with the client secret when idTokenAlgorithms names HS256', async () => {
    const secret = 'a-client-secret-of-thirty-two-bytes!';
    const hmacIdp = await startHostileIdp({ clientId: 'app', clientSecret: secret });
    try {
      hmacIdp.mode = 'hs256';
      const latchkey = latchkeyFor({
        issuer: hmacIdp.issuer,
        clientSecret: secret,
        idTokenAlgorithms: ['HS256', 'RS256'],
      });
      const accepted = await through(latchkey, new CookieJar(), '/auth/login');
      expect(accepted.status).toBe(303);
    } finally {
      await hmacIdp.stop();
    }
  });
});

describe('back-channel logout while the JWKS is down', () => {
  it.each<HostileMode>(['jwks-broken', 'jwks-silent'])(
    'answers 503 idp_unreachable (mode %s), so the IdP retries, instead of calling the token invalid',
    async (mode) => {
      idp.mode = mode;
      // Shaped like a logout token; its signature is never reached: the keys cannot be fetched.
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = `${part({ alg: 'RS256', kid: 'k', typ: 'logout+jwt' })}.${part({ iss: idp.issuer })}.c2ln`;
      const response = await latchkeyFor({ idpTimeout: 300 }).handle(
        new Request(`${baseUrl}/auth/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `logout_token=${token}`,
        }),
      );
      expect(response?.status).toBe(503);
      expect(await response?.json()).toMatchObject({
        error: 'idp_unreachable',
        message: expect.stringMatching(/^The IdP's JWKS /),
      });
    },
  );
});

describe('the ID token signature', () => {
  it.each<[HostileMode, string, number, Record<string, unknown>]>([
    ['no-id-token', 'a token response without an ID token', 502, { error: 'idp_invalid_response' }],
    [
      'jwks-silent',
      'a JWKS that does not answer in time',
      503,
      {
        error: 'idp_unreachable',
        message: expect.stringMatching(
          /^The IdP's JWKS did not answer at http:\/\/127\.0\.0\.1:\d+\/jwks within 300 ms \(idpTimeout\)/,
        ),
      },
    ],
    [
      'jwks-broken',
      'a JWKS connection that breaks',
      503,
      {
        error: 'idp_unreachable',
        message: expect.stringMatching(
          /^The IdP's JWKS could not be reached at http:\/\/127\.0\.0\.1:\d+\/jwks \(/,
        ),
      },
    ],
    [
      'bad-signature',
      'a signature that does not verify against the JWKS',
      401,
      {
        error: 'id_token_invalid',
        message:
          "The ID token signature could not be verified against the IdP's JWKS (ERR_JWS_SIGNATURE_VERIFICATION_FAILED).",
      },
    ],
  ])('refuses a sign-in (mode %s: %s) with %i and says why', async (mode, _what, status, body) => {
    idp.mode = mode;
    const response = await through(
      latchkeyFor({ idpTimeout: 300 }),
      new CookieJar(),
      '/auth/login',
    );
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject(body);
  });
});

describe('refresh', () => {
  it('ends a session without a refresh token once its access token expires, and says why', async () => {
    idp.expiresIn = 30;
    idp.issueRefreshTokens = false;
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    const context = await contextOf(latchkey, jar, () => {});
    await expect(context.getAccessToken()).rejects.toMatchObject({
      code: 'refresh_failed',
      message: expect.stringContaining("'offline_access'"),
    });
  });

  it('gives a fresh access token without refreshing while it is valid', async () => {
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    const before = idp.requests.filter((r) => r.path === '/token').length;
    const context = await contextOf(latchkey, jar, () => {});
    await expect(context.getAccessToken()).resolves.toEqual(expect.any(String));
    expect(idp.requests.filter((r) => r.path === '/token').length).toBe(before);
  });

  it.each<[HostileMode, string]>([
    ['other-sub', 'an ID token about another user'],
    ['bad-signature', 'an ID token whose signature does not verify'],
    ['wrong-aud', 'an ID token for another client'],
  ])('ends the session when the refresh returns %s (%s)', async (mode) => {
    idp.expiresIn = 30; // within the refresh leeway: the next getAccessToken() refreshes
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    idp.mode = mode;
    const cleared: string[] = [];
    const context = await contextOf(latchkey, jar, (lines) => cleared.push(...lines));
    await expect(context.getAccessToken()).rejects.toMatchObject({
      code: 'refresh_failed',
      message:
        mode === 'other-sub'
          ? 'The refreshed ID token is about another user; the session has ended.'
          : 'Refreshing the access token failed (id_token_invalid); sign in again.',
      ...(mode === 'other-sub'
        ? {}
        : { cause: expect.objectContaining({ code: 'id_token_invalid' }) }),
    });
    expect(cleared.some((line) => /^lk_session=; .*Max-Age=0/.test(line))).toBe(true);
    idp.mode = 'valid';
    const after = await contextOf(latchkey, jar, () => {});
    expect(after.session).toBeNull();
  });

  it('keeps the session when the IdP answers a refresh with a 502 page, and refreshes once it is back', async () => {
    idp.expiresIn = 30;
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    idp.mode = 'token-502';
    const cleared: string[] = [];
    const context = await contextOf(latchkey, jar, (lines) => cleared.push(...lines));
    await expect(context.getAccessToken()).rejects.toMatchObject({
      code: 'idp_unreachable',
      status: 503,
      message: `The IdP answered HTTP 502 at ${idp.issuer}/token: it is failing for now; try again shortly.`,
    });
    expect(cleared).toEqual([]);
    idp.mode = 'valid';
    const after = await contextOf(latchkey, jar, () => {});
    await expect(after.getAccessToken()).resolves.toEqual(expect.any(String));
  });

  it('refreshes again once the refreshed token expires, with the new refresh token', async () => {
    idp.expiresIn = 30;
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    const grants = () => idp.requests.filter((r) => r.path === '/token').length;
    const before = grants();
    const first = await contextOf(latchkey, jar, (lines) => jar.take(responseWith(lines)));
    const token1 = await first.getAccessToken();
    const second = await contextOf(latchkey, jar, () => {});
    const token2 = await second.getAccessToken();
    expect(grants() - before).toBe(2);
    expect(token2).not.toBe(token1);
  });

  it('keeps the session through an IdP outage during refresh, and refreshes once it is back', async () => {
    idp.expiresIn = 30;
    const latchkey = latchkeyFor({ idpTimeout: 300 });
    const jar = await signedIn(latchkey);
    idp.mode = 'token-silent';
    const cleared: string[] = [];
    const during = await contextOf(latchkey, jar, (lines) => cleared.push(...lines));
    await expect(during.getAccessToken()).rejects.toMatchObject({ code: 'idp_unreachable' });
    expect(cleared).toEqual([]);
    idp.mode = 'valid';
    const after = await contextOf(latchkey, jar, () => {});
    await expect(after.getAccessToken()).resolves.toEqual(expect.any(String));
  });

  it('keeps the session when the refresh answers without an ID token', async () => {
    idp.expiresIn = 30;
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    idp.mode = 'no-id-token';
    const context = await contextOf(latchkey, jar, () => {});
    await expect(context.getAccessToken()).resolves.toEqual(expect.any(String));
  });

  it('hands a request with the spent refresh token the refreshed one for a minute, then not', async () => {
    idp.expiresIn = 30;
    let offset = 0;
    const latchkey = latchkeyFor({ now: () => Date.now() + offset });
    const jar = await signedIn(latchkey);
    const spent = jar.header;
    const first = await (await contextOf(latchkey, jar, () => {})).getAccessToken();
    const old = () =>
      latchkey.authenticate(new Request(`${baseUrl}/x`, { headers: { cookie: spent } }), () => {});
    offset = 59_000;
    await expect((await old()).getAccessToken()).resolves.toBe(first);
    offset = 61_000;
    await expect((await old()).getAccessToken()).rejects.toMatchObject({ code: 'refresh_failed' });
  });

  it('keeps the session when the refresh returns a valid ID token of the same user', async () => {
    idp.expiresIn = 30;
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    const context = await contextOf(latchkey, jar, () => {});
    await expect(context.getAccessToken()).resolves.toEqual(expect.any(String));
  });
});

describe('step-up at the callback', () => {
  /** Signs in, then steps up through `path` with the IdP answering `acr`. */
  async function stepUpTo(
    acr: string,
    path = `/auth/step-up?acr=${ACR_MFA}&returnTo=/`,
    overrides: Partial<LatchkeyOptions> = {},
  ) {
    idp.claims = { acr };
    const latchkey = latchkeyFor(overrides);
    const jar = await signedIn(latchkey);
    const before = jar.header;
    return { latchkey, jar, before, stepUp: await through(latchkey, jar, path) };
  }

  it('refuses a step-up to mfa that comes back at pwd, and keeps the original session', async () => {
    const { latchkey, jar, before, stepUp } = await stepUpTo(ACR_PWD);
    expect(stepUp.status).toBe(403);
    expect(await stepUp.json()).toMatchObject({ error: 'step_up_failed' });
    const context = await contextOf(latchkey, jar, () => {});
    expect(context.session?.acr).toBe(ACR_PWD);
    expect(jar.header).toBe(before);
  });

  it('refuses a step-up whose authentication is older than max_age', async () => {
    const { stepUp } = await stepUpTo(ACR_MFA, '/auth/step-up?max_age=10&returnTo=/', {
      now: () => Date.now() + 120_000,
    });
    expect(stepUp.status).toBe(403);
    expect(await stepUp.json()).toMatchObject({ error: 'step_up_failed' });
  });

  it('accepts a step-up that reaches the level asked for, with a new session id', async () => {
    const { jar, before, stepUp } = await stepUpTo(ACR_MFA);
    expect(stepUp.status).toBe(303);
    expect(jar.header).not.toBe(before);
  });
});

describe('sign-in events', () => {
  it('reports each sign-in as login with its sub, session id and the acr the IdP sent', async () => {
    const events: Record<string, unknown>[] = [];
    const latchkey = latchkeyFor({ onEvent: (event) => events.push({ ...event }) });
    await signedIn(latchkey);
    idp.claims = { acr: ACR_MFA };
    await signedIn(latchkey);
    const logins = events.filter((event) => event.type === 'login');
    expect(logins).toEqual([
      { type: 'login', sub: 'hostile-user', sessionId: expect.any(String) },
      { type: 'login', sub: 'hostile-user', sessionId: expect.any(String), acr: ACR_MFA },
    ]);
    expect(logins[0]!.sessionId).not.toBe(logins[1]!.sessionId);
  });
});

describe('failed sign-ins', () => {
  it('says what is wrong with the callback, and reports login_failed with the code', async () => {
    const events: unknown[] = [];
    const latchkey = latchkeyFor({ onEvent: (event) => events.push(event) });
    const answer = async (query: string) => {
      const response = (await latchkey.handle(
        new Request(`${baseUrl}/auth/callback?${query}`, { headers: JSON_ACCEPT }),
      ))!;
      return { status: response.status, body: await response.json() };
    };
    expect(await answer('code=x')).toEqual({
      status: 400,
      body: { error: 'state_missing', message: 'The callback has no state parameter.' },
    });
    expect(await answer(`code=x&state=${'s'.repeat(43)}`)).toEqual({
      status: 400,
      body: {
        error: 'state_mismatch',
        message:
          'No sign-in in progress matches this callback (expired, started in another browser, or already completed).',
      },
    });
    expect(events).toEqual([
      { type: 'login_failed', code: 'state_missing' },
      { type: 'login_failed', code: 'state_mismatch' },
    ]);
  });

  it('refuses a step-up completed by another user, and says so', async () => {
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    idp.mode = 'other-sub';
    const stepUp = await through(latchkey, jar, `/auth/step-up?acr=${ACR_MFA}&returnTo=/`);
    expect(await stepUp.json()).toEqual({
      error: 'step_up_failed',
      message: 'The step-up was completed by a different user; the original session is unchanged.',
    });
  });

  it('says which level a failed step-up did not reach', async () => {
    idp.claims = { acr: ACR_PWD };
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    const stepUp = await through(latchkey, jar, `/auth/step-up?acr=${ACR_MFA}&returnTo=/`);
    expect(await stepUp.json()).toEqual({
      error: 'step_up_failed',
      message: `The step-up did not reach what was asked: authentication level ${ACR_MFA} or higher is required.`,
    });
  });

  it('completes a step-up started while signed out, as a sign-in at that level', async () => {
    idp.claims = { acr: ACR_MFA };
    const latchkey = latchkeyFor();
    const jar = new CookieJar();
    const stepUp = await through(latchkey, jar, `/auth/step-up?acr=${ACR_MFA}&returnTo=/`);
    expect(stepUp.status).toBe(303);
    expect((await contextOf(latchkey, jar, () => {})).session?.acr).toBe(ACR_MFA);
  });
});

describe('the step-up route', () => {
  it.each([
    ['max_age=abc', 'max_age must be a whole number of seconds.'],
    ['max_age=-1', 'max_age must be a whole number of seconds.'],
    ['max_age=10x', 'max_age must be a whole number of seconds.'],
    ['max_age=x10', 'max_age must be a whole number of seconds.'],
    ['returnTo=/', 'A step-up needs acr, max_age or both.'],
    [
      'acr=urn:unknown',
      "Unknown authentication level 'urn:unknown': it is not one of the configured acrLevels.",
    ],
  ])('refuses ?%s with 400 invalid_request', async (query, message) => {
    const response = (await latchkeyFor().handle(
      new Request(`${baseUrl}/auth/step-up?${query}`, { headers: JSON_ACCEPT }),
    ))!;
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', message });
  });

  it('returns to / when the step-up names no returnTo', async () => {
    idp.claims = { acr: ACR_MFA };
    const latchkey = latchkeyFor();
    const jar = await signedIn(latchkey);
    const stepUp = await through(latchkey, jar, `/auth/step-up?acr=${ACR_MFA}`);
    expect(stepUp.headers.get('location')).toBe('/');
  });

  it('asks the IdP for the level and the freshness', async () => {
    const start = (await latchkeyFor().handle(
      new Request(`${baseUrl}/auth/step-up?acr=${ACR_MFA}&max_age=60`),
    ))!;
    const url = new URL(start.headers.get('location')!);
    expect(url.searchParams.get('acr_values')).toBe(ACR_MFA);
    expect(url.searchParams.get('max_age')).toBe('60');
    const levelOnly = (await latchkeyFor().handle(
      new Request(`${baseUrl}/auth/step-up?acr=${ACR_MFA}`),
    ))!;
    expect(new URL(levelOnly.headers.get('location')!).searchParams.has('max_age')).toBe(false);
    const freshOnly = (await latchkeyFor().handle(
      new Request(`${baseUrl}/auth/step-up?max_age=0`),
    ))!;
    const fresh = new URL(freshOnly.headers.get('location')!).searchParams;
    expect([fresh.get('max_age'), fresh.has('acr_values')]).toEqual(['0', false]);
  });
});

describe('session expiry, to the millisecond', () => {
  it.each([
    ['in the cookie', () => ({})],
    ['in a store', () => ({ store: new MemorySessionStore() })],
  ])('ends a session %s the moment its idle timeout is reached', async (_where, backend) => {
    let now = Date.now();
    const latchkey = latchkeyFor({ now: () => now, session: { idleTimeout: 60 }, ...backend() });
    const jar = await signedIn(latchkey);
    now += 59_999;
    expect((await contextOf(latchkey, jar, () => {})).session).not.toBeNull();
    now += 1;
    expect((await contextOf(latchkey, jar, () => {})).problem?.code).toBe('session_expired');
  });
});

describe('cookie sessions', () => {
  it('refuses a signed-out cookie for as long as the session could have lived', async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    const latchkey = latchkeyFor({
      now,
      revocations: new MemoryRevocationList({ now }),
      session: { absoluteTimeout: 600, idleTimeout: 600 },
    });
    const jar = await signedIn(latchkey);
    const copy = jar.header;
    await latchkey.handle(
      new Request(`${baseUrl}/auth/logout`, {
        method: 'POST',
        headers: { cookie: copy, origin: baseUrl, ...JSON_ACCEPT },
      }),
    );
    offset = 570_000;
    const replay = await latchkey.authenticate(
      new Request(`${baseUrl}/x`, { headers: { cookie: copy } }),
      () => {},
    );
    expect(replay.problem).toMatchObject({
      code: 'session_revoked',
      message: 'The session was signed out; sign in again.',
    });
  });

  it('says why a cookie is refused: unreadable or expired', async () => {
    let offset = 0;
    const latchkey = latchkeyFor({ now: () => Date.now() + offset, session: { idleTimeout: 60 } });
    const garbage = await latchkey.authenticate(
      new Request(`${baseUrl}/x`, { headers: { cookie: 'lk_session=garbage' } }),
      () => {},
    );
    expect(garbage.problem?.message).toBe(
      'The session cookie could not be read: it was altered, truncated or sealed with an unknown secret.',
    );
    const jar = await signedIn(latchkey);
    offset = 61_000;
    const idle = await contextOf(latchkey, jar, () => {});
    expect(idle.problem?.message).toBe('The session has expired; sign in again.');
  });
});

describe('sessions in a store', () => {
  it('refuses a session cookie that is not a session id, and signs out of the store', async () => {
    const store = new MemorySessionStore();
    const latchkey = latchkeyFor({ store });
    const garbage = await latchkey.authenticate(
      new Request(`${baseUrl}/x`, { headers: { cookie: 'lk_session=not-an-id' } }),
      () => {},
    );
    expect(garbage.problem?.code).toBe('session_invalid');
    const jar = await signedIn(latchkey);
    const logout = jar.take(
      (await latchkey.handle(
        new Request(`${baseUrl}/auth/logout`, {
          method: 'POST',
          headers: { cookie: jar.header, origin: baseUrl, ...JSON_ACCEPT },
        }),
      ))!,
    );
    expect(logout.status).toBe(200);
    // The session cookie is gone; only the sign-out's state waits for the IdP's return.
    expect(jar.names()).toEqual(['lk_logout']);
  });

  it('reads no cookie as no session, and a session the store no longer has as signed out', async () => {
    const latchkey = latchkeyFor({ store: new MemorySessionStore() });
    const none = await latchkey.authenticate(new Request(`${baseUrl}/x`), () => {});
    expect([none.session, none.problem]).toEqual([null, undefined]);
    const jar = await signedIn(latchkey);
    const copy = jar.header;
    await latchkey.handle(
      new Request(`${baseUrl}/auth/logout`, {
        method: 'POST',
        headers: { cookie: copy, origin: baseUrl, ...JSON_ACCEPT },
      }),
    );
    const replay = await latchkey.authenticate(
      new Request(`${baseUrl}/x`, { headers: { cookie: copy } }),
      () => {},
    );
    expect(replay.problem?.code).toBe('session_revoked');
  });

  it('refuses a record the store returns for another session id', async () => {
    const store = new MemorySessionStore();
    const latchkey = latchkeyFor({ store });
    const alice = await signedIn(latchkey);
    const other = await signedIn(latchkey);
    const otherId = other.header.split('=')[1]!;
    const real = store.get.bind(store);
    store.get = () => real(otherId);
    const mixedUp = await contextOf(latchkey, alice, () => {});
    expect(mixedUp.session).toBeNull();
    expect(mixedUp.problem?.code).toBe('session_revoked');
  });

  it('keeps a store session for its lifetime, with a cookie that says how long', async () => {
    // A still clock: a slow machine crossing a second would otherwise shorten Max-Age.
    const start = Date.now();
    let offset = 0;
    const now = () => start + offset;
    const latchkey = latchkeyFor({ store: new MemorySessionStore({ now }), now });
    const jar = new CookieJar();
    const callback = await through(latchkey, jar, '/auth/login');
    const cookie = callback.headers.getSetCookie().find((line) => line.startsWith('lk_session='));
    expect(cookie).toMatch(/; Max-Age=86400(;|$)/);
    offset = 5000;
    expect((await contextOf(latchkey, jar, () => {})).session).not.toBeNull();
  });

  it('gives up waiting for another instance that holds the refresh lock, with store_unavailable', async () => {
    idp.expiresIn = 30;
    let offset = 0;
    const store = new MemorySessionStore();
    const latchkey = latchkeyFor({ store, now: () => Date.now() + offset });
    const jar = await signedIn(latchkey);
    // Another instance holds the lock and never finishes; time runs on 5 s at each look.
    store.lock = async () => {
      offset += 5000;
      return undefined;
    };
    const context = await contextOf(latchkey, jar, () => {});
    await expect(context.getAccessToken()).rejects.toMatchObject({
      code: 'store_unavailable',
      message: 'Timed out waiting for another instance to refresh the session.',
    });
  });

  it('refuses a session the store still returns after it expired', async () => {
    let offset = 0;
    // The store keeps real time; latchkey's clock runs ahead: the store returns the session late.
    const latchkey = latchkeyFor({
      store: new MemorySessionStore(),
      now: () => Date.now() + offset,
      session: { idleTimeout: 60 },
    });
    const jar = await signedIn(latchkey);
    expect((await contextOf(latchkey, jar, () => {})).session).not.toBeNull();
    offset = 61_000;
    const late = await contextOf(latchkey, jar, () => {});
    expect(late.session).toBeNull();
    expect(late.problem?.code).toBe('session_expired');
  });
});

describe('failures that name their cause and their fix', () => {
  const refused = async (latchkey: Latchkey) => {
    const response = await through(latchkey, new CookieJar(), '/auth/login');
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  it('says the IdP refused the client credentials (invalid_client) and fires login_failed with it', async () => {
    const events: string[] = [];
    const logged: string[] = [];
    const latchkey = latchkeyFor({
      clientSecret: 'not-the-registered-secret',
      onEvent: (event) => {
        if (event.type === 'login_failed') events.push(event.code);
      },
      debug: (line) => logged.push(line),
    });
    const { status, body } = await refused(latchkey);
    expect(status).toBe(500);
    expect(body.error).toBe('client_auth_failed');
    expect(body.message).toMatch(
      /refused this app's client credentials \(invalid_client, HTTP 401\)/,
    );
    expect(body.message).toMatch(/clientAuth/);
    expect(body.message).not.toContain('not-the-registered-secret');
    expect(events).toEqual(['client_auth_failed']);
    expect(logged.filter((line) => line.startsWith('sign-in failed'))).toEqual([
      `sign-in failed (client_auth_failed): ${body.message}`,
    ]);
  });

  it('names client_secret_post when an IdP refuses form-encoded Basic credentials with unauthorized_client', async () => {
    // The hostile OP compares Basic credentials unencoded, as glewlwyd does: "app-secret" travels
    // as "app%2Dsecret" (RFC 6749 section 2.3.1) and is refused with 403 unauthorized_client.
    idp.mode = 'raw-basic';
    const { status, body } = await refused(latchkeyFor());
    expect(status).toBe(500);
    expect(body.error).toBe('client_auth_failed');
    expect(body.message).toContain('(unauthorized_client, HTTP 403)');
    expect(body.message).toContain("try clientAuth: 'client_secret_post'");
    // The same IdP accepts the credentials in the body.
    const post = await through(
      latchkeyFor({ clientAuth: 'client_secret_post' }),
      new CookieJar(),
      '/auth/login',
    );
    expect(post.status).toBe(303);
  });

  it('does not suggest client_secret_post for credentials Basic sends as they are', async () => {
    const { body } = await refused(latchkeyFor({ clientSecret: 'wrongsecret' }));
    expect(body.error).toBe('client_auth_failed');
    expect(body.message).not.toContain("client_secret_post'");
  });

  it('logs an unexpected failure as internal_error without its message', async () => {
    const events: string[] = [];
    const logged: string[] = [];
    const latchkey = latchkeyFor({
      afterCallback: () => {
        throw new Error('a message that may hold anything');
      },
      onEvent: (event) => {
        if (event.type === 'login_failed') events.push(event.code);
      },
      debug: (line) => logged.push(line),
    });
    const { status, body } = await refused(latchkey);
    expect(status).toBe(500);
    expect(body.error).toBe('internal_error');
    expect(events).toEqual(['internal_error']);
    expect(logged.filter((line) => line.startsWith('sign-in failed'))).toEqual([
      'sign-in failed (internal_error): an unexpected error.',
    ]);
  });

  it('names the URL and the cause when the IdP refuses the connection or does not answer', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const page = await latchkeyFor({ issuer: closed }).handle(
      new Request(`${baseUrl}/auth/login`, { headers: JSON_ACCEPT }),
    );
    expect(page!.status).toBe(503);
    expect(await page!.json()).toEqual({
      error: 'idp_unreachable',
      message: `The IdP could not be reached at ${closed}/.well-known/openid-configuration (ECONNREFUSED): check \`issuer\` and that the IdP is running.`,
    });
    idp.mode = 'token-silent';
    const { status, body } = await refused(latchkeyFor({ idpTimeout: 300 }));
    expect(status).toBe(503);
    expect(body.message).toMatch(
      /^The IdP did not answer at http:\/\/127\.0\.0\.1:\d+\/token within 300 ms \(idpTimeout\)/,
    );
  });

  it('shows both issuers when the discovery document names another one', async () => {
    idp.mode = 'other-discovery-issuer';
    const page = await latchkeyFor().handle(
      new Request(`${baseUrl}/auth/login`, { headers: JSON_ACCEPT }),
    );
    expect(page!.status).toBe(502);
    const { message } = (await page!.json()) as { message: string };
    expect(message).toContain(
      `names the issuer '${idp.issuer}/other', but \`issuer\` is '${idp.issuer}/'`,
    );
  });

  it('accepts the issuer of a bare host with or without its trailing slash, as the message says', async () => {
    const jar = await signedIn(latchkeyFor({ issuer: `${idp.issuer}/` }));
    expect(jar.names()).toEqual(['lk_session']);
  });

  it.each<[HostileMode, RegExp]>([
    [
      'future-iat',
      /^The ID token was issued 1[12]\d s in the future, beyond clockTolerance \(30 s\): the clock/,
    ],
    ['expired', /^The ID token expired 36\d\d s ago, beyond clockTolerance \(30 s\): the clock/],
  ])(
    'refuses an ID token whose times are off by more than clockTolerance (%s) and names the clock',
    async (mode, message) => {
      idp.mode = mode;
      const { status, body } = await refused(latchkeyFor());
      expect(status).toBe(401);
      expect(body.error).toBe('id_token_invalid');
      expect(body.message).toMatch(message);
      expect(body.message).toContain('raise clockTolerance');
    },
  );

  it('accepts an ID token issued within clockTolerance of now', async () => {
    idp.mode = 'future-iat';
    const jar = await signedIn(latchkeyFor({ clockTolerance: 150 }));
    expect(jar.names()).toEqual(['lk_session']);
  });
});
