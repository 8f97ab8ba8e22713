// Bearer verification of tokens this test signs itself (see token-issuer.ts).
import { createServer } from 'node:http';
import { listen, startSilentServer } from '@latchkey/test-utils';
import { describe, expect, it } from 'vitest';
import { isPromiseLike } from '../src/adapter';
import { type BearerVerifierOptions, createBearerVerifier } from '../src/index';
import { API, ISSUER, useTokenIssuer } from './token-issuer';

const issuer = useTokenIssuer();
const mint = issuer.mint;

const verifierFor = (options: Partial<BearerVerifierOptions> = {}) =>
  createBearerVerifier({ issuer: ISSUER, audience: API, jwksUri: issuer.jwksUri, ...options });

/** A protected header (ES256, at+jwt) with `extra`, base64url-encoded. */
const header = (extra: Record<string, string>) =>
  Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', ...extra })).toString('base64url');

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

describe('what a verified token carries', () => {
  it.each([
    [{ scope: 'a  b' }, ['a', 'b']],
    [{ scope: undefined, scp: ['a', 7, 'b'] }, ['a', 'b']],
    [{ scope: undefined, scp: 'a b ' }, ['a', 'b']],
    [{ scope: undefined }, []],
    [{ scope: 42 }, []],
  ])(
    'reads the scopes of %j as %j (scope string, or scp array or string)',
    async (claims, scopes) => {
      const { token } = await verifierFor().authenticate(`Bearer ${await mint(claims)}`);
      expect(token?.scopes).toEqual(scopes);
    },
  );

  it('reads acr and auth_time only when they have the right type, and an auth_time of 0 as unknown', async () => {
    const typed = await verifierFor().verify(await mint({ acr: 'gold', auth_time: 1_700_000_000 }));
    expect([typed.acr, typed.authTime]).toEqual(['gold', 1_700_000_000]);
    const wrong = await verifierFor().verify(await mint({ acr: 3, auth_time: '1700000000' }));
    expect([wrong.acr, wrong.authTime]).toEqual([undefined, undefined]);
    // 0 is an IdP's "unknown": a maxAge check cannot pass on it.
    expect((await verifierFor().verify(await mint({ auth_time: 0 }))).authTime).toBeUndefined();
  });

  it('rejects verify() with the typed error of a refused token, its challenge on it', async () => {
    await expect(verifierFor().verify(await mint({}, { typ: 'JWT' }))).rejects.toMatchObject({
      code: 'invalid_token',
      challenge: expect.stringContaining('error="invalid_token"'),
      message: expect.stringContaining('typ at+jwt'),
    });
  });

  it('names the missing role, permission or scopes in its answers', async () => {
    const verifier = verifierFor({ policy: { roles: { admin: ['*'] } } });
    const header = `Bearer ${await mint({ scope: 'a', roles: ['viewer'] })}`;
    const role = await verifier.authenticate(header, { roles: ['admin'] });
    expect(role.response?.status).toBe(403);
    expect(await role.response?.json()).toEqual({
      error: 'forbidden',
      message: "The role 'admin' is required.",
    });
    expect((await verifier.authenticate(header, { roles: ['viewer'] })).token).toBeDefined();
    const permission = await verifier.authenticate(header, { permissions: ['reports:read'] });
    expect(await permission.response?.json()).toEqual({
      error: 'forbidden',
      message: "The permission 'reports:read' is required.",
    });
    const scope = await verifier.authenticate(header, { scopes: ['a', 'b', 'c'] });
    expect(await scope.response?.json()).toEqual({
      error: 'insufficient_scope',
      message: 'The access token lacks the scope b, c.',
    });
    expect(scope.response?.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="insufficient scope", scope="a b c"',
    );
  });

  it('explains a refused token in its message and challenge', async () => {
    const { response } = await verifierFor().authenticate(
      `Bearer ${await mint({}, { typ: 'JWT' })}`,
    );
    expect(await response?.json()).toEqual({
      error: 'invalid_token',
      message:
        'The access token is invalid: the token is not an RFC 9068 access token (typ at+jwt).',
    });
    expect(response?.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="the token is not an RFC 9068 access token (typ at+jwt)"',
    );
    const missing = await verifierFor().authenticate(undefined);
    expect(await missing.response?.json()).toEqual({
      error: 'unauthenticated',
      message: 'An access token is required.',
    });
    const basic = await verifierFor().authenticate('Basic dXNlcjpwYXNz');
    expect(await basic.response?.json()).toMatchObject({
      message: 'The access token is invalid: the Authorization header is not a Bearer token.',
    });
  });

  it.each<[string, () => Promise<string>, () => Partial<BearerVerifierOptions>, string]>([
    [
      'expired',
      () => mint({ exp: 1_600_000_000 }, { exp: false }),
      () => ({}),
      'the token has expired',
    ],
    [
      'for another audience',
      () => mint(),
      () => ({ audience: 'urn:other' }),
      'a claim check failed (iss, aud or nbf)',
    ],
    [
      'with a broken signature',
      async () => `${(await mint()).slice(0, -4)}AAAA`,
      () => ({}),
      'the signature does not verify',
    ],
    [
      'signed with an algorithm not allowed',
      () => mint(),
      () => ({ algorithms: ['RS256'] }),
      'the signature algorithm is not allowed',
    ],
    [
      'signed with an unknown key',
      async () => `${(await mint()).replace(/^[^.]+/, header({ kid: 'k9' }))}`,
      () => ({}),
      'no IdP key matches the token',
    ],
    [
      'naming no key among several',
      async () => `${(await mint()).replace(/^[^.]+/, header({}))}`,
      () => ({ jwksUri: `${issuer.jwksUri.replace(/\/jwks$/, '')}/two` }),
      'several IdP keys match the token and it names none',
    ],
    ['that is no JWT', async () => 'not.a.jwt', () => ({}), 'the token could not be verified'],
  ])('explains a token %s', async (_case, token, options, description) => {
    const { response } = await verifierFor(options()).authenticate(`Bearer ${await token()}`);
    expect(response?.status).toBe(401);
    expect(await response?.json()).toEqual({
      error: 'invalid_token',
      message: `The access token is invalid: ${description}.`,
    });
  });

  it('accepts a header with surrounding white space', async () => {
    expect(await refusal(`  Bearer ${await mint()}  `)).toBe('ok');
  });

  it('keeps serving a cached token within the clock tolerance after exp, and then refuses it', async () => {
    let now = Date.now();
    const verifier = verifierFor({ now: () => now, clockTolerance: 30 });
    const exp = Math.floor(now / 1000) + 10;
    const header = `Bearer ${await mint({ exp }, { exp: false })}`;
    expect((await verifier.authenticate(header)).token).toBeDefined();
    now = (exp + 20) * 1000;
    const cached = verifier.authenticate(header);
    expect(isPromiseLike(cached)).toBe(false);
    expect((await cached).token).toBeDefined();
    now = (exp + 31) * 1000;
    expect((await verifier.authenticate(header)).response?.status).toBe(401);
  });

  it('checks maxAge against auth_time on its own clock', async () => {
    const now = Date.now() + 3_600_000;
    const verifier = verifierFor({ now: () => now });
    const authTime = Math.floor(now / 1000) - 100;
    const header = `Bearer ${await mint({ auth_time: authTime, exp: authTime + 7200 })}`;
    expect((await verifier.authenticate(header, { maxAge: 200 })).token).toBeDefined();
    expect((await verifier.authenticate(header, { maxAge: 50 })).response?.status).toBe(401);
  });
});

