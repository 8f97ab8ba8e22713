// The passkey routes core mounts for `createLatchkey({ passkeys })`, through latchkey's
// Web-standard entry: a user signed in at test-utils' hostile IdP (in its well-behaved mode)
// registers, lists, renames and removes passkeys with the tests' software authenticator.
import {
  createLatchkey,
  type Latchkey,
  type LatchkeyEvent,
  type LatchkeyOptions,
  MemorySessionStore,
  requireStepUp,
} from '@latchkey/core';
import {
  CookieJar,
  type HostileIdp,
  SoftwareAuthenticator,
  startHostileIdp,
} from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasskeys, MemoryCredentialStore } from '../src/index';

const app = 'http://localhost:3999';
const client = { clientId: 'app', clientSecret: 'app-secret' };
let idp: HostileIdp;
beforeAll(async () => {
  idp = await startHostileIdp({ ...client, claims: { name: 'Alice', email: 'alice@example.com' } });
});
afterAll(() => idp.stop());

const PWD = 'urn:latchkey:acr:pwd';
const MFA = 'urn:latchkey:acr:mfa';

/** latchkey at `baseUrl` signing in at the test IdP, with `more` options. */
const appAt = (more: Partial<LatchkeyOptions>, baseUrl = app): Latchkey =>
  createLatchkey({
    issuer: idp.issuer,
    ...client,
    baseUrl,
    secrets: ['passkey-routes-secret-passkey-routes-1'],
    ...more,
  });

/** Passkeys of `baseUrl` in memory. */
const memoryPasskeys = (baseUrl = app, credentials = new MemoryCredentialStore()) =>
  createPasskeys({ baseUrl, credentials, secrets: ['passkey-test-secret-passkey-test-secret-01'] });

/** An app with passkeys (proving `MFA`), recording its audit events. */
function passkeyApp(more: Partial<LatchkeyOptions> = {}) {
  const events: LatchkeyEvent[] = [];
  const latchkey = appAt({
    acrLevels: [PWD, MFA],
    passkeys: memoryPasskeys(),
    stepUp: { passkey: { acr: MFA } },
    onEvent: (event) => events.push(event),
    ...more,
  });
  return { latchkey, events };
}

