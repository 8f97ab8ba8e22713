// The passkey routes core mounts for `createLatchkey({ passkeys })`, through latchkey's
// Web-standard entry: a user signed in at test-utils' hostile IdP (in its well-behaved mode)
// registers, lists, renames and removes passkeys with the tests' software authenticator.
import { createLatchkey, type Latchkey } from '@latchkey/core';
import { CookieJar, type HostileIdp, startHostileIdp } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasskeys, MemoryCredentialStore } from '../src/index';
import { SoftwareAuthenticator } from './authenticator';

const app = 'http://localhost:3999';
const client = { clientId: 'app', clientSecret: 'app-secret' };
let idp: HostileIdp;
beforeAll(async () => {
  idp = await startHostileIdp({ ...client, claims: { name: 'Alice', email: 'alice@example.com' } });
});
afterAll(() => idp.stop());

/** An app with passkeys, and a browser signed in to it. */
async function signedIn() {
  const latchkey = createLatchkey({
    issuer: idp.issuer,
    ...client,
    baseUrl: app,
    secrets: ['passkey-routes-secret-passkey-routes-1'],
    passkeys: createPasskeys({ baseUrl: app, credentials: new MemoryCredentialStore() }),
  });
  const jar = new CookieJar();
  const login = jar.take((await latchkey.fetch(new Request(`${app}/auth/login`)))!);
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  const callback = await latchkey.fetch(
    new Request(authorize.headers.get('location')!, { headers: { cookie: jar.header } }),
  );
  expect(jar.take(callback!).status).toBe(303);
  /** Calls a passkey route as the app's own script would. */
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
  return { latchkey, jar, call };
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
    const latchkey: Latchkey = createLatchkey({
      issuer: idp.issuer,
      ...client,
      baseUrl: app,
      secrets: ['passkey-routes-secret-passkey-routes-1'],
    });
    expect(await latchkey.fetch(new Request(`${app}/auth/passkeys`))).toBeUndefined();
  });
});
