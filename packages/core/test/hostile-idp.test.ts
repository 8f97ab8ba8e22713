// Tests against a deliberately malicious IdP (test-utils' hostile provider): no real IdP can be
// made to sign bad tokens on demand, so this is the one place a fake provider is used.
import { randomBytes } from 'node:crypto';
import { type HostileIdp, type HostileMode, startSilentServer } from '@latchkey/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLatchkey, idpPresets, type Latchkey } from '../src/index';
import { transactionSlot } from '../src/transaction';
import { baseUrl, secrets, useHostileIdp } from './hostile';

const hostile = useHostileIdp();
let idp: HostileIdp;
beforeAll(() => {
  idp = hostile.idp;
});

function latchkeyFor(issuer: string, overrides: { idpTimeout?: number } = {}): Latchkey {
  return createLatchkey({
    issuer,
    clientId: 'app',
    clientSecret: 'app-secret',
    baseUrl,
    secrets,
    ...overrides,
  });
}

const cookieHeader = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');

/** Runs login -> IdP authorize -> callback, returning the callback response. */
async function signIn(latchkey: Latchkey, mode: HostileMode): Promise<Response> {
  idp.mode = mode;
  const login = (await latchkey.handle(new Request(`${baseUrl}/auth/login?returnTo=/profile`)))!;
  expect(login.status).toBe(302);
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  expect(authorize.status).toBe(302);
  const callback = authorize.headers.get('location')!;
  expect(callback.startsWith(`${baseUrl}/auth/callback?`)).toBe(true);
  return (await latchkey.handle(
    new Request(callback, { headers: { cookie: cookieHeader(login), accept: 'application/json' } }),
  ))!;
}

const sessionCookieWritten = (response: Response) =>
  response.headers.getSetCookie().some((line) => line.startsWith('lk_session'));

describe('callback against a hostile IdP', () => {
  it('accepts a well-formed response and starts a session', async () => {
    const response = await signIn(latchkeyFor(idp.issuer), 'valid');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/profile');
    expect(sessionCookieWritten(response)).toBe(true);
  });

  it.each<[HostileMode, number, string]>([
    ['bad-signature', 401, 'id_token_invalid'],
    ['alg-none', 401, 'id_token_invalid'],
    ['wrong-aud', 401, 'id_token_invalid'],
    ['wrong-iss', 401, 'id_token_invalid'],
    ['untrusted-extra-aud', 401, 'id_token_invalid'],
    ['extra-aud-wrong-azp', 401, 'id_token_invalid'],
    ['expired', 401, 'id_token_invalid'],
    ['nonce-mismatch', 401, 'id_token_invalid'],
    ['missing-kid', 401, 'id_token_invalid'],
    ['access-denied', 403, 'access_denied'],
    ['wrong-iss-param', 400, 'issuer_mismatch'],
    ['no-iss-param', 400, 'issuer_mismatch'],
  ])('refuses %s with %i %s and writes no session', async (mode, status, code) => {
    const response = await signIn(latchkeyFor(idp.issuer), mode);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error: code });
    expect(sessionCookieWritten(response)).toBe(false);
    // The transaction cookie is cleared whatever failed.
    expect(
      response.headers.getSetCookie().some((line) => /^lk_tx\.[^=]+=; .*Max-Age=0/.test(line)),
    ).toBe(true);
  });
});

describe('discovery', () => {
  it('refuses a discovery document whose issuer is not the configured one', async () => {
    const latchkey = latchkeyFor(idp.issuer.replace('127.0.0.1', 'localhost'));
    const response = (await latchkey.handle(
      new Request(`${baseUrl}/auth/login`, { headers: { accept: 'application/json' } }),
    ))!;
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: 'idp_invalid_response' });
  });
});

describe('IdP availability', () => {
  it('creates an instance while the IdP is down and fails sign-in with idp_unreachable', async () => {
    const latchkey = latchkeyFor('http://127.0.0.1:9', { idpTimeout: 1000 });
    const response = (await latchkey.handle(
      new Request(`${baseUrl}/auth/login`, { headers: { accept: 'application/json' } }),
    ))!;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'idp_unreachable' });
  });

  it('answers idp_unreachable within the timeout when the IdP accepts connections but never answers', async () => {
    const silent = await startSilentServer();
    try {
      const latchkey = latchkeyFor(silent.url, { idpTimeout: 500 });
      const started = Date.now();
      const response = (await latchkey.handle(new Request(`${baseUrl}/auth/login`)))!;
      expect(Date.now() - started).toBeLessThan(2000);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('idp_unreachable');
    } finally {
      await silent.stop();
    }
  });
});

describe('https base URL', () => {
  it('uses __Host- cookies with Secure for the transaction and the session', async () => {
    const base = 'https://app.example.com';
    const latchkey = createLatchkey({
      issuer: idp.issuer,
      clientId: 'app',
      clientSecret: 'app-secret',
      baseUrl: base,
      secrets,
    });
    idp.mode = 'valid';
    const login = (await latchkey.handle(new Request(`${base}/auth/login`)))!;
    const [transaction] = login.headers.getSetCookie();
    expect(transaction).toMatch(
      /^__Host-lk_tx\.[\w-]+=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/,
    );
    const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
    const callback = (await latchkey.handle(
      new Request(authorize.headers.get('location')!, { headers: { cookie: cookieHeader(login) } }),
    ))!;
    expect(callback.status).toBe(303);
    const session = callback.headers
      .getSetCookie()
      .find((line) => line.startsWith('__Host-lk_session='));
    expect(session).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
  });
});

