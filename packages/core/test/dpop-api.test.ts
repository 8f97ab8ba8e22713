// DPoP on the API side (RFC 9449 sections 4.3, 7 and 9): every check a proof must pass, each shown
// failing on its own. The access tokens come from this suite's own token issuer (the only mock):
// proofs that are wrong on purpose can only be made by hand, and the tokens they go with must be
// bound to the keys the tests hold. The dev IdP's DPoP-bound tokens are verified in
// dpop-client.test.ts.
import { createHash, randomUUID } from 'node:crypto';
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BearerRequest,
  type BearerVerifierOptions,
  createBearerVerifier,
  MemoryReplayCache,
} from '../src/index';

import { API, ISSUER, useTokenIssuer } from './token-issuer';

const issuer = useTokenIssuer();
const URL_ = 'https://api.example.com/reports';

let key: { privateKey: CryptoKey; publicJwk: JWK; jkt: string };
let other: { privateKey: CryptoKey; publicJwk: JWK };
beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  key = { privateKey: pair.privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
  const second = await generateKeyPair('ES256');
  other = { privateKey: second.privateKey, publicJwk: await exportJWK(second.publicKey) };
});

const verifierFor = (dpop: BearerVerifierOptions['dpop'] = 'allowed', now?: () => number) =>
  createBearerVerifier({
    issuer: ISSUER,
    audience: API,
    jwksUri: issuer.jwksUri,
    dpop,
    ...(now ? { now } : {}),
  });

/** A token bound to the test key (`cnf.jkt`). */
const boundToken = () => issuer.mint({ cnf: { jkt: key.jkt } });

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

interface ProofParts {
  token: string;
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string;
  ath?: string;
  nonce?: string;
  signer?: CryptoKey;
  jwk?: JWK;
  typ?: string;
}

/** A DPoP proof as a client makes one, each part replaceable to make it wrong. */
function proof(parts: ProofParts): Promise<string> {
  return new SignJWT({
    htm: parts.htm ?? 'GET',
    htu: parts.htu ?? URL_,
    iat: parts.iat ?? Math.floor(Date.now() / 1000),
    jti: parts.jti ?? randomUUID(),
    ath: parts.ath ?? ath(parts.token),
    ...(parts.nonce ? { nonce: parts.nonce } : {}),
  })
    .setProtectedHeader({
      alg: 'ES256',
      typ: parts.typ ?? 'dpop+jwt',
      jwk: parts.jwk ?? key.publicJwk,
    })
    .sign(parts.signer ?? key.privateKey);
}

/** A request to `GET https://api.example.com/reports` with the token under DPoP and `dpop`. */
const request = (
  token: string,
  dpop: BearerRequest['dpop'],
  more: Partial<BearerRequest> = {},
) => ({
  authorization: `DPoP ${token}`,
  dpop,
  method: 'GET',
  url: URL_,
  ...more,
});

async function refused(
  verifier: ReturnType<typeof createBearerVerifier>,
  given: BearerRequest,
): Promise<{ status: number; error: string; challenge: string | null; nonce: string | null }> {
  const { token, response } = await verifier.authenticate(given);
  expect(token).toBeUndefined();
  return {
    status: response!.status,
    error: (await response!.json()).error,
    challenge: response!.headers.get('www-authenticate'),
    nonce: response!.headers.get('dpop-nonce'),
  };
}

const INVALID_PROOF = {
  status: 401,
  error: 'invalid_dpop_proof',
  challenge: expect.stringMatching(
    /^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="ES256 EdDSA PS256 RS256"$/,
  ),
  nonce: null,
};

