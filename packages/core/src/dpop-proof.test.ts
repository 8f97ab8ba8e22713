// DpopProofs on its own: what each refusal says (an API's client reads `error_description`), the
// configuration bounds, the replay window and nonces on a fake clock. Proofs that are wrong on
// purpose are signed here with jose: no client library makes them. The HTTP side (bearer tokens,
// challenges, the adapters) is in test/dpop-api.test.ts.
import { createHash, randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DpopOptions, DpopProofs, normalizeHtu } from './dpop-proof';
import type { ReplayCache } from './store';

const URL_ = 'https://api.example.com/reports';
const TOKEN = 'access-token';
const NOW = 1_800_000_000_000;
const iatNow = NOW / 1000;

let key: { privateKey: CryptoKey; publicJwk: JWK; jkt: string };
let other: { privateKey: CryptoKey; publicJwk: JWK };
beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(pair.publicKey);
  key = { privateKey: pair.privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
  const second = await generateKeyPair('ES256');
  other = { privateKey: second.privateKey, publicJwk: await exportJWK(second.publicKey) };
});

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A proof for `GET URL_` with `TOKEN`, each claim replaceable (undefined drops it). */
function proof(
  claims: Record<string, unknown> = {},
  header: { alg?: string; signer?: CryptoKey; jwk?: JWK } = {},
): Promise<string> {
  const payload = Object.fromEntries(
    Object.entries({
      htm: 'GET',
      htu: URL_,
      iat: iatNow,
      jti: randomUUID(),
      ath: ath(TOKEN),
      ...claims,
    }).filter(([, value]) => value !== undefined),
  );
  return new SignJWT(payload)
    .setProtectedHeader({
      alg: header.alg ?? 'ES256',
      typ: 'dpop+jwt',
      jwk: header.jwk ?? key.publicJwk,
    })
    .sign(header.signer ?? key.privateKey);
}

const proofsAt = (clock: { now: number }, options: Partial<DpopOptions> = {}) =>
  new DpopProofs({ mode: 'allowed', ...options }, 30, () => clock.now);

const check = (proofs: DpopProofs, dpop: unknown, more: Record<string, unknown> = {}) =>
  proofs.verify({
    proof: dpop as string,
    method: 'get',
    url: URL_,
    accessToken: TOKEN,
    jkt: key.jkt,
    ...more,
  });

/** The `error_description` the refusal of `verifying` carries, and its code. */
async function refusal(verifying: Promise<void>): Promise<{ code: string; description: string }> {
  const error = (await verifying.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { code: string; challenge: string; message: string } | undefined;
  expect(error, 'the proof was accepted').toBeDefined();
  const description = /error_description="([^"]*)"/.exec(error!.challenge)?.[1] ?? '';
  return { code: error!.code, description };
}

