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
/** The fields of a WebAuthn response an input may replace. */
const FIELDS = [
  'id',
  'rawId',
  'type',
  'clientExtensionResults',
  'response.clientDataJSON',
  'response.attestationObject',
  'response.authenticatorData',
  'response.signature',
  'response.userHandle',
  'response.transports',
] as const;
/** One input: a route, and either changes to the valid response of a fresh ceremony or any text. */
const input = fc.tuple(
  fc.constantFrom('register', 'sign-in', 'step-up', 'rename'),
  fc.oneof(
    fc
      .dictionary(fc.constantFrom(...FIELDS), fc.oneof(fc.base64String({ maxLength: 160 }), json), {
        maxKeys: 3,
      })
      .map((changes) => ({ changes })),
    fc.string({ unit: 'binary', maxLength: 120 }).map((raw) => ({ raw })),
  ),
);

/** `response` with `changes` made (a copy). */
function changed(response: unknown, changes: Record<string, unknown>): unknown {
  const copy = JSON.parse(JSON.stringify(response)) as Record<string, Record<string, unknown>>;
  for (const [path, value] of Object.entries(changes)) {
    const [outer, inner] = path.split('.') as [string, string | undefined];
    if (inner === undefined) copy[outer] = value as Record<string, unknown>;
    else copy[outer] = { ...copy[outer], [inner]: value };
  }
  return copy;
}

it('answers any JSON body of the passkey routes with a typed answer', async () => {
  const latchkey = createLatchkey({
    issuer: idp.issuer,
    clientId: 'app',
    clientSecret: 'app-secret',
    baseUrl: app,
    secrets: ['passkey-fuzz-secret-passkey-fuzz-0001'],
    acrLevels: [MFA],
    passkeys: createPasskeys({
      baseUrl: app,
      credentials: new MemoryCredentialStore(),
      secrets: ['passkey-test-secret-passkey-test-secret-01'],
    }),
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
  const registered = await call('POST', '/register/verify', JSON.stringify(registration));
  expect(registered.status).toBe(201);
  const { id } = (await registered.json()) as { id: string };
  /** A typed answer: below 500, and a 4xx names its error code. */
  const typed = async (answer: Response) => {
    expect(answer.status, await answer.clone().text()).toBeLessThan(500);
    if (answer.status >= 400) expect((await answer.json()).error).toMatch(/^[a-z_]+$/);
  };
  /**
   * The route, and a valid response of a fresh ceremony there (each input gets its challenge);
   * or the answer of the options route when it refused (e.g. once the sign-in is too old to add
   * a passkey without stepping up), which must be typed too.
   */
  const ceremony = async (route: string): Promise<[string, string, unknown] | Response> => {
    if (route === 'rename') return ['PATCH', `/${id}`, { name: 'laptop' }];
    const query = route === 'step-up' ? '?purpose=step-up' : '';
    const options = await call(
      'POST',
      route === 'register' ? '/register/options' : `/authenticate/options${query}`,
    );
    if (options.status !== 200) return options;
    const json = await options.json();
    return route === 'register'
      ? ['POST', '/register/verify', device.register(json)]
      : ['POST', `/authenticate/verify${query}`, device.authenticate(json)];
  };
  await fuzz(input, async ([route, given]) => {
    const started = await ceremony(route);
    if (started instanceof Response) return typed(started);
    const [method, path, valid] = started;
    const body = 'raw' in given ? given.raw : JSON.stringify(changed(valid, given.changes));
    const answer = await call(method, path, body);
    await typed(answer);
    // A passkey an input registered is removed again: a user with thousands of passkeys would
    // make every later ceremony slower than the property allows.
    if (answer.status === 201) {
      expect((await call('DELETE', `/${(await answer.json()).id}`)).status).toBe(204);
    }
  });
});
