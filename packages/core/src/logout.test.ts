// Logout tokens are signed here with a local key: the malformed ones below are what no real IdP
// would send, so a local signer stands in for a malicious one.
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKCHANNEL_LOGOUT_EVENT, validateLogoutToken } from './logout';

const issuer = 'https://idp.example.com';
const clientId = 'app';
let privateKey: CryptoKey;
let check: Parameters<typeof validateLogoutToken>[1];

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
  check = {
    keys: createLocalJWKSet({ keys: [jwk] }),
    issuer,
    clientId,
    algorithms: ['ES256', 'RS256'],
    clockTolerance: 30,
  };
});

const now = () => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  return new SignJWT({
    iss: issuer,
    aud: clientId,
    iat: now(),
    jti: crypto.randomUUID(),
    sid: 'idp-session',
    sub: 'alice',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'logout+jwt', ...header })
    .sign(privateKey);
}

describe('validateLogoutToken (OpenID Back-Channel Logout 1.0, 2.6)', () => {
  it('accepts a valid logout token and returns sid, sub and jti', async () => {
    const token = await sign({ exp: now() + 120 });
    await expect(validateLogoutToken(token, check)).resolves.toMatchObject({
      sid: 'idp-session',
      sub: 'alice',
    });
  });

  it('accepts an untyped token and one with only sub', async () => {
    await expect(
      validateLogoutToken(await sign({ sid: undefined }, { typ: undefined }), check),
    ).resolves.toMatchObject({
      sid: undefined,
      sub: 'alice',
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['a foreign issuer', { iss: 'https://evil.example' }, {}],
    ['another audience', { aud: 'someone-else' }, {}],
    ['no events claim', { events: undefined }, {}],
    ['the wrong event', { events: { 'http://schemas.openid.net/event/other': {} } }, {}],
    ['a nonce', { nonce: 'n' }, {}],
    ['neither sid nor sub', { sid: undefined, sub: undefined }, {}],
    ['no jti', { jti: undefined }, {}],
    ['no iat', { iat: undefined }, {}],
    ['an expired exp', { exp: now() - 3600, iat: now() - 4000 }, {}],
    ['an iat older than five minutes', { iat: now() - 3600 }, {}],
    ['an access-token typ', {}, { typ: 'at+jwt' }],
  ])('rejects a token with %s', async (_case, claims, header) => {
    const token = await sign(claims, header);
    await expect(validateLogoutToken(token, check)).rejects.toMatchObject({
      code: 'logout_token_invalid',
      status: 400,
    });
  });

  it('rejects alg none, a bad signature and an unknown key', async () => {
    const valid = await sign({});
    const [, payload, signature] = valid.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'logout+jwt' })).toString('base64url')}.${payload}.`;
    const tampered = `${valid.split('.')[0]}.${payload}.${signature!.slice(0, -4)}AAAA`;
    const other = await generateKeyPair('ES256');
    const foreign = await new SignJWT({
      iss: issuer,
      aud: clientId,
      iat: now(),
      jti: 'x',
      sub: 'a',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(other.privateKey);
    for (const token of [none, tampered, foreign, 'not.a.jwt']) {
      await expect(validateLogoutToken(token, check)).rejects.toMatchObject({
        code: 'logout_token_invalid',
      });
    }
  });
});