describe('DpopProofs: what each refusal says', () => {
  it.each<[string, () => Promise<unknown> | unknown, string]>([
    ['no header', () => undefined, 'the request needs exactly one DPoP header holding one JWT'],
    [
      'two headers',
      async () => [await proof(), await proof()],
      'the request needs exactly one DPoP header holding one JWT',
    ],
    ['no JWT', () => 'not-a-jwt', 'the request needs exactly one DPoP header holding one JWT'],
    [
      'a signature by another key',
      () => proof({}, { signer: other.privateKey }),
      'the signature does not verify with the proof key',
    ],
    ['an old iat', () => proof({ iat: iatNow - 200 }), 'iat is outside the accepted window'],
    [
      'an iat in the future',
      () => proof({ iat: iatNow + 200 }),
      'iat is outside the accepted window',
    ],
    ['no jti', () => proof({ jti: undefined }), 'the jti claim is invalid'],
    ['no htm', () => proof({ htm: undefined }), 'the htm claim is invalid'],
    ['an empty jti', () => proof({ jti: '' }), 'jti must be a string of 1 to 128 characters'],
    [
      'a jti that is a number',
      () => proof({ jti: 7 }),
      'jti must be a string of 1 to 128 characters',
    ],
    [
      'a jti of 129 characters',
      () => proof({ jti: 'j'.repeat(129) }),
      'jti must be a string of 1 to 128 characters',
    ],
    ['another method', () => proof({ htm: 'POST' }), 'htm does not match the request method'],
    ['an htu that is a number', () => proof({ htu: 1 }), 'htu does not match the request URI'],
    [
      'an htu that is no URI',
      () => proof({ htu: 'reports' }),
      'htu does not match the request URI',
    ],
    ['another ath', () => proof({ ath: ath('other') }), 'ath does not match the access token'],
    [
      'the key of another token',
      () => proof({}, { signer: other.privateKey, jwk: other.publicJwk }),
      "the proof's key is not the one the access token is bound to",
    ],
  ])('%s', async (_name, make, description) => {
    const proofs = proofsAt({ now: NOW });
    expect(await refusal(check(proofs, await make()))).toEqual({
      code: 'invalid_dpop_proof',
      description,
    });
  });

  it('accepts a jti of 128 characters, and refuses a request URL it cannot read', async () => {
    const proofs = proofsAt({ now: NOW });
    await expect(check(proofs, await proof({ jti: 'j'.repeat(128) }))).resolves.toBeUndefined();
    expect(await refusal(check(proofs, await proof(), { url: 'not a url' }))).toEqual({
      code: 'invalid_dpop_proof',
      description: 'htu does not match the request URI',
    });
  });

  it('answers a token bound to no key as invalid_token, in the DPoP scheme', async () => {
    const proofs = proofsAt({ now: NOW });
    const error = await check(proofs, await proof(), { jkt: undefined }).catch((e) => e);
    expect(error).toMatchObject({
      code: 'invalid_token',
      message: 'The access token is invalid: it is not bound to a DPoP key (no cnf.jkt).',
      challenge:
        'DPoP error="invalid_token", error_description="not DPoP-bound", algs="ES256 EdDSA PS256 RS256"',
    });
  });

  it('names an alg the API does not allow', async () => {
    const proofs = proofsAt({ now: NOW }, { algorithms: ['PS256'] });
    expect(await refusal(check(proofs, await proof()))).toEqual({
      code: 'invalid_dpop_proof',
      description: 'the signature algorithm is not allowed',
    });
  });

  it('words the message and the challenge of a refusal', async () => {
    const proofs = proofsAt({ now: NOW }, { algorithms: ['ES256'] });
    const error = await check(proofs, await proof({ htm: 'PUT' })).catch((e) => e);
    expect(error.message).toBe('The DPoP proof is invalid: htm does not match the request method.');
    expect(error.challenge).toBe(
      'DPoP error="invalid_dpop_proof", error_description="htm does not match the request method", algs="ES256"',
    );
    expect(proofs.challenge()).toBe('DPoP algs="ES256"');
  });
});

describe('DpopProofs: the replay window', () => {
  it('remembers each jti for maxAge plus twice the clock tolerance plus one second, per URI', async () => {
    const marked: Array<[string, number]> = [];
    const replay: ReplayCache = {
      markSeen: async (key, ttl) => {
        marked.push([key, ttl]);
        return true;
      },
    };
    const proofs = proofsAt({ now: NOW }, { maxAge: 100, replay });
    await check(proofs, await proof({ jti: 'same' }));
    await check(proofs, await proof({ jti: 'same', htu: 'https://api.example.com/other' }), {
      url: 'https://api.example.com/other',
    });
    expect(marked.map(([, ttl]) => ttl)).toEqual([161, 161]);
    expect(marked[0]![0]).toMatch(/^dpop:[\w-]{43}$/);
    expect(marked[0]![0]).not.toBe(marked[1]![0]);
  });
});

