import { createPublicKey, createSecretKey, randomUUID } from 'node:crypto';
import type { DevIdp } from '@latchkey/dev-idp';
import { freePort } from '@latchkey/test-utils';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isPromiseLike } from '../src/adapter';
import { type BearerVerifierOptions, createBearerVerifier } from '../src/index';
import { stepUpAssertionSigner } from '../src/step-up-assertion';
import { accessTokenFor, type CoreApp, startCoreApp, startIdpFor } from './helpers';

const API = 'urn:latchkey:demo-api';
let idp: DevIdp;
let app: CoreApp;
let token: string;

beforeAll(async () => {
  const idpPort = await freePort();
  app = await startCoreApp({
    issuer: `http://127.0.0.1:${idpPort}`,
    resource: API,
    scopes: ['openid', 'profile', 'email', 'offline_access', 'reports:read'],
  });
  idp = await startIdpFor(app.url, idpPort);
  token = await accessTokenFor(app);
});
afterAll(async () => {
  await app?.stop();
  await idp?.stop();
});

const verifierFor = (options: Partial<BearerVerifierOptions> = {}) =>
  createBearerVerifier({
    issuer: idp.issuer,
    audience: API,
    acrLevels: ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'],
    policy: { roles: { admin: ['*'], viewer: ['reports:read'] } },
    ...options,
  });

const withBearer = (value: string) => `Bearer ${value}`;

async function expectRefused(
  verifier: ReturnType<typeof createBearerVerifier>,
  value: string,
  status: number,
  code: string,
  challenge: RegExp,
) {
  const { response } = await verifier.authenticate(withBearer(value));
  expect(response?.status).toBe(status);
  expect(await response?.json()).toMatchObject({ error: code });
  expect(response?.headers.get('www-authenticate')).toMatch(challenge);
}