describe('DPoP-bound tokens at an API', () => {
  it('accepts a bound token with its proof, and its claims', async () => {
    const token = await boundToken();
    const { token: verified } = await verifierFor().authenticate(
      request(token, await proof({ token })),
    );
    expect(verified?.sub).toBe('user-1');
    expect(verified?.claims.cnf).toEqual({ jkt: key.jkt });
  });

  it('compares htu without query and fragment, after normalising the URI', async () => {
    const token = await boundToken();
    const verifier = verifierFor();
    const cases: Array<[string, string]> = [
      ['https://api.example.com/reports', 'https://api.example.com/reports?page=2#top'],
      ['HTTPS://API.example.com:443/reports', 'https://api.example.com/reports'],
      ['https://api.example.com/%7Ereports/../reports', 'https://api.example.com/reports'],
    ];
    for (const [htu, url] of cases) {
      const { token: verified } = await verifier.authenticate(
        request(token, await proof({ token, htu }), { url }),
      );
      expect(verified?.sub, htu).toBe('user-1');
    }
  });

  it('with an origin, compares htu with it rather than with the Host the request named', async () => {
    const token = await boundToken();
    const pinned = verifierFor({ mode: 'allowed', origin: 'https://api.example.com' });
    // The request reached this API under another name (a Host header an attacker chose).
    const elsewhere = 'https://other-api.example.net/reports';
    const forOther = await proof({ token, htu: elsewhere });
    expect(await refused(pinned, request(token, forOther, { url: elsewhere }))).toEqual(
      INVALID_PROOF,
    );
    const ours = await proof({ token });
    expect(
      (await pinned.authenticate(request(token, ours, { url: elsewhere }))).token,
    ).toBeDefined();
    expect(() => verifierFor({ mode: 'allowed', origin: 'https://api.example.com/' })).toThrow(
      /dpop.origin must be an origin/,
    );
  });

  it('refuses a replayed proof, on the same URI; the same jti on another URI is a new proof', async () => {
    const token = await boundToken();
    const verifier = verifierFor();
    const once = await proof({ token, jti: 'jti-1' });
    expect((await verifier.authenticate(request(token, once))).token).toBeDefined();
    expect(await refused(verifier, request(token, once))).toEqual(INVALID_PROOF);
    const elsewhere = await proof({ token, jti: 'jti-1', htu: 'https://api.example.com/other' });
    const other = request(token, elsewhere, { url: 'https://api.example.com/other' });
    expect((await verifier.authenticate(other)).token).toBeDefined();
  });

  it('refuses a replay across instances that share a replay cache', async () => {
    const token = await boundToken();
    const replay = new MemoryReplayCache();
    const one = verifierFor({ mode: 'allowed', replay });
    const two = verifierFor({ mode: 'allowed', replay });
    const used = await proof({ token });
    expect((await one.authenticate(request(token, used))).token).toBeDefined();
    expect(await refused(two, request(token, used))).toEqual(INVALID_PROOF);
  });

  it.each<[string, (token: string) => Promise<Partial<BearerRequest>>]>([
    ['no proof', async () => ({ dpop: undefined })],
    [
      'two DPoP headers',
      async (token) => ({ dpop: [await proof({ token }), await proof({ token })] }),
    ],
    [
      'two proofs joined in one header',
      async (token) => ({ dpop: `${await proof({ token })}, ${await proof({ token })}` }),
    ],
    ['the wrong method', async (token) => ({ dpop: await proof({ token, htm: 'POST' }) })],
    [
      'the wrong URI',
      async (token) => ({ dpop: await proof({ token, htu: 'https://api.example.com/admin' }) }),
    ],
    [
      'another host',
      async (token) => ({ dpop: await proof({ token, htu: 'https://evil.example/reports' }) }),
    ],
    [
      'a stale iat',
      async (token) => ({ dpop: await proof({ token, iat: Math.floor(Date.now() / 1000) - 600 }) }),
    ],
    [
      'an iat in the future',
      async (token) => ({ dpop: await proof({ token, iat: Math.floor(Date.now() / 1000) + 600 }) }),
    ],
    ['a wrong ath', async (token) => ({ dpop: await proof({ token, ath: ath('another-token') }) })],
    [
      'a key other than cnf.jkt',
      async (token) => ({
        dpop: await proof({ token, signer: other.privateKey, jwk: other.publicJwk }),
      }),
    ],
    [
      'a signature by another key than its jwk',
      async (token) => ({ dpop: await proof({ token, signer: other.privateKey }) }),
    ],
    [
      'a private jwk',
      async (token) => ({ dpop: await proof({ token, jwk: await exportJWK(key.privateKey) }) }),
    ],
    ['typ JWT', async (token) => ({ dpop: await proof({ token, typ: 'JWT' }) })],
    ['an over-long jti', async (token) => ({ dpop: await proof({ token, jti: 'x'.repeat(129) }) })],
    [
      'alg none',
      async (token) => ({
        dpop: unsigned({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk }, token),
      }),
    ],
    [
      'alg HS256',
      async (token) => ({
        dpop: unsigned({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk }, token),
      }),
    ],
  ])('refuses a proof with %s as invalid_dpop_proof', async (_name, wrong) => {
    const token = await boundToken();
    expect(
      await refused(verifierFor(), { ...request(token, undefined), ...(await wrong(token)) }),
    ).toEqual(INVALID_PROOF);
  });

  it('refuses a bound token sent as Bearer, and an unbound one sent as DPoP', async () => {
    const bound = await boundToken();
    expect(await refused(verifierFor(), { authorization: `Bearer ${bound}` })).toMatchObject({
      status: 401,
      error: 'invalid_token',
      challenge: expect.stringMatching(/^Bearer error="invalid_token"/),
    });
    await expect(verifierFor().verify(bound)).rejects.toMatchObject({ code: 'invalid_token' });
    const unbound = await issuer.mint();
    expect(
      await refused(verifierFor(), request(unbound, await proof({ token: unbound }))),
    ).toMatchObject({
      status: 401,
      error: 'invalid_token',
      challenge: expect.stringMatching(/^DPoP error="invalid_token"/),
    });
  });

  it("'required' refuses bearer tokens and asks for DPoP; 'allowed' asks for either", async () => {
    const unbound = await issuer.mint();
    expect(
      await refused(verifierFor('required'), { authorization: `Bearer ${unbound}` }),
    ).toMatchObject({
      error: 'invalid_token',
      challenge: expect.stringMatching(
        /^DPoP error="invalid_token", .*algs="ES256 EdDSA PS256 RS256"$/,
      ),
    });
    expect((await verifierFor('allowed').authenticate(`Bearer ${unbound}`)).token).toBeDefined();
    expect((await refused(verifierFor('required'), { authorization: undefined })).challenge).toBe(
      'DPoP algs="ES256 EdDSA PS256 RS256"',
    );
    expect((await refused(verifierFor('allowed'), { authorization: undefined })).challenge).toBe(
      'Bearer, DPoP algs="ES256 EdDSA PS256 RS256"',
    );
    // Without the option, DPoP is refused as a scheme this API does not take.
    const bound = await boundToken();
    expect(
      await refused(
        createBearerVerifier({ issuer: ISSUER, audience: API, jwksUri: issuer.jwksUri }),
        request(bound, await proof({ token: bound })),
      ),
    ).toMatchObject({ error: 'invalid_token', challenge: expect.stringMatching(/^Bearer /) });
  });

  it('answers a requirement the token misses in the DPoP scheme', async () => {
    const token = await boundToken();
    const { response } = await verifierFor().authenticate(request(token, await proof({ token })), {
      scopes: ['payments:write'],
    });
    expect(response?.status).toBe(403);
    expect(response?.headers.get('www-authenticate')).toBe(
      'DPoP error="insufficient_scope", error_description="insufficient scope", scope="payments:write", algs="ES256 EdDSA PS256 RS256"',
    );
  });

  it('refuses a token that fails verification before looking at the proof', async () => {
    const token = await issuer.mint({ cnf: { jkt: key.jkt } }, { typ: 'JWT' });
    expect(await refused(verifierFor(), request(token, await proof({ token })))).toMatchObject({
      error: 'invalid_token',
      challenge: expect.stringMatching(/^DPoP error="invalid_token"/),
    });
  });
});