describe('DpopProofs: nonces', () => {
  const nonceSecret = 'n'.repeat(32);

  it('takes a 32-character secret, and a step of 10 seconds at least', () => {
    expect(proofsAt({ now: NOW }, { nonceSecret }).nonce()).toMatch(/^[\w-]{32}$/);
    expect(() => proofsAt({ now: NOW }, { nonceSecret: 'n'.repeat(31) })).toThrow(
      'dpop.nonceSecret must be at least 32 characters long.',
    );
    expect(proofsAt({ now: NOW }, { nonceSecret, nonceStep: 10 }).nonce()).toBeDefined();
    expect(() => proofsAt({ now: NOW }, { nonceSecret, nonceStep: 9 })).toThrow(
      'dpop.nonceStep must be at least 10 seconds.',
    );
    expect(proofsAt({ now: NOW }).nonce()).toBeUndefined();
  });

  it('changes the nonce each step, and accepts the one of the step before', async () => {
    const clock = { now: NOW };
    const proofs = proofsAt(clock, { nonceSecret, nonceStep: 10 });
    const first = proofs.nonce()!;
    clock.now += 10_000;
    expect(proofs.nonce()).not.toBe(first);
    await expect(
      check(proofs, await proof({ nonce: first, iat: clock.now / 1000 })),
    ).resolves.toBeUndefined();
    clock.now += 10_000;
    const late = await check(proofs, await proof({ nonce: first, iat: clock.now / 1000 })).catch(
      (e) => e,
    );
    expect(late).toMatchObject({
      code: 'use_dpop_nonce',
      challenge:
        'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 EdDSA PS256 RS256"',
    });
  });
});

describe('DpopProofs: configuration', () => {
  it.each<[string, Partial<DpopOptions>, string | undefined]>([
    ['no algorithm', { algorithms: [] }, 'dpop.algorithms must be asymmetric'],
    ['none', { algorithms: ['ES256', 'none'] }, 'dpop.algorithms must be asymmetric'],
    ['HS512', { algorithms: ['HS512'] }, 'dpop.algorithms must be asymmetric'],
    ['an alg ending like HMAC', { algorithms: ['XHS256'] }, undefined],
    ['an alg starting like none', { algorithms: ['nonex'] }, undefined],
    ['maxAge 0', { maxAge: 0 }, 'dpop.maxAge must be 1 to 3600 seconds.'],
    ['maxAge 3601', { maxAge: 3601 }, 'dpop.maxAge must be 1 to 3600 seconds.'],
    ['maxAge 3600', { maxAge: 3600 }, undefined],
    ['maxAge 1', { maxAge: 1 }, undefined],
    [
      'an origin with a path',
      { origin: 'https://api.example.com/v1' },
      'dpop.origin must be an origin',
    ],
    ['no URL as origin', { origin: 'api.example.com' }, 'dpop.origin must be an origin'],
  ])('%s', (_name, options, message) => {
    const making = () => proofsAt({ now: NOW }, options);
    if (message) expect(making).toThrow(message);
    else expect(making).not.toThrow();
  });

  it("refuses a mode that is neither 'allowed' nor 'required', as config_invalid", () => {
    expect(() => new DpopProofs('sometimes' as never, 30, Date.now)).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
  });
});

describe('normalizeHtu', () => {
  it.each([
    ['https://API.example.com:443/a/./b/../c?q=1#f', 'https://api.example.com/a/c'],
    ['https://api.example.com/%7e%41%2d%2E%5F', 'https://api.example.com/~A-._'],
    ['https://api.example.com/%2f%3a%c3%a9', 'https://api.example.com/%2F%3A%C3%A9'],
    ['https://api.example.com/100%25', 'https://api.example.com/100%25'],
    ['http://api.example.com:8080/x', 'http://api.example.com:8080/x'],
  ])('%s is %s', (uri, normal) => {
    expect(normalizeHtu(uri)).toBe(normal);
  });

  it('is undefined for what is no URI', () => {
    expect(normalizeHtu('/reports')).toBeUndefined();
  });
});
