// Microsoft Entra ID's multi-tenant endpoints (`organizations`, `common`) name the issuer
// `https://login.microsoftonline.com/{tenantid}/v2.0`. No real Entra ID can be reached from the
// tests, and none signs a token of a forged tenant on demand: test-utils' hostile IdP, in its
// Entra-shaped mode, stands in for it. Two pitfalls of other SDKs are tested: trusting `tid`
// before the signature verified, and skipping the check when the discovery URL is configured.
import { type HostileIdp, type HostileMode, startHostileIdp } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLatchkey, idpPresets, type Latchkey, type LatchkeyOptions } from '../src/index';
import { baseUrl, secrets } from './hostile';

const ALLOWED = '11111111-1111-1111-1111-111111111111';
const OTHER = '22222222-2222-2222-2222-222222222222';
let idp: HostileIdp;
beforeAll(async () => {
  idp = await startHostileIdp({ clientId: 'app', clientSecret: 'app-secret', multiTenant: true });
});
afterAll(() => idp?.stop());

/** The app on the Entra preset, with `tenants` (null: the preset without an allow-list). */
const entra = (
  options: Partial<LatchkeyOptions> = {},
  tenants: LatchkeyOptions['tenants'] | null = [ALLOWED],
): Latchkey =>
  createLatchkey({
    ...idpPresets.entra(tenants ? { tenants } : {}),
    issuer: `${idp.issuer}/organizations/v2.0`,
    clientId: 'app',
    clientSecret: 'app-secret',
    baseUrl,
    secrets,
    ...options,
  });

/** Signs in with a token of tenant `tid` (its `iss` naming `tenant`), in `mode`: the callback's answer. */
async function signIn(
  latchkey: Latchkey,
  { tid, tenant, mode = 'valid' }: { tid: string; tenant?: string; mode?: HostileMode },
): Promise<{ status: number; body: { error?: string; message?: string } }> {
  idp.mode = mode;
  idp.claims = { tid };
  idp.tenant = tenant;
  const login = (await latchkey.handle(
    new Request(`${baseUrl}/auth/login`, { headers: { accept: 'application/json' } }),
  ))!;
  if (login.status !== 302) return { status: login.status, body: await login.json() };
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  const cookie = login.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const callback = (await latchkey.handle(
    new Request(authorize.headers.get('location')!, {
      headers: { cookie, accept: 'application/json' },
    }),
  ))!;
  return { status: callback.status, body: callback.status === 303 ? {} : await callback.json() };
}

describe('Entra ID multi-tenant issuers', () => {
  it('signs in a user of an allowed tenant, its token naming its own tenant', async () => {
    expect(await signIn(entra(), { tid: ALLOWED })).toEqual({ status: 303, body: {} });
  });

  it('refuses a tenant that is not allowed, whether listed or decided by a function', async () => {
    expect(await signIn(entra(), { tid: OTHER })).toEqual({
      status: 401,
      body: {
        error: 'id_token_invalid',
        message: `The ID token is from tenant ${OTHER}, which tenants does not allow to sign in.`,
      },
    });
    const decided = entra({}, (tid) => tid === OTHER);
    expect((await signIn(decided, { tid: OTHER })).status).toBe(303);
    expect((await signIn(decided, { tid: ALLOWED })).status).toBe(401);
  });

  it('refuses a token whose iss names another tenant than its tid, though both are allowed', async () => {
    const both = entra({}, [ALLOWED, OTHER]);
    expect(await signIn(both, { tid: ALLOWED, tenant: OTHER })).toMatchObject({
      status: 401,
      body: { error: 'id_token_invalid' },
    });
  });

  it('refuses a token of the multi-tenant issuer without a tenant id', async () => {
    expect(await signIn(entra(), { tid: '' })).toEqual({
      status: 401,
      body: {
        error: 'id_token_invalid',
        message: 'The ID token of a multi-tenant issuer has no tenant id (tid).',
      },
    });
  });

  it('reads tid only after the signature verified: a forged token of an allowed tenant is refused', async () => {
    expect(await signIn(entra(), { tid: ALLOWED, mode: 'bad-signature' })).toMatchObject({
      status: 401,
      body: {
        error: 'id_token_invalid',
        message: expect.stringContaining('signature could not be verified'),
      },
    });
  });

  it('refuses the template issuer without tenants, saying what to set', async () => {
    expect(await signIn(entra({}, null), { tid: ALLOWED })).toEqual({
      status: 502,
      body: {
        error: 'idp_invalid_response',
        message: `The IdP's discovery document names the multi-tenant issuer '${idp.issuer}/{tenantid}/v2.0': list the tenants allowed to sign in (tenants, or idpPresets.entra({ tenants })).`,
      },
    });
  });

  it('refuses the discovery document URL as the issuer, so no check is skipped', () => {
    expect(() =>
      entra({ issuer: `${idp.issuer}/organizations/v2.0/.well-known/openid-configuration` }),
    ).toThrow(/issuer is the issuer identifier, not the URL of its discovery document/);
  });
});
