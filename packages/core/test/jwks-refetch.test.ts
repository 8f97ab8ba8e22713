// When latchkey fetches the IdP's JWKS again, against a deliberately malicious IdP (test-utils'
// hostile provider), which signs tokens without a kid on demand and counts the requests it gets.
// An unknown kid in an ID token refetches at once (key-rotation.test.ts shows it with the dev
// IdP); anything else is no reason to fetch, and a logout token's unknown kid is the token's fault.
import { CookieJar, type HostileMode } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import { createLatchkey, type Latchkey } from '../src/index';
import { baseUrl, hostileClient, secrets, useHostileIdp } from './hostile';

const hostile = useHostileIdp();

const latchkeyFor = () =>
  createLatchkey({ issuer: hostile.idp.issuer, ...hostileClient, baseUrl, secrets });

/** Login, the IdP's authorization, and the callback's answer. */
async function signIn(latchkey: Latchkey, mode: HostileMode): Promise<Response> {
  hostile.idp.mode = mode;
  const jar = new CookieJar();
  const login = jar.take((await latchkey.handle(new Request(`${baseUrl}/auth/login`)))!);
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  return (await latchkey.handle(
    new Request(authorize.headers.get('location')!, {
      headers: { cookie: jar.header, accept: 'application/json' },
    }),
  ))!;
}

const jwksFetches = () => hostile.idp.requests.filter(({ path }) => path === '/jwks').length;

it('does not fetch the JWKS again for an ID token whose key is ambiguous rather than unknown', async () => {
  const latchkey = latchkeyFor();
  const before = jwksFetches();
  expect((await signIn(latchkey, 'valid')).status).toBe(303);
  expect(jwksFetches()).toBe(before + 1);
  // No kid, and the JWKS holds two RS256 keys: jose cannot pick one. A refetch would not help.
  const refused = await signIn(latchkey, 'missing-kid');
  expect(refused.status).toBe(401);
  expect(jwksFetches()).toBe(before + 1);
});

it('answers a logout token with a kid the reachable JWKS lacks 400 logout_token_invalid, not 503', async () => {
  hostile.idp.mode = 'valid';
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = `${part({ alg: 'RS256', kid: 'no-such-key', typ: 'logout+jwt' })}.${part({})}.c2ln`;
  const response = await latchkeyFor().handle(
    new Request(`${baseUrl}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${token}`,
    }),
  );
  expect(response?.status).toBe(400);
  expect(await response?.json()).toMatchObject({ error: 'logout_token_invalid' });
});