describe('transactions and replaced sessions', () => {
  it('keeps sign-ins started one after another in five slots, and a sixth takes one of them', async () => {
    const latchkey = latchkeyFor(idp.issuer);
    const jar = new Map<string, string>();
    const start = async () => {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const login = (await latchkey.handle(
        new Request(`${baseUrl}/auth/login`, { headers: { cookie } }),
      ))!;
      const lines = login.headers.getSetCookie();
      expect(lines).toHaveLength(1);
      const [name, value] = lines[0]!.split(';')[0]!.split('=') as [string, string];
      jar.set(name, value);
    };
    for (let i = 0; i < 5; i++) await start();
    expect([...jar.keys()].sort()).toEqual(['lk_tx.0', 'lk_tx.1', 'lk_tx.2', 'lk_tx.3', 'lk_tx.4']);
    await start();
    expect(jar.size).toBe(5);
  });

  it("leaves another sign-in's transaction in place when a callback does not match it", async () => {
    idp.mode = 'valid';
    const latchkey = latchkeyFor(idp.issuer);
    const login = (await latchkey.handle(new Request(`${baseUrl}/auth/login`)))!;
    const cookie = cookieHeader(login);
    const slot = cookie.slice(0, cookie.indexOf('='));
    // A state of the same slot, but not this sign-in's.
    let other: string;
    do other = randomBytes(32).toString('base64url');
    while (`lk_tx.${transactionSlot(other)}` !== slot);
    const callback = (await latchkey.handle(
      new Request(`${baseUrl}/auth/callback?code=x&state=${other}`, {
        headers: { cookie, accept: 'application/json' },
      }),
    ))!;
    expect(callback.status).toBe(400);
    expect(await callback.json()).toMatchObject({ error: 'state_mismatch' });
    expect(callback.headers.getSetCookie()).toEqual([]);
  });

  it('ends the session a new sign-in replaces, so a copy of its cookie is refused', async () => {
    idp.mode = 'valid';
    const latchkey = latchkeyFor(idp.issuer);
    const first = await signIn(latchkey, 'valid');
    const oldCookie = first.headers
      .getSetCookie()
      .find((line) => line.startsWith('lk_session='))!
      .split(';')[0]!;
    const login = (await latchkey.handle(
      new Request(`${baseUrl}/auth/login`, { headers: { cookie: oldCookie } }),
    ))!;
    const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
    const second = (await latchkey.handle(
      new Request(authorize.headers.get('location')!, {
        headers: { cookie: `${oldCookie}; ${cookieHeader(login)}` },
      }),
    ))!;
    expect(second.status).toBe(303);
    const context = await latchkey.authenticate(
      new Request(`${baseUrl}/profile`, { headers: { cookie: oldCookie } }),
      () => {},
    );
    expect(context.session).toBeNull();
    expect(context.problem?.code).toBe('session_revoked');
  });
});

describe('authorization parameters', () => {
  it('sends configured parameters and the step-up vocabulary, never overriding the protocol ones', async () => {
    const latchkey = createLatchkey({
      issuer: idp.issuer,
      clientId: 'app',
      clientSecret: 'app-secret',
      baseUrl,
      secrets,
      ...idpPresets.entra({ authenticationContexts: ['c1'] }),
      authorizationParams: {
        audience: 'https://api.example.com',
        state: 'attacker',
        redirect_uri: 'https://evil.example',
      },
    });
    const login = (await latchkey.handle(
      new Request(`${baseUrl}/auth/step-up?acr=c1&returnTo=/`),
    ))!;
    const url = new URL(login.headers.get('location')!);
    expect(url.searchParams.get('audience')).toBe('https://api.example.com');
    expect(url.searchParams.get('redirect_uri')).toBe(`${baseUrl}/auth/callback`);
    expect(url.searchParams.get('state')).not.toBe('attacker');
    expect(JSON.parse(url.searchParams.get('claims')!)).toEqual({
      id_token: { acrs: { essential: true, value: 'c1' } },
    });
    expect(url.searchParams.get('acr_values')).toBeNull();
  });
});

describe('rolling sessions', () => {
  it('re-seals a session at most once per touch interval, however many requests carry the old cookie', async () => {
    let offset = 0;
    const latchkey = createLatchkey({
      issuer: idp.issuer,
      clientId: 'app',
      clientSecret: 'app-secret',
      baseUrl,
      secrets,
      now: () => Date.now() + offset,
    });
    const signedIn = await signIn(latchkey, 'valid');
    const cookie = signedIn.headers
      .getSetCookie()
      .find((line) => line.startsWith('lk_session='))!
      .split(';')[0]!;
    const request = () => new Request(`${baseUrl}/profile`, { headers: { cookie } });
    const sealedBy = async () => {
      const lines: string[] = [];
      await latchkey.authenticate(request(), (set) => lines.push(...set));
      return lines;
    };
    expect(await sealedBy()).toEqual([]);
    offset = 301_000;
    const first = await sealedBy();
    expect(first).toHaveLength(1);
    expect(await sealedBy()).toEqual(first);
    offset = 602_000;
    const later = await sealedBy();
    expect(later).toHaveLength(1);
    expect(later).not.toEqual(first);
  });
});
