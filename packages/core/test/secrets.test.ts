// Nothing latchkey shows (util.inspect, JSON.stringify) of its instance, its config or the errors
// it throws carries a secret, a token, a cookie value or personal data. The hostile IdP (well
// behaved except where a test says) signs in a user with an email and a name.
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthContext,
  createBearerVerifier,
  createLatchkey,
  type Latchkey,
} from '../src/index';
import { baseUrl, cookiesAfter, hostileClient, secrets, useHostileIdp } from './hostile';
import { API, ISSUER, useTokenIssuer } from './token-issuer';

const hostile = useHostileIdp();
const tokens = useTokenIssuer();
const EMAIL = 'pat.patient@example.test';
const NAME = 'Pat Patient';
const clock = { offset: 0 };

let latchkey: Latchkey;
let cookie: string;
let context: AuthContext;
let accessToken: string;

beforeAll(async () => {
  const idp = hostile.idp;
  idp.mode = 'valid';
  idp.claims = { email: EMAIL, name: NAME };
  latchkey = createLatchkey({
    issuer: idp.issuer,
    ...hostileClient,
    baseUrl,
    secrets,
    now: () => Date.now() + clock.offset,
  });
  const login = (await latchkey.handle(new Request(`${baseUrl}/auth/login`)))!;
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  const callback = (await latchkey.handle(
    new Request(authorize.headers.get('location')!, {
      headers: { cookie: cookiesAfter(login), accept: 'application/json' },
    }),
  ))!;
  cookie = cookiesAfter(callback);
  context = await latchkey.authenticate(new Request(baseUrl, { headers: { cookie } }), () => {});
  accessToken = await context.getAccessToken();
});

/** Every string that must never be shown. */
function secretsShown(text: string): string[] {
  const values = cookie.split('; ').map((pair) => pair.slice(pair.indexOf('=') + 1));
  return [hostileClient.clientSecret, ...secrets, accessToken, ...values, EMAIL, NAME].filter(
    (secret) => text.includes(secret),
  );
}

const shown = (value: unknown) =>
  `${inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: false })}\n${JSON.stringify(value) ?? ''}`;

describe('nothing secret on display', () => {
  it('in the instance and its config', () => {
    expect(context.session?.user.email).toBe(EMAIL);
    expect(secretsShown(shown(latchkey))).toEqual([]);
    expect(secretsShown(shown(latchkey.config))).toEqual([]);
    expect(shown(latchkey.config)).toContain("clientSecret: '[redacted]'");
    expect(latchkey.config.clientSecret).toBe(hostileClient.clientSecret);
  });

  it('in a config error', () => {
    let error: unknown;
    try {
      createLatchkey({ ...hostileClient, issuer: 'ftp://x', baseUrl, secrets });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'config_invalid' });
    expect(secretsShown(shown(error))).toEqual([]);
  });

  it('in a refresh failure', async () => {
    hostile.idp.mode = 'other-sub';
    clock.offset = 2 * 3600_000;
    try {
      const later = await latchkey.authenticate(
        new Request(baseUrl, { headers: { cookie } }),
        () => {},
      );
      const error = await later.getAccessToken().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'refresh_failed' });
      expect(secretsShown(shown(error))).toEqual([]);
    } finally {
      hostile.idp.mode = 'valid';
      clock.offset = 0;
    }
  });

  it('in bearer-token errors, whose tokens carry personal data', async () => {
    const verifier = createBearerVerifier({
      issuer: ISSUER,
      audience: API,
      jwksUri: tokens.jwksUri,
    });
    const expired = await tokens.mint({ email: EMAIL, name: NAME, exp: 1 }, { exp: false });
    const wrongIssuer = await tokens.mint(
      { email: EMAIL, name: NAME },
      { iss: 'https://other.example' },
    );
    for (const token of [expired, wrongIssuer]) {
      const error = await verifier.verify(token).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'invalid_token' });
      const text = shown(error);
      expect(text).not.toContain(EMAIL);
      expect(text).not.toContain(NAME);
      expect(text).not.toContain(token);
    }
  });
});