/** A browser of `latchkey` (its cookie jar), calling passkey routes as the app's own script. */
function browserOf(latchkey: Latchkey, jar = new CookieJar()) {
  const call = async (method: string, path: string, body?: unknown, from = app) =>
    jar.take(
      (await latchkey.fetch(
        new Request(`${app}/auth/passkeys${path}`, {
          method,
          headers: {
            cookie: jar.header,
            origin: from,
            accept: 'application/json',
            'content-type': 'application/json',
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      ))!,
    );
  /** The browser's session as the app sees it. */
  const session = async () =>
    (await latchkey.sessionOf(new Request(`${app}/`, { headers: { cookie: jar.header } }))).auth;
  return { jar, call, session };
}

/** Registers a passkey on a new software authenticator with the browser's signed-in user. */
async function addPasskey(call: ReturnType<typeof browserOf>['call']) {
  const device = new SoftwareAuthenticator({ origin: app });
  const options = await (await call('POST', '/register/options')).json();
  const registered = await call('POST', '/register/verify', device.register(options));
  expect(registered.status).toBe(201);
  return { device, passkey: await registered.json() };
}

/**
 * An app with passkeys, and a browser signed in to it at the IdP at `acr` (default: the passkey
 * level, which adding a passkey needs).
 */
async function signedIn(existing?: ReturnType<typeof passkeyApp>, acr = MFA) {
  const { latchkey, events } = existing ?? passkeyApp();
  idp.claims = { ...idp.claims, acr };
  const jar = new CookieJar();
  const login = jar.take((await latchkey.fetch(new Request(`${app}/auth/login`)))!);
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  const callback = await latchkey.fetch(
    new Request(authorize.headers.get('location')!, { headers: { cookie: jar.header } }),
  );
  expect(jar.take(callback!).status).toBe(303);
  return { latchkey, events, ...browserOf(latchkey, jar) };
}

describe('passkey routes', () => {
  it('registers, lists, renames and removes a passkey of the signed-in user', async () => {
    const { call } = await signedIn();
    const options = await call('POST', '/register/options');
    expect(options.status).toBe(200);
    expect(options.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^lk_pk=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/),
    ]);
    const optionsJSON = await options.json();
    expect(optionsJSON.user).toMatchObject({ name: 'alice@example.com', displayName: 'Alice' });
    const device = new SoftwareAuthenticator({ origin: app });
    const registered = await call('POST', '/register/verify', device.register(optionsJSON));
    expect(registered.status).toBe(201);
    const passkey = await registered.json();
    expect(passkey).toMatchObject({ id: Buffer.from(device.held[0]!.id).toString('base64url') });
    expect(passkey).not.toHaveProperty('publicKey');

    const listed = await call('GET', '');
    expect(await listed.json()).toEqual([passkey]);
    expect((await call('PATCH', `/${passkey.id}`, { name: 'Work laptop' })).status).toBe(204);
    expect((await (await call('GET', '')).json())[0]).toMatchObject({ name: 'Work laptop' });
    expect((await call('DELETE', `/${passkey.id}`)).status).toBe(204);
    expect(await (await call('GET', '')).json()).toEqual([]);
    const gone = await call('DELETE', `/${passkey.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: 'passkey_not_found' });
  });

  it('refuses signed-out requests, foreign origins and non-JSON bodies', async () => {
    const { latchkey, jar, call } = await signedIn();
    const signedOut = await latchkey.fetch(
      new Request(`${app}/auth/passkeys`, { headers: { accept: 'application/json' } }),
    );
    expect(signedOut!.status).toBe(401);
    expect(await signedOut!.json()).toMatchObject({ error: 'unauthenticated' });
    const foreign = await call('POST', '/register/options', undefined, 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: 'origin_mismatch' });
    const options = await (await call('POST', '/register/options')).json();
    expect(options.challenge).toBeTypeOf('string');
    const notJson = await latchkey.fetch(
      new Request(`${app}/auth/passkeys/register/verify`, {
        method: 'POST',
        headers: { cookie: jar.header, origin: app, accept: 'application/json' },
        body: 'x',
      }),
    );
    expect(notJson!.status).toBe(400);
    expect(await notJson!.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('does not mount the routes without the passkeys option', async () => {
    const latchkey = appAt({});
    expect(await latchkey.fetch(new Request(`${app}/auth/passkeys`))).toBeUndefined();
  });
});

describe('passkey sign-in and step-up routes', () => {
  it('signs in with a passkey: a new session from the stored profile, at the passkey level', async () => {
    const { latchkey, events, call, session, jar } = await signedIn();
    const { device } = await addPasskey(call);
    const before = await session();
    const options = await call('POST', '/authenticate/options');
    expect(options.status).toBe(200);
    const optionsJSON = await options.json();
    expect(optionsJSON).not.toHaveProperty('allowCredentials');
    const answer = await call('POST', '/authenticate/verify', device.authenticate(optionsJSON));
    expect(answer.status).toBe(200);
    const started = Math.floor(Date.now() / 1000);
    expect(await answer.json()).toMatchObject({
      authenticated: true,
      user: { sub: 'hostile-user', name: 'Alice', email: 'alice@example.com' },
      acr: MFA,
      amr: ['hwk', 'user'],
      authTime: expect.toBeOneOf([started, started - 1]),
    });
    const after = await session();
    expect(after.session?.sessionId).not.toBe(before.session?.sessionId);
    expect(after.session?.user.sub).toBe('hostile-user');
    // The IdP took no part: there is no access token, and getAccessToken says why.
    await expect(after.getAccessToken()).rejects.toMatchObject({
      code: 'access_token_unavailable',
      status: 401,
    });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'login', sub: 'hostile-user', method: 'passkey', acr: MFA }),
    );
    // A passkey session has no IdP session to end: sign-out goes straight to the app's page.
    const logout = await latchkey.fetch(
      new Request(`${app}/auth/logout`, {
        method: 'POST',
        headers: { cookie: jar.header, origin: app, accept: 'application/json' },
      }),
    );
    expect(await logout!.json()).toEqual({ redirectTo: `${app}/` });
  });

  it('signs a fresh browser in, and a removed passkey can no longer sign in', async () => {
    const { latchkey, call } = await signedIn();
    const { device, passkey } = await addPasskey(call);
    const fresh = browserOf(latchkey);
    const options = await (await fresh.call('POST', '/authenticate/options')).json();
    const assertion = device.authenticate(options);
    expect((await fresh.call('POST', '/authenticate/verify', assertion)).status).toBe(200);
    expect((await fresh.session()).session?.amr).toEqual(['hwk', 'user']);
    // Replaying the same assertion: the challenge was used.
    const replayed = await fresh.call('POST', '/authenticate/verify', assertion);
    expect(await replayed.json()).toMatchObject({ error: 'passkey_challenge_replayed' });

    expect((await call('DELETE', `/${passkey.id}`)).status).toBe(204);
    const later = browserOf(latchkey);
    const again = await (await later.call('POST', '/authenticate/options')).json();
    const refused = await later.call('POST', '/authenticate/verify', device.authenticate(again));
    expect(refused.status).toBe(404);
    expect(await refused.json()).toMatchObject({ error: 'passkey_not_found' });
    expect((await later.session()).session).toBeNull();
  });

  it('runs the app afterCallback on a passkey sign-in too', async () => {
    const passkeys = memoryPasskeys();
    const { call } = await signedIn({ latchkey: appAt({ passkeys }), events: [] });
    const { device } = await addPasskey(call);
    const refusing = appAt({ passkeys, afterCallback: () => false });
    const browser = browserOf(refusing);
    const challenge = await (await browser.call('POST', '/authenticate/options')).json();
    const refused = await browser.call(
      'POST',
      '/authenticate/verify',
      device.authenticate(challenge),
    );
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'access_denied' });
    expect((await browser.session()).session).toBeNull();
  });

  it('steps the session up: acr raised, auth_time now, amr added, a new session id', async () => {
    const shared = passkeyApp();
    const { device } = await addPasskey((await signedIn(shared)).call);
    // Later, signed in with the password only.
    const { latchkey, call, session, jar } = await signedIn(shared, PWD);
    const oldCookie = jar.header;
    const before = await session();
    expect(requireStepUp(before, { acr: MFA, maxAge: 300 })).toBeInstanceOf(Response);

    const options = await (await call('POST', '/authenticate/options?purpose=step-up')).json();
    expect(options.allowCredentials).toHaveLength(1);
    const answer = await call(
      'POST',
      '/authenticate/verify?purpose=step-up',
      device.authenticate(options),
    );
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ acr: MFA, amr: ['hwk', 'user'] });
    const after = await session();
    expect(after.session?.sessionId).not.toBe(before.session?.sessionId);
    expect(after.session?.authTime).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 1);
    expect(requireStepUp(after, { acr: MFA, maxAge: 300 })).toBeUndefined();
    // The IdP's tokens stay: the raised session still calls APIs.
    await expect(after.getAccessToken()).resolves.toBeTypeOf('string');
    // The cookie from before the step-up no longer works.
    const { auth } = await latchkey.sessionOf(
      new Request(`${app}/`, { headers: { cookie: oldCookie } }),
    );
    expect(auth.session).toBeNull();
    expect(auth.problem?.code).toBe('session_revoked');
  });

  it("refuses another user's passkey for a step-up, and the session stays as it was", async () => {
    const shared = passkeyApp();
    const alice = await signedIn(shared);
    await addPasskey(alice.call);
    idp.mode = 'other-sub';
    const bob = await signedIn(shared).finally(() => {
      idp.mode = 'valid';
    });
    const { device: bobs, passkey } = await addPasskey(bob.call);
    expect((await bob.session()).session?.user.sub).toBe('other-hostile-user');

    const before = await alice.session();
    const options = await (
      await alice.call('POST', '/authenticate/options?purpose=step-up')
    ).json();
    const answer = bobs.authenticate(options, { useCredential: passkey.id });
    const refused = await alice.call('POST', '/authenticate/verify?purpose=step-up', answer);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'passkey_not_allowed' });
    expect(refused.headers.getSetCookie()).toEqual([]);
    const after = await alice.session();
    expect(after.session?.sessionId).toBe(before.session?.sessionId);
    expect(after.session?.acr).toBe(before.session?.acr);
  });

  it('refuses passkey step-up when signed out, and when no passkey level is configured', async () => {
    const { latchkey } = passkeyApp();
    const signedOut = await browserOf(latchkey).call(
      'POST',
      '/authenticate/options?purpose=step-up',
    );
    expect(signedOut.status).toBe(401);
    const unconfigured = appAt({ passkeys: memoryPasskeys() });
    const { call } = await signedIn({ latchkey: unconfigured, events: [] });
    const off = await call('POST', '/authenticate/options?purpose=step-up');
    expect(off.status).toBe(500);
    expect(await off.json()).toMatchObject({ error: 'config_invalid' });
    const odd = await call('POST', '/authenticate/options?purpose=admin');
    expect(await odd.json()).toMatchObject({ error: 'invalid_request' });
    const foreign = await call('POST', '/authenticate/options', undefined, 'https://evil.example');
    expect(foreign.status).toBe(403);
  });

  it('keeps passkey sessions in a session store too, and ends the stored one a step-up replaces', async () => {
    const store = new MemorySessionStore();
    const { call, session, jar, latchkey } = await signedIn(passkeyApp({ store }));
    const { device } = await addPasskey(call);
    const oldCookie = jar.header;
    const options = await (await call('POST', '/authenticate/options?purpose=step-up')).json();
    const raised = await call(
      'POST',
      '/authenticate/verify?purpose=step-up',
      device.authenticate(options),
    );
    expect(raised.status).toBe(200);
    expect((await session()).session).toMatchObject({ acr: MFA, amr: ['hwk', 'user'] });
    const { auth } = await latchkey.sessionOf(
      new Request(`${app}/`, { headers: { cookie: oldCookie } }),
    );
    expect(auth.session).toBeNull();

    const fresh = browserOf(latchkey);
    const request = await (await fresh.call('POST', '/authenticate/options')).json();
    expect(
      (await fresh.call('POST', '/authenticate/verify', device.authenticate(request))).status,
    ).toBe(200);
    expect((await fresh.session()).session?.user).toMatchObject({ name: 'Alice' });
  });

  it('refuses foreign origins on every write, and records each passkey event', async () => {
    const { call, events, latchkey } = await signedIn();
    const { device, passkey } = await addPasskey(call);
    const evil = 'https://evil.example';
    const stepUp = await (await call('POST', '/authenticate/options?purpose=step-up')).json();
    for (const [method, path, body] of [
      ['POST', '/register/verify', {}],
      ['POST', '/authenticate/verify', device.authenticate(stepUp)],
      ['POST', '/authenticate/verify?purpose=step-up', device.authenticate(stepUp)],
      ['PATCH', `/${passkey.id}`, { name: 'x' }],
    ] as const) {
      const refused = await call(method, path, body, evil);
      expect([method, path, refused.status]).toEqual([method, path, 403]);
    }
    const raised = await call(
      'POST',
      '/authenticate/verify?purpose=step-up',
      device.authenticate(
        await (await call('POST', '/authenticate/options?purpose=step-up')).json(),
      ),
    );
    expect(raised.status).toBe(200);
    expect((await call('DELETE', `/${passkey.id}`)).status).toBe(204);
    const sub = 'hostile-user';
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'passkey_registered', sub },
        expect.objectContaining({ type: 'passkey_step_up', sub, acr: MFA }),
        { type: 'passkey_removed', sub },
      ]),
    );
    // A failed passkey sign-in (with the removed passkey) is an event too.
    const fresh = browserOf(latchkey);
    const options = await (await fresh.call('POST', '/authenticate/options')).json();
    const removed = device.authenticate(options);
    expect((await fresh.call('POST', '/authenticate/verify', removed)).status).toBe(404);
    expect(events).toContainEqual({
      type: 'login_failed',
      code: 'passkey_not_found',
      method: 'passkey',
    });
  });

  it('refuses a passkey sign-in when no profile is stored for its user', async () => {
    /** A store that lost its profiles (say, a partial restore of a backup). */
    class NoProfiles extends MemoryCredentialStore {
      override async getProfile() {
        return undefined;
      }
    }
    const lines: string[] = [];
    const latchkey = appAt({
      passkeys: memoryPasskeys(app, new NoProfiles()),
      debug: (line) => lines.push(line),
    });
    const { call } = await signedIn({ latchkey, events: [] });
    const { device } = await addPasskey(call);
    const fresh = browserOf(latchkey);
    const options = await (await fresh.call('POST', '/authenticate/options')).json();
    const refused = await fresh.call('POST', '/authenticate/verify', device.authenticate(options));
    expect(refused.status).toBe(404);
    expect(await refused.json()).toMatchObject({ error: 'passkey_not_found' });
    expect((await fresh.session()).session).toBeNull();
    expect(lines.filter((line) => line.startsWith('passkey sign-in failed'))).toEqual([
      expect.stringMatching(/^passkey sign-in failed \(passkey_not_found\): /),
    ]);
    expect(lines.join()).not.toMatch(/Alice|alice@example\.com/);
  });

  it('adds a passkey only after a recent step-up to the passkey level', async () => {
    const { call } = await signedIn(passkeyApp(), PWD);
    const refused = await call('POST', '/register/options');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    expect(refused.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_user_authentication", .*acr_values="urn:latchkey:acr:mfa", max_age=300$/,
    );
    expect((await call('POST', '/register/verify', {})).status).toBe(401);
    // At the level, but 10 minutes ago.
    const later = passkeyApp({ now: () => Date.now() + 600_000 });
    const stale = await signedIn(later);
    expect((await stale.call('POST', '/register/options')).status).toBe(401);
    // Without a passkey level, a recent authentication at any level will do.
    const plain = appAt({ passkeys: memoryPasskeys() });
    expect(
      (
        await (
          await signedIn({ latchkey: plain, events: [] }, PWD)
        ).call('POST', '/register/options')
      ).status,
    ).toBe(200);
  });

  it('gives no level to a passkey that did not verify the user, and no step-up', async () => {
    const { latchkey } = passkeyApp({
      passkeys: createPasskeys({
        secrets: ['passkey-test-secret-passkey-test-secret-01'],
        baseUrl: app,
        credentials: new MemoryCredentialStore(),
        userVerification: 'preferred',
      }),
    });
    const { call } = await signedIn({ latchkey, events: [] });
    const { device } = await addPasskey(call);
    const options = await (await call('POST', '/authenticate/options?purpose=step-up')).json();
    const touched = await call(
      'POST',
      '/authenticate/verify?purpose=step-up',
      device.authenticate(options, { uv: false }),
    );
    expect(touched.status).toBe(401);
    expect(await touched.json()).toMatchObject({ error: 'passkey_user_verification_required' });
    const fresh = browserOf(latchkey);
    const request = await (await fresh.call('POST', '/authenticate/options')).json();
    const signedInByTouch = await fresh.call(
      'POST',
      '/authenticate/verify',
      device.authenticate(request, { uv: false }),
    );
    expect(await signedInByTouch.json()).toMatchObject({
      authenticated: true,
      acr: null,
      amr: ['hwk'],
    });
  });

  it('binds ceremonies with a __Host- Secure cookie on https', async () => {
    const secureApp = 'https://app.example.com';
    const latchkey = appAt({ passkeys: memoryPasskeys(secureApp) }, secureApp);
    const options = await latchkey.fetch(
      new Request(`${secureApp}/auth/passkeys/authenticate/options`, {
        method: 'POST',
        headers: { origin: secureApp, accept: 'application/json' },
      }),
    );
    expect(options!.status).toBe(200);
    expect(options!.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^__Host-lk_pk=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/),
    ]);
  });

  it('leaves the session as it was when the raised one cannot be saved', async () => {
    /** A store that goes down on demand (a test double: a real outage cannot be timed). */
    class FlakyStore extends MemorySessionStore {
      down = false;
      override async set(...args: Parameters<MemorySessionStore['set']>) {
        if (this.down) throw new Error('the store is down');
        return super.set(...args);
      }
    }
    const store = new FlakyStore();
    const { call, session } = await signedIn(passkeyApp({ store }));
    const { device } = await addPasskey(call);
    const before = await session();
    const options = await (await call('POST', '/authenticate/options?purpose=step-up')).json();
    store.down = true;
    const failed = await call(
      'POST',
      '/authenticate/verify?purpose=step-up',
      device.authenticate(options),
    );
    store.down = false;
    expect(failed.status).toBe(503);
    expect((await session()).session?.sessionId).toBe(before.session?.sessionId);
  });
});
