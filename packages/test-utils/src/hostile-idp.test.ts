import { createHash, randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type HostileIdp,
  type HostileMode,
  startHostileIdp,
  startSilentServer,
} from './hostile-idp';

const CLIENT_ID = 'rp client/1';
const CLIENT_SECRET = 's3cret:with+odd&chars';
const REDIRECT_URI = 'http://127.0.0.1:1/callback?tenant=a';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
  end_session_endpoint: string;
  [key: string]: unknown;
}

let idp: HostileIdp;
let discovery: Discovery;

beforeAll(async () => {
  idp = await startHostileIdp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    claims: { email: 'mallory@example.test', sub: 'ignored' },
  });
  const res = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
  discovery = (await res.json()) as Discovery;
});

afterAll(async () => {
  await idp.stop();
});

afterEach(() => {
  idp.mode = 'valid';
});

const b64url = (buf: Buffer): string => buf.toString('base64url');

function basicAuth(id = CLIENT_ID, secret = CLIENT_SECRET): string {
  const form = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(id)}:${form(secret)}`).toString('base64')}`;
}

interface Authorization {
  callback: URL;
  verifier: string;
  nonce: string;
  state: string;
}

/** Runs the authorization request and returns the (unfollowed) redirect target. */
async function authorize(): Promise<Authorization> {
  const verifier = b64url(randomBytes(32));
  const nonce = b64url(randomBytes(16));
  const state = b64url(randomBytes(16));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = res.headers.get('location');
  expect(location).toBeTruthy();
  return { callback: new URL(location!), verifier, nonce, state };
}

function tokenRequest(body: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  });
}

function exchange(auth: Authorization, extra: Record<string, string> = {}) {
  return tokenRequest(
    {
      grant_type: 'authorization_code',
      code: auth.callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: auth.verifier,
      ...extra,
    },
    { Authorization: basicAuth() },
  );
}

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  id_token: string;
  scope: string;
}

/** Full code + PKCE round trip; returns the token response and the nonce that was sent. */
async function login(): Promise<{ tokens: TokenResponse; nonce: string }> {
  const auth = await authorize();
  const res = await exchange(auth);
  expect(res.status).toBe(200);
  return { tokens: (await res.json()) as TokenResponse, nonce: auth.nonce };
}

function verify(idToken: string) {
  return jwtVerify(idToken, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: idp.issuer,
    audience: CLIENT_ID,
  });
}

