// The JSON bodies of the passkey routes, from a signed-in browser (as the app's own script): any
// body gets a 4xx naming its code, or a valid answer; never a 5xx or another exception, never
// longer than 100 ms. The test IdP is test-utils' hostile IdP in its well-behaved mode; the
// responses are built from the options each route gives, with every field open to change.
import { createLatchkey } from '@latchkey/core';
import {
  CookieJar,
  fuzz,
  type HostileIdp,
  SoftwareAuthenticator,
  startHostileIdp,
} from '@latchkey/test-utils';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPasskeys, MemoryCredentialStore } from '../src/index';

const app = 'http://localhost:3998';
const MFA = 'urn:latchkey:acr:mfa';
let idp: HostileIdp;
beforeAll(async () => {
  idp = await startHostileIdp({
    clientId: 'app',
    clientSecret: 'app-secret',
    claims: { acr: MFA },
  });
});
afterAll(() => idp.stop());

const json = fc.jsonValue({ maxDepth: 3 });
/** A WebAuthn response as a browser sends it, each field valid or anything. */
const response = (valid: Record<string, unknown>) =>
  fc.oneof(
    json,
    fc.record({
      id: fc.oneof(fc.constant(valid.id), fc.base64String({ maxLength: 40 }), json),
      rawId: fc.oneof(fc.constant(valid.rawId), json),
      type: fc.oneof(fc.constant('public-key'), json),
      response: fc.oneof(
        fc.constant(valid.response),
        fc.dictionary(
          fc.constantFrom(
            'clientDataJSON',
            'attestationObject',
            'authenticatorData',
            'signature',
            'userHandle',
          ),
          fc.oneof(fc.base64String({ maxLength: 80 }), json),
        ),
      ),
      clientExtensionResults: fc.oneof(fc.constant({}), json),
    }),
  );

it('answers any JSON body of the passkey routes with a typed answer', async () => {
  const latchkey = createLatchkey({
    issuer: idp.issuer,
    clientId: 'app',
    clientSecret: 'app-secret',
    baseUrl: app,
    secrets: ['passkey-fuzz-secret-passkey-fuzz-0001'],
    acrLevels: [MFA],
    passkeys: createPasskeys({ baseUrl: app, credentials: new MemoryCredentialStore() }),
    stepUp: { passkey: { acr: MFA } },
  });
  const jar = new CookieJar();
  const login = jar.take((await latchkey.fetch(new Request(`${app}/auth/login`)))!);
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  jar.take(
    (await latchkey.fetch(
      new Request(authorize.headers.get('location')!, { headers: { cookie: jar.header } }),
    ))!,
  );
  const call = async (method: string, path: string, body?: string) =>
    jar.take(
      (await latchkey.fetch(
        new Request(`${app}/auth/passkeys${path}`, {
          method,
          headers: {
            cookie: jar.header,
            origin: app,
            accept: 'application/json',
            'content-type': 'application/json',
          },
          ...(body === undefined ? {} : { body }),
        }),
      ))!,
    );
  const device = new SoftwareAuthenticator({ origin: app });
  const registration = device.register(await (await call('POST', '/register/options')).json());
  expect((await call('POST', '/register/verify', JSON.stringify(registration))).status).toBe(201);
  const assertion = device.authenticate(
    await (await call('POST', '/authenticate/options?purpose=step-up')).json(),
  );
  const routes = fc.constantFrom(
    ['POST', '/register/verify', registration],
    ['POST', '/authenticate/verify', assertion],
    ['POST', '/authenticate/verify?purpose=step-up', assertion],
    ['PATCH', '/abc', { name: 'x' }],
  ) as fc.Arbitrary<[string, string, Record<string, unknown>]>;
  const input = routes.chain(([method, path, valid]) =>
    fc.tuple(
      fc.constant(method),
      fc.constant(path),
      fc.oneof(
        response(valid).map((body) => JSON.stringify(body)),
        fc.string({ unit: 'binary', maxLength: 80 }),
      ),
    ),
  );
  await fuzz('passkey JSON bodies', input, async ([method, path, body]) => {
    const answer = await call(method, path, body);
    expect(answer.status, await answer.clone().text()).toBeLessThan(500);
    if (answer.status >= 400) expect((await answer.json()).error).toMatch(/^[a-z_]+$/);
  });
});
