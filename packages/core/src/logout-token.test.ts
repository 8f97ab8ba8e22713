// Logout tokens are signed here with a local key: the malformed ones below are what no real IdP
// would send, so a local signer stands in for a malicious one.
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKCHANNEL_LOGOUT_EVENT, validateLogoutToken } from './logout-token';

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

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    ['a foreign issuer', { iss: 'https://evil.example' }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['another audience', { aud: 'someone-else' }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    [
      'no events claim',
      { events: undefined },
      {},
      `the events claim lacks ${BACKCHANNEL_LOGOUT_EVENT}`,
    ],
    ['events that are no object', { events: 'logout' }, {}, 'the events claim lacks'],
    ['the event as a string', { events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } }, {}, 'lacks'],
    ['the event as an array', { events: { [BACKCHANNEL_LOGOUT_EVENT]: [] } }, {}, 'lacks'],
    ['the event as null', { events: { [BACKCHANNEL_LOGOUT_EVENT]: null } }, {}, 'lacks'],
    ['the wrong event', { events: { 'http://schemas.openid.net/event/other': {} } }, {}, 'lacks'],
    ['a nonce', { nonce: 'n' }, {}, 'it must not contain a nonce'],
    ['neither sid nor sub', { sid: undefined, sub: undefined }, {}, 'it has neither sid nor sub'],
    ['a sid and sub that are no strings', { sid: 7, sub: 8 }, {}, 'it has neither sid nor sub'],
    ['no jti', { jti: undefined }, {}, 'jti is missing'],
    ['an empty jti', { jti: '' }, {}, 'jti is missing'],
    ['a jti that is no string', { jti: 42 }, {}, 'jti is missing'],
    ['no iat', { iat: undefined }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['an expired exp', { exp: now() - 3600, iat: now() - 4000 }, {}, 'ERR_JWT_EXPIRED'],
    ['an iat older than five minutes', { iat: now() - 3600 }, {}, 'ERR_JWT_EXPIRED'],
    ['an access-token typ', {}, { typ: 'at+jwt' }, "unexpected typ 'at+jwt'"],
  ])('rejects a token with %s', async (_case, claims, header, reason) => {
    const token = await sign(claims, header);
    const error = await validateLogoutToken(token, check).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'logout_token_invalid', status: 400 });
    expect((error as Error).message).toMatch(/^Invalid logout token: .*\.$/);
    expect((error as Error).message).toContain(reason);
    expect((error as Error).cause === undefined).toBe(!reason.startsWith('ERR_'));
  });

  it('accepts the typ in any case, and ignores a sid that is no string', async () => {
    const token = await sign({ sid: 7 }, { typ: 'Logout+JWT' });
    await expect(validateLogoutToken(token, check)).resolves.toEqual({
      sid: undefined,
      sub: 'alice',
      jti: expect.any(String),
    });
    const subless = await sign({ sub: 9 });
    await expect(validateLogoutToken(subless, check)).resolves.toMatchObject({
      sid: 'idp-session',
      sub: undefined,
    });
  });

  it('says the check failed when the keys cannot be had', async () => {
    const broken = {
      ...check,
      keys: () => {
        throw new Error('no keys');
      },
    };
    await expect(validateLogoutToken(await sign({}), broken)).rejects.toMatchObject({
      message: 'Invalid logout token: signature or claims check failed.',
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
