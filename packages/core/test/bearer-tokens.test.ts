// Bearer verification of tokens this test signs itself: no real IdP issues a token without
// `typ: at+jwt`, without `exp`, or with a chosen scope set on demand, so a JWKS served here stands
// in for the IdP's (the only mock in these tests).
import { createServer, type Server } from 'node:http';
import { listen } from '@latchkey/test-utils';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BearerVerifierOptions, createBearerVerifier } from '../src/index';

const ISSUER = 'https://idp.example.com';
const API = 'urn:example:api';
let server: Server;
let jwksUri: string;
let privateKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  jwksUri = `${await listen(server)}/jwks`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const verifierFor = (options: Partial<BearerVerifierOptions> = {}) =>
  createBearerVerifier({ issuer: ISSUER, audience: API, jwksUri, ...options });

/** A token of this test's IdP: `at+jwt`, an hour left, scopes `a b`, unless told otherwise. */
async function mint(
  claims: JWTPayload = {},
  { typ = 'at+jwt', exp = true }: { typ?: string | null; exp?: boolean } = {},
): Promise<string> {
  const jwt = new SignJWT({ scope: 'a b', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ ? { typ } : {}) })
    .setIssuer(ISSUER)
    .setAudience(API)
    .setSubject('user-1')
    .setIssuedAt();
  if (exp) jwt.setExpirationTime('1h');
  return jwt.sign(privateKey);
}

async function refusal(header: string, options: Partial<BearerVerifierOptions> = {}) {
  const { response } = await verifierFor(options).authenticate(header);
  return response ? { status: response.status, ...((await response.json()) as object) } : 'ok';
}

describe('bearer tokens checked beyond their signature', () => {
  it('accepts an RFC 9068 token typed at+jwt or application/at+jwt', async () => {
    expect(await refusal(`Bearer ${await mint()}`)).toBe('ok');
    expect(await refusal(`Bearer ${await mint({}, { typ: 'application/at+jwt' })}`)).toBe('ok');
  });

  it.each([['JWT'], [null], ['id_token+jwt']])(
    'refuses a token typed %s as invalid_token (RFC 9068 section 4)',
    async (typ) => {
      expect(await refusal(`Bearer ${await mint({}, { typ })}`)).toMatchObject({
        status: 401,
        error: 'invalid_token',
      });
    },
  );

  it('accepts a plain JWT only with allowPlainJwt, and never another type', async () => {
    const options = { allowPlainJwt: true };
    expect(await refusal(`Bearer ${await mint({}, { typ: 'JWT' })}`, options)).toBe('ok');
    expect(await refusal(`Bearer ${await mint({}, { typ: null })}`, options)).toBe('ok');
    expect(
      await refusal(`Bearer ${await mint({}, { typ: 'id_token+jwt' })}`, options),
    ).toMatchObject({ status: 401 });
  });

  it('refuses a token without exp', async () => {
    expect(await refusal(`Bearer ${await mint({}, { exp: false })}`)).toMatchObject({
      status: 401,
      error: 'invalid_token',
    });
  });

  it('requires every scope a route names: one of two is 403 insufficient_scope', async () => {
    const verifier = verifierFor();
    const one = await mint({ scope: 'a' });
    const { response } = await verifier.authenticate(`Bearer ${one}`, { scopes: ['a', 'b'] });
    expect(response?.status).toBe(403);
    expect(response?.headers.get('www-authenticate')).toContain('scope="a b"');
    const both = await verifier.authenticate(`Bearer ${await mint()}`, { scopes: ['a', 'b'] });
    expect(both.token?.scopes).toEqual(['a', 'b']);
  });

  it('reads the Authorization header strictly: one Bearer token, nothing around it', async () => {
    const token = await mint();
    expect(await refusal(`bearer ${token}`)).toBe('ok');
    for (const header of [`xBearer ${token}`, `Bearer ${token} extra`, `Bearer ${token}!`, token]) {
      expect(await refusal(header)).toMatchObject({ status: 401, error: 'invalid_token' });
    }
  });
});

describe('createBearerVerifier options', () => {
  const config = (options: Partial<BearerVerifierOptions>) => () => verifierFor(options);

  it('refuses an http issuer off loopback, and takes one on loopback', () => {
    expect(config({ issuer: 'http://idp.example.com' })).toThrow(/https/);
    expect(config({ issuer: 'http://127.0.0.1:9' })).not.toThrow();
    expect(config({ issuer: 'http://localhost:9' })).not.toThrow();
  });

  it.each([[['none']], [['HS256']], [['RS256', 'hs512']], [[]]])(
    'refuses algorithms %j with config_invalid',
    (algorithms) => {
      expect(config({ algorithms })).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    },
  );

  it('bounds clockTolerance to 0..300 seconds', () => {
    expect(config({ clockTolerance: -1 })).toThrow(/clockTolerance/);
    expect(config({ clockTolerance: 301 })).toThrow(/clockTolerance/);
    expect(config({ clockTolerance: 0 })).not.toThrow();
    expect(config({ clockTolerance: 300 })).not.toThrow();
  });

  it('needs an audience', () => {
    expect(config({ audience: '' })).toThrow(/audience/);
  });
});