describe('the IdP keys', () => {
  it('answers 503 idp_unreachable when the JWKS does not answer in time', async () => {
    const silent = await startSilentServer();
    try {
      const verifier = verifierFor({ jwksUri: `${silent.url}/jwks`, timeout: 200 });
      const { response } = await verifier.authenticate(`Bearer ${await mint()}`);
      expect(response?.status).toBe(503);
      expect(await response?.json()).toEqual({
        error: 'idp_unreachable',
        message: 'The IdP keys could not be fetched in time.',
      });
      expect(response?.headers.get('www-authenticate')).toBeNull();
    } finally {
      await silent.stop();
    }
  });

  it('answers 503 idp_unreachable without discovery, and tries discovery again on the next token', async () => {
    let jwks: string | undefined;
    const discovery = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: discoveryIssuer, ...(jwks ? { jwks_uri: jwks } : {}) }));
    });
    const discoveryIssuer = await listen(discovery);
    try {
      const verifier = createBearerVerifier({ issuer: discoveryIssuer, audience: API });
      const token = await mint({}, { iss: discoveryIssuer });
      const first = await verifier.authenticate(`Bearer ${token}`);
      expect(first.response?.status).toBe(503);
      expect(await first.response?.json()).toEqual({
        error: 'idp_unreachable',
        message: 'The IdP keys could not be loaded to verify the access token.',
      });
      jwks = issuer.jwksUri;
      expect((await verifier.authenticate(`Bearer ${token}`)).token).toBeDefined();
    } finally {
      await new Promise<void>((resolve) => discovery.close(() => resolve()));
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