describe('startHostileIdp: metadata', () => {
  it('serves discovery metadata', () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(discovery).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: `${idp.issuer}/authorize`,
      token_endpoint: `${idp.issuer}/token`,
      jwks_uri: `${idp.issuer}/jwks`,
      userinfo_endpoint: `${idp.issuer}/userinfo`,
      end_session_endpoint: `${idp.issuer}/logout`,
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
    });
  });

  it('publishes two RS256 keys and one ES256 key, public parts only', async () => {
    const { keys } = (await (await fetch(discovery.jwks_uri)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(keys.map((k) => k.alg)).toEqual(['RS256', 'RS256', 'ES256']);
    expect(new Set(keys.map((k) => k.kid)).size).toBe(3);
    for (const key of keys) {
      expect(key).toMatchObject({ use: 'sig', kid: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('answers 404 elsewhere and logs every request', async () => {
    const res = await fetch(`${idp.issuer}/nope?x=1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
    expect(idp.requests).toContainEqual({ method: 'GET', path: '/nope' });
    expect((await fetch(`${idp.issuer}/logout`)).status).toBe(200);
  });
});

describe('startHostileIdp: valid mode', () => {
  it('completes code + PKCE and issues a verifiable ID token', async () => {
    const auth = await authorize();
    expect(auth.callback.origin + auth.callback.pathname).toBe('http://127.0.0.1:1/callback');
    expect(auth.callback.searchParams.get('tenant')).toBe('a');
    expect(auth.callback.searchParams.get('state')).toBe(auth.state);
    expect(auth.callback.searchParams.get('iss')).toBe(idp.issuer);
    expect(auth.callback.searchParams.get('code')).toBeTruthy();

    const res = await exchange(auth);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = (await res.json()) as TokenResponse;
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid' });

    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as {
      keys: Array<{ kid: string }>;
    };
    const { payload, protectedHeader } = await verify(tokens.id_token);
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: jwks.keys[0]?.kid });
    expect(payload).toMatchObject({
      iss: idp.issuer,
      aud: CLIENT_ID,
      sub: 'hostile-user',
      nonce: auth.nonce,
      email: 'mallory@example.test',
    });
    expect(payload.azp).toBeUndefined();
    expect(typeof payload.auth_time).toBe('number');

    const info = await fetch(discovery.userinfo_endpoint, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await info.json()).toMatchObject({ sub: 'hostile-user' });
    expect((await fetch(discovery.userinfo_endpoint)).status).toBe(401);

    expect(idp.requests).toContainEqual({ method: 'POST', path: '/token' });
  });

  it('accepts client_secret_post', async () => {
    const auth = await authorize();
    const res = await tokenRequest({
      grant_type: 'authorization_code',
      code: auth.callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: auth.verifier,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    expect(res.status).toBe(200);
  });

  it('rejects a reused code with invalid_grant', async () => {
    const auth = await authorize();
    expect((await exchange(auth)).status).toBe(200);
    const again = await exchange(auth);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it.each([
    ['a wrong PKCE verifier', { code_verifier: b64url(randomBytes(32)) }],
    ['a different redirect_uri', { redirect_uri: 'http://127.0.0.1:1/other' }],
    ['an unknown code', { code: 'forged' }],
  ])('rejects %s with invalid_grant', async (_name, extra) => {
    const res = await exchange(await authorize(), extra);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const auth = await authorize();
    const res = await tokenRequest(
      { grant_type: 'authorization_code', code: auth.callback.searchParams.get('code') ?? '' },
      { Authorization: basicAuth(CLIENT_ID, 'wrong') },
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('answers malformed requests with OAuth error JSON', async () => {
    const badAuthorize = async (params: Record<string, string>) => {
      const res = await fetch(
        `${discovery.authorization_endpoint}?${new URLSearchParams(params)}`,
        {
          redirect: 'manual',
        },
      );
      return { status: res.status, body: await res.json() };
    };
    const base = {
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      code_challenge: b64url(randomBytes(32)),
      code_challenge_method: 'S256',
    };
    expect(await badAuthorize({ ...base, client_id: '' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    const { redirect_uri: _omit, ...noRedirect } = base;
    expect((await badAuthorize(noRedirect)).status).toBe(400);
    expect((await badAuthorize({ ...base, code_challenge_method: 'plain' })).status).toBe(400);

    const getToken = await fetch(discovery.token_endpoint);
    expect(getToken.status).toBe(405);
    const json = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
    const password = await tokenRequest(
      { grant_type: 'password', username: 'u', password: 'p' },
      { Authorization: basicAuth() },
    );
    expect(await password.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const refresh = await tokenRequest(
      { grant_type: 'refresh_token', refresh_token: 'never-issued' },
      { Authorization: basicAuth() },
    );
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('startHostileIdp: hostile ID tokens', () => {
  const cases: Array<
    [HostileMode, (token: string, payload: JWTPayload, nonce: string) => Promise<void> | void]
  > = [
    [
      'bad-signature',
      async (token) => {
        expect(decodeProtectedHeader(token).kid).toBeTruthy();
        await expect(verify(token)).rejects.toMatchObject({
          code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
        });
      },
    ],
    [
      'alg-none',
      async (token) => {
        expect(decodeProtectedHeader(token)).toEqual({ alg: 'none', typ: 'JWT' });
        expect(token.endsWith('.')).toBe(true);
        await expect(verify(token)).rejects.toThrow();
      },
    ],
    [
      'wrong-aud',
      async (token, payload) => {
        expect(payload.aud).not.toBe(CLIENT_ID);
        await expect(verify(token)).rejects.toMatchObject({ claim: 'aud' });
      },
    ],
    [
      'wrong-iss',
      async (token, payload) => {
        expect(payload.iss).not.toBe(idp.issuer);
        await expect(verify(token)).rejects.toMatchObject({ claim: 'iss' });
      },
    ],
    [
      'untrusted-extra-aud',
      async (token, payload) => {
        expect(payload.aud).toEqual([CLIENT_ID, 'someone-else']);
        expect(payload.azp).toBeUndefined();
        // jose alone accepts this (one audience matches); the RP must apply OIDC's azp rule.
        await expect(verify(token)).resolves.toBeTruthy();
      },
    ],
    [
      'extra-aud-wrong-azp',
      (_token, payload) => {
        expect(payload.aud).toEqual([CLIENT_ID, 'someone-else']);
        expect(payload.azp).toBe('someone-else');
      },
    ],
    [
      'expired',
      async (token, payload) => {
        const now = Date.now() / 1000;
        expect(payload.exp).toBeLessThanOrEqual(now - 3600);
        expect(payload.iat).toBeLessThanOrEqual(now - 3600);
        await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
      },
    ],
    [
      'nonce-mismatch',
      async (token, payload, nonce) => {
        expect(payload.nonce).toEqual(expect.any(String));
        expect(payload.nonce).not.toBe(nonce);
        await expect(verify(token)).resolves.toBeTruthy(); // only the nonce is wrong
      },
    ],
    [
      'missing-kid',
      async (token) => {
        const header = decodeProtectedHeader(token);
        expect(header.alg).toBe('RS256');
        expect(header.kid).toBeUndefined();
        await expect(verify(token)).rejects.toMatchObject({
          code: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
        });
      },
    ],
  ];

  it.each(cases)('%s', async (mode, check) => {
    idp.mode = mode;
    const auth = await authorize();
    expect(auth.callback.searchParams.get('iss')).toBe(idp.issuer); // authorization stays valid
    const res = await exchange(auth);
    expect(res.status).toBe(200);
    const { id_token } = (await res.json()) as TokenResponse;
    await check(id_token, decodeJwt(id_token), auth.nonce);
  });

  it('switches back to valid tokens as soon as the mode changes', async () => {
    idp.mode = 'expired';
    const auth = await authorize();
    idp.mode = 'valid';
    const { id_token } = (await (await exchange(auth)).json()) as TokenResponse;
    await expect(verify(id_token)).resolves.toBeTruthy();
    const { tokens } = await login();
    await expect(verify(tokens.id_token)).resolves.toBeTruthy();
  });
});

describe('startHostileIdp: hostile authorization responses', () => {
  it('access-denied redirects with an error, state and iss', async () => {
    idp.mode = 'access-denied';
    const { callback, state } = await authorize();
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('wrong-iss-param sends a foreign iss', async () => {
    idp.mode = 'wrong-iss-param';
    const { callback } = await authorize();
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('iss')).not.toBe(idp.issuer);
    expect(callback.searchParams.get('iss')).toBeTruthy();
  });

  it('no-iss-param omits iss', async () => {
    idp.mode = 'no-iss-param';
    const { callback } = await authorize();
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.has('iss')).toBe(false);
  });
});

describe('startSilentServer', () => {
  it('accepts connections and never answers', async () => {
    const silent = await startSilentServer();
    try {
      expect(silent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const started = Date.now();
      await expect(
        fetch(`${silent.url}/.well-known/openid-configuration`, {
          signal: AbortSignal.timeout(300),
        }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await silent.stop();
    }
  });
});