describe('bearer verification against the dev IdP', () => {
  it('accepts a JWT access token for the API, with roles, permissions, acr and auth_time', async () => {
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const { token: verified, response } = await verifierFor().authenticate(withBearer(token), {
      scopes: ['reports:read'],
      permissions: ['reports:read'],
    });
    expect(response).toBeUndefined();
    expect(verified).toMatchObject({
      roles: ['admin', 'viewer'],
      acr: 'urn:latchkey:acr:pwd',
      authTime: expect.any(Number),
      scopes: expect.arrayContaining(['reports:read']),
    });
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const { response } = await verifierFor().authenticate(undefined);
    expect(response?.status).toBe(401);
    expect(response?.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    await expectRefused(
      verifierFor({ audience: 'urn:other-api' }),
      token,
      401,
      'invalid_token',
      /error="invalid_token"/,
    );
    await expectRefused(
      verifierFor({ issuer: 'http://127.0.0.1:9/other', jwksUri: `${idp.issuer}/jwks` }),
      token,
      401,
      'invalid_token',
      /error="invalid_token"/,
    );
  });

  it('refuses an expired token, also when it expired after it was cached', async () => {
    let offset = 0;
    const verifier = verifierFor({ now: () => Date.now() + offset });
    expect((await verifier.authenticate(withBearer(token))).token).toBeDefined();
    offset = 3600 * 1000;
    await expectRefused(verifier, token, 401, 'invalid_token', /invalid_token/);
  });

  it('answers a cached token without a promise, and never for a token altered under the same signature', async () => {
    const verifier = verifierFor();
    expect((await verifier.authenticate(withBearer(token))).token?.sub).toBe('usr_alice');
    const cached = verifier.authenticate(withBearer(token));
    expect(isPromiseLike(cached)).toBe(false);
    expect((await cached).token?.sub).toBe('usr_alice');
    const [header, payload, signature] = token.split('.');
    const claims = { ...decodeJwt(token), sub: 'usr_bob' };
    const altered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(payload).not.toBe(altered.split('.')[1]);
    await expectRefused(verifier, altered, 401, 'invalid_token', /invalid_token/);
    expect((await verifier.authenticate(withBearer(token))).token?.sub).toBe('usr_alice');
  });

  it('verifies the signature of a new token once for many concurrent requests', async () => {
    const verifier = verifierFor();
    await verifier.authenticate(withBearer(token)); // JWKS loaded, token cached
    const fresh = await accessTokenFor(app);
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () => verifier.authenticate(withBearer(fresh))),
      );
      expect(outcomes.every((outcome) => outcome.token?.sub === 'usr_alice')).toBe(true);
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it("checks each route's scopes, permissions and acr again on a cache hit", async () => {
    const verifier = verifierFor();
    const bob = await accessTokenFor(app, { username: 'bob', password: 'bob-password' });
    for (const value of [token, bob]) {
      expect((await verifier.authenticate(withBearer(value))).token).toBeDefined();
    }
    const hit = (value: string, requirement: Parameters<typeof verifier.authenticate>[1]) => {
      const outcome = verifier.authenticate(withBearer(value), requirement);
      expect(isPromiseLike(outcome)).toBe(false); // answered from the cache
      return outcome as Awaited<typeof outcome>;
    };
    expect(hit(token, { scopes: ['payments:write'] }).response?.status).toBe(403);
    expect(hit(token, { scopes: ['reports:read'] }).token?.sub).toBe('usr_alice');
    expect(hit(bob, { permissions: ['payments:write'] }).response?.status).toBe(403);
    expect(hit(token, { permissions: ['payments:write'] }).token?.sub).toBe('usr_alice');
    const stepUp = hit(token, { acr: 'urn:latchkey:acr:mfa' }).response;
    expect(stepUp?.status).toBe(401);
    expect(await stepUp?.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    expect(hit(token, { acr: 'urn:latchkey:acr:pwd' }).token?.sub).toBe('usr_alice');
  });

  it('refuses alg none and an HS256 token signed with the IdP public key', async () => {
    const payload = token.split('.')[1];
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    await expectRefused(verifierFor(), none, 401, 'invalid_token', /invalid_token/);

    const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    const rsa = jwks.keys.find((key) => key.kty === 'RSA')!;
    const pem = createPublicKey({ key: rsa as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const hs256 = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: String(rsa.kid) })
      .sign(createSecretKey(Buffer.from(pem)));
    await expectRefused(verifierFor(), hs256, 401, 'invalid_token', /invalid_token/);
  });

  it('refuses unknown kids with at most one JWKS fetch for 1,000 of them', async () => {
    const verifier = verifierFor();
    expect((await verifier.authenticate(withBearer(token))).token).toBeDefined();
    const before = idp.requestCount('/jwks');
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await Promise.all(
      Array.from({ length: 1000 }, () =>
        new SignJWT(decodeJwt(token))
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: randomUUID() })
          .sign(privateKey),
      ),
    );
    const responses = await Promise.all(
      forged.map((value) => verifier.authenticate(withBearer(value))),
    );
    expect(responses.every(({ response }) => response?.status === 401)).toBe(true);
    expect(idp.requestCount('/jwks') - before).toBeLessThanOrEqual(1);
  });

  it('needs no JWKS fetch per request once warm', async () => {
    const verifier = verifierFor();
    await verifier.authenticate(withBearer(token));
    const before = idp.requestCount('/jwks');
    for (let i = 0; i < 100; i++)
      expect((await verifier.authenticate(withBearer(token))).token).toBeDefined();
    expect(idp.requestCount('/jwks')).toBe(before);
  });

  it('answers 403 insufficient_scope with the scope challenge, and 403 forbidden for a permission', async () => {
    const { response } = await verifierFor().authenticate(withBearer(token), {
      scopes: ['payments:write'],
    });
    expect(response?.status).toBe(403);
    expect(await response?.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(response?.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope".*scope="payments:write"/,
    );
    const bob = await accessTokenFor(app, { username: 'bob', password: 'bob-password' });
    const denied = await verifierFor().authenticate(withBearer(bob), {
      permissions: ['payments:write'],
    });
    expect(denied.response?.status).toBe(403);
    expect(await denied.response?.json()).toMatchObject({ error: 'forbidden' });
  });

  it('answers 401 with the RFC 9470 challenge when the token is not at the required acr', async () => {
    const { response } = await verifierFor().authenticate(withBearer(token), {
      acr: 'urn:latchkey:acr:mfa',
      maxAge: 300,
    });
    expect(response?.status).toBe(401);
    expect(await response?.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    expect(response?.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="urn:latchkey:acr:mfa", max_age=300$/,
    );
  });

  it('keeps verifying after the IdP rotates its keys, without a restart', async () => {
    const verifier = verifierFor({ jwksCooldown: 200 });
    expect((await verifier.authenticate(withBearer(token))).token).toBeDefined();
    const oldKid = decodeProtectedHeader(token).kid;
    await idp.rotateKeys();
    // Past the verifier's JWKS cooldown (200 ms); the app refetches for ID tokens at once.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fresh = await accessTokenFor(app);
    expect(decodeProtectedHeader(fresh).kid).not.toBe(oldKid);
    expect((await verifier.authenticate(withBearer(fresh))).token).toBeDefined();
    expect((await verifier.authenticate(withBearer(token))).token).toBeDefined();
  });

  it("meets a step-up requirement with the app's step-up assertion, and only with a valid one", async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportJWK } = await import('jose');
    const APP = 'https://app.example.com';
    const sign = stepUpAssertionSigner(await exportJWK(privateKey), APP, Date.now);
    const trusting = verifierFor({
      stepUpAssertions: { issuer: APP, keys: { keys: [await exportJWK(publicKey)] } },
    });
    const mfa = { acr: 'urn:latchkey:acr:mfa', maxAge: 300 };
    const sub = decodeJwt(token).sub!;
    const authTime = Math.floor(Date.now() / 1000);
    const stepped = await sign({ sub, acr: mfa.acr, amr: ['hwk', 'user'], authTime }, token);

    const accepted = await trusting.authenticate(withBearer(token), mfa, stepped);
    expect(accepted.response).toBeUndefined();
    expect(accepted.token).toMatchObject({
      sub,
      acr: mfa.acr,
      authTime,
      roles: ['admin', 'viewer'],
    });
    // The token alone, or a verifier that trusts no app, still asks for the step-up.
    expect((await trusting.authenticate(withBearer(token), mfa)).response?.status).toBe(401);
    const untrusting = await verifierFor().authenticate(withBearer(token), mfa, stepped);
    expect(untrusting.response?.headers.get('www-authenticate')).toMatch(
      /insufficient_user_authentication/,
    );
    // An assertion of a lower level, or of an old step-up, does not meet it either.
    const low = await sign({ sub, acr: 'urn:latchkey:acr:pwd', amr: ['hwk'], authTime }, token);
    const old = await sign({ sub, acr: mfa.acr, amr: ['hwk'], authTime: authTime - 600 }, token);
    for (const assertion of [low, old]) {
      const { response } = await trusting.authenticate(withBearer(token), mfa, assertion);
      expect(await response?.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    }
    // A forged one is invalid_token; a route without a step-up never reads it.
    const forged = await trusting.authenticate(withBearer(token), mfa, `${stepped}x`);
    expect(forged.response?.status).toBe(401);
    expect(await forged.response?.json()).toMatchObject({ error: 'invalid_token' });
    expect((await trusting.authenticate(withBearer(token), {}, 'not-a-jwt')).token?.sub).toBe(sub);
    await expect(trusting.verify(token, mfa, stepped)).resolves.toMatchObject({ acr: mfa.acr });
  });
});