describe('DPoP server nonces', () => {
  const nonceSecret = 'dpop-nonce-secret-dpop-nonce-secret-01';

  it('asks for a nonce, accepts it, and refuses a later proof without one', async () => {
    const token = await boundToken();
    const verifier = verifierFor({ mode: 'required', nonceSecret });
    const first = await refused(verifier, request(token, await proof({ token })));
    expect(first).toMatchObject({
      status: 401,
      error: 'use_dpop_nonce',
      challenge:
        'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 EdDSA PS256 RS256"',
    });
    expect(first.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const nonce = first.nonce!;
    const { token: verified } = await verifier.authenticate(
      request(token, await proof({ token, nonce })),
    );
    expect(verified?.sub).toBe('user-1');
    expect(await refused(verifier, request(token, await proof({ token })))).toMatchObject({
      error: 'use_dpop_nonce',
      nonce,
    });
    expect(
      await refused(verifier, request(token, await proof({ token, nonce: 'made-up' }))),
    ).toMatchObject({
      error: 'use_dpop_nonce',
    });
  });

  it('accepts a nonce for one step more, then asks for a fresh one; instances with the secret agree', async () => {
    const token = await boundToken();
    let now = Date.now();
    const verifier = verifierFor({ mode: 'allowed', nonceSecret, nonceStep: 60 }, () => now);
    const nonce = (await refused(verifier, request(token, await proof({ token })))).nonce!;
    const sibling = verifierFor({ mode: 'allowed', nonceSecret, nonceStep: 60 }, () => now);
    expect(
      (await sibling.authenticate(request(token, await proof({ token, nonce })))).token,
    ).toBeDefined();
    now += 60_000;
    const iat = Math.floor(now / 1000);
    expect(
      (await verifier.authenticate(request(token, await proof({ token, nonce, iat })))).token,
    ).toBeDefined();
    now += 60_000;
    const later = await refused(
      verifier,
      request(token, await proof({ token, nonce, iat: iat + 60 })),
    );
    expect(later.error).toBe('use_dpop_nonce');
    expect(later.nonce).not.toBe(nonce);
    const otherSecret = verifierFor(
      { mode: 'allowed', nonceSecret: `${nonceSecret}-other` },
      () => now,
    );
    expect(
      (
        await refused(
          otherSecret,
          request(token, await proof({ token, nonce: later.nonce!, iat: iat + 60 })),
        )
      ).error,
    ).toBe('use_dpop_nonce');
  });

  it('refuses weak configuration', () => {
    expect(() => verifierFor({ mode: 'allowed', nonceSecret: 'short' })).toThrow(/nonceSecret/);
    expect(() => verifierFor({ mode: 'allowed', algorithms: ['HS256'] })).toThrow(/asymmetric/);
    expect(() => verifierFor('sometimes' as never)).toThrow(/'allowed', 'required'/);
  });
});

/** A proof with `header` and a made-up signature: what no library would sign. */
function unsigned(header: Record<string, unknown>, token: string): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  const payload = {
    htm: 'GET',
    htu: URL_,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    ath: ath(token),
  };
  return `${encode(header)}.${encode(payload)}.c2lnbmF0dXJl`;
}
