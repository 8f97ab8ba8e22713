import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenHash,
  type StepUpKey,
  stepUpAssertionSigner,
  stepUpAssertionVerifier,
} from './step-up-assertion';

const APP = 'https://app.example.com';
const NOW = 1_800_000_000_000;
const clock = { now: NOW };
const now = () => clock.now;
const TOKEN = 'header.payload.signature';
const step = {
  sub: 'alice',
  acr: 'urn:latchkey:acr:mfa',
  amr: ['pwd', 'hwk', 'user'],
  authTime: NOW / 1000 - 5,
};

let privateJwk: StepUpKey;
let publicJwk: StepUpKey;
let otherPrivate: StepUpKey;
beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'app-1' };
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'app-1' };
  otherPrivate = {
    ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)),
    kid: 'app-1',
  };
});

const verifier = () =>
  stepUpAssertionVerifier({ issuer: APP, keys: { keys: [publicJwk] } }, 30, now);
const sign = (claims = step, token = TOKEN, key = privateJwk, issuer = APP) =>
  stepUpAssertionSigner(key, issuer, now)(claims, token);

describe('step-up assertions', () => {
  it('carries the step-up to the API, bound to the token and the user', async () => {
    clock.now = NOW;
    const assertion = await sign();
    await expect(verifier()(assertion, { raw: TOKEN, sub: 'alice' })).resolves.toEqual({
      acr: step.acr,
      authTime: step.authTime,
    });
    const [header, payload] = assertion
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part!, 'base64url').toString()));
    expect(header).toEqual({ alg: 'ES256', typ: 'latchkey-step-up+jwt', kid: 'app-1' });
    expect(payload).toMatchObject({
      iss: APP,
      sub: 'alice',
      ath: accessTokenHash(TOKEN),
      acr: step.acr,
      amr: step.amr,
      auth_time: step.authTime,
    });
    expect(payload.exp - payload.iat).toBe(60);
  });

  it('refuses another user, another token, another key, another issuer and an old assertion', async () => {
    clock.now = NOW;
    const unverified = 'its signature, type, issuer or times do not verify';
    const refused = (
      assertion: Promise<string>,
      why: string,
      token = { raw: TOKEN, sub: 'alice' },
    ) =>
      expect(assertion.then((value) => verifier()(value, token))).rejects.toMatchObject({
        code: 'invalid_token',
        status: 401,
        message: `The step-up assertion is invalid: ${why}.`,
        challenge:
          'Bearer error="invalid_token", error_description="the step-up assertion is invalid"',
      });
    await refused(sign(), 'it is about another user', { raw: TOKEN, sub: 'mallory' });
    await refused(sign(), 'it was made for another access token', {
      raw: 'another.access.token',
      sub: 'alice',
    });
    await refused(sign(step, TOKEN, otherPrivate), unverified);
    await refused(sign(step, TOKEN, privateJwk, 'https://evil.example'), unverified);
    const old = await sign();
    clock.now = NOW + 91_000;
    await refused(Promise.resolve(old), unverified);
    clock.now = NOW;
  });

  it('refuses a JWT of another type, an HMAC one, and one without acr or auth_time', async () => {
    clock.now = NOW;
    const { importJWK } = await import('jose');
    const key = await importJWK(privateJwk, 'ES256');
    const seconds = NOW / 1000;
    const jwt = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
      new SignJWT({ ath: accessTokenHash(TOKEN), ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'app-1', ...header } as { alg: string })
        .setIssuer(APP)
        .setSubject('alice')
        .setIssuedAt(seconds)
        .setExpirationTime(seconds + 60)
        .sign(key);
    const check = async (value: string) =>
      verifier()(value, { raw: TOKEN, sub: 'alice' }).then(
        () => 'accepted',
        (error: { code: string }) => error.code,
      );
    const claims = { acr: step.acr, auth_time: step.authTime };
    expect(await check(await jwt({ typ: 'latchkey-step-up+jwt' }, claims))).toBe('accepted');
    const unbounded = await new SignJWT({ ...claims, ath: accessTokenHash(TOKEN) })
      .setProtectedHeader({ alg: 'ES256', typ: 'latchkey-step-up+jwt', kid: 'app-1' })
      .setIssuer(APP)
      .setSubject('alice')
      .sign(key);
    expect(await check(unbounded)).toBe('invalid_token');
    const endless = await new SignJWT({ ...claims, ath: accessTokenHash(TOKEN) })
      .setProtectedHeader({ alg: 'ES256', typ: 'latchkey-step-up+jwt', kid: 'app-1' })
      .setIssuer(APP)
      .setSubject('alice')
      .setIssuedAt(seconds)
      .sign(key);
    expect(await check(endless)).toBe('invalid_token'); // no exp
    expect(await check(await jwt({ typ: 'JWT' }, claims))).toBe('invalid_token');
    expect(await check(await jwt({ typ: 'latchkey-step-up+jwt' }, { acr: step.acr }))).toBe(
      'invalid_token',
    );
    expect(await check(await jwt({ typ: 'latchkey-step-up+jwt' }, { auth_time: 1 }))).toBe(
      'invalid_token',
    );
    const hmac = await new SignJWT({ ...claims, ath: accessTokenHash(TOKEN) })
      .setProtectedHeader({ alg: 'HS256', typ: 'latchkey-step-up+jwt', kid: 'app-1' })
      .setIssuer(APP)
      .setSubject('alice')
      .setIssuedAt(seconds)
      .setExpirationTime(seconds + 60)
      .sign(new TextEncoder().encode('a-shared-secret-a-shared-secret-1'));
    expect(await check(hmac)).toBe('invalid_token');
  });

  it('takes only a private EC P-256 or Ed25519 key to sign, and only public ones to verify', async () => {
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey);
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const refused = (make: () => unknown) =>
      expect(make).toThrow(
        expect.objectContaining({
          code: 'config_invalid',
          message: expect.stringMatching(/^stepUp(\.passkey\.assertionKey|Assertions\.keys) must/),
        }),
      );
    refused(() => stepUpAssertionSigner(rsa, APP, now));
    refused(() => stepUpAssertionSigner(publicJwk, APP, now));
    refused(() => stepUpAssertionVerifier({ issuer: APP, keys: { keys: [privateJwk] } }, 30, now));
    refused(() =>
      stepUpAssertionVerifier({ issuer: APP, keys: { keys: [publicJwk, privateJwk] } }, 30, now),
    );
    refused(() => stepUpAssertionVerifier({ issuer: APP, keys: { keys: [] } }, 30, now));
    refused(() =>
      stepUpAssertionVerifier({ issuer: APP, keys: {} as { keys: StepUpKey[] } }, 30, now),
    );
    refused(() => stepUpAssertionVerifier({ issuer: APP, keys: { keys: [rsa] } }, 30, now));
    refused(() =>
      stepUpAssertionVerifier(
        { issuer: APP } as Parameters<typeof stepUpAssertionVerifier>[0],
        30,
        now,
      ),
    );
    const edVerifier = stepUpAssertionVerifier(
      { issuer: APP, keys: { keys: [await exportJWK(ed.publicKey)] } },
      30,
      now,
    );
    const assertion = await sign(step, TOKEN, await exportJWK(ed.privateKey));
    await expect(edVerifier(assertion, { raw: TOKEN, sub: 'alice' })).resolves.toMatchObject({
      acr: step.acr,
    });
  });
});
