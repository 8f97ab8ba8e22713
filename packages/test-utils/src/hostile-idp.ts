import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * How the hostile OP behaves. `'valid'` is a correct OP; every other mode breaks exactly one thing.
 *
 * Token-endpoint modes (the authorization response stays correct): `'bad-signature'`,
 * `'alg-none'`, `'wrong-aud'`, `'wrong-iss'`, `'untrusted-extra-aud'`, `'extra-aud-wrong-azp'`,
 * `'expired'`, `'future-iat'` (issued 120 s from now), `'nonce-mismatch'`, `'missing-kid'`.
 *
 * Authorization-endpoint modes (the token response stays correct): `'access-denied'`,
 * `'wrong-iss-param'`, `'no-iss-param'`.
 *
 * Token-endpoint modes that also apply to refresh grants: `'other-sub'` (the ID token is about
 * another user), `'hs256'` (signed with the client secret, and advertised in discovery).
 *
 * `'jwks-silent'`: the JWKS endpoint accepts the request and never answers; `'jwks-broken'`: it
 * drops the connection. `'token-silent'`: the token endpoint never answers; `'token-not-json'`:
 * it answers 200 with a JSON content type and a body that is not JSON; `'token-502'`: it answers
 * 502 with a proxy's HTML page. `'no-id-token'`: token
 * responses carry no ID token (as many IdPs answer a refresh). `'other-discovery-issuer'`: the
 * discovery document names `<issuer>/other` as its issuer. `'raw-basic'`: the token endpoint
 * compares Basic credentials without form-decoding them and answers a mismatch with 403
 * `unauthorized_client` (as glewlwyd does).
 */
export type HostileMode =
  | 'valid'
  | 'bad-signature'
  | 'alg-none'
  | 'wrong-aud'
  | 'wrong-iss'
  | 'untrusted-extra-aud'
  | 'extra-aud-wrong-azp'
  | 'expired'
  | 'future-iat'
  | 'nonce-mismatch'
  | 'missing-kid'
  | 'other-sub'
  | 'hs256'
  | 'jwks-silent'
  | 'jwks-broken'
  | 'token-silent'
  | 'token-not-json'
  | 'token-502'
  | 'no-id-token'
  | 'access-denied'
  | 'wrong-iss-param'
  | 'no-iss-param'
  | 'other-discovery-issuer'
  | 'raw-basic';

/** Options for {@link startHostileIdp}. */
export interface HostileIdpOptions {
  /** The only client the OP knows. */
  clientId: string;
  /** That client's secret (accepted via `client_secret_basic` or `client_secret_post`). */
  clientSecret: string;
  /** Subject of every issued ID token and of `/userinfo`. Defaults to `'hostile-user'`. */
  sub?: string;
  /** Extra claims for the ID token and `/userinfo`; they never override protocol claims. */
  claims?: Record<string, unknown>;
  /**
   * Shaped like Microsoft Entra ID's multi-tenant endpoints: discovery (also at
   * `/<any path>/.well-known/openid-configuration`, as `/organizations/v2.0/...`) names the issuer
   * `<issuer>/{tenantid}/v2.0`, authorization responses carry no `iss`, and ID tokens name
   * `<issuer>/<tenant>/v2.0` (see {@link HostileIdp.tenant}). Default false.
   */
  multiTenant?: boolean;
}

/** A running hostile OP. */
export interface HostileIdp {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  issuer: string;
  /** Settable at any time; read when each authorization or token response is produced. */
  mode: HostileMode;
  /** Extra ID token claims, settable at any time (starts as the `claims` option). */
  claims: Record<string, unknown>;
  /** `expires_in` of the access tokens it issues, in seconds; settable. Default 3600. */
  expiresIn: number;
  /** Whether token responses carry a refresh token; settable. Default true. */
  issueRefreshTokens: boolean;
  /**
   * With `multiTenant`: the tenant the ID token's `iss` names; settable. Default undefined: the
   * `tid` claim's.
   */
  tenant: string | undefined;
  /** Every request received, in order (`path` is the pathname, without the query). */
  requests: Array<{ method: string; path: string }>;
  /**
   * A back-channel logout token signed with the OP's key, as OpenID Back-Channel Logout 1.0
   * shapes it for its client (`iss`, `aud`, `iat`, `exp`, `jti`, `events`), with `claims` (`sub`,
   * `sid`) added; they may replace the protocol's own.
   */
  logoutToken(claims: Record<string, unknown>): Promise<string>;
  /** Closes the server and every open connection (idempotent). */
  stop(): Promise<void>;
}

/** The foreign audience / authorized party used by the `*-aud` modes. */
const OTHER_PARTY = 'someone-else';
/** The issuer used by `'wrong-iss'` and `'wrong-iss-param'`. */
const EVIL_ISSUER = 'https://evil.example';
const CODE_TTL_MS = 10 * 60 * 1000;
const ID_TOKEN_TTL_S = 10 * 60;
const MAX_BODY_BYTES = 64 * 1024;

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

interface PendingCode {
  nonce: string | undefined;
  codeChallenge: string;
  redirectUri: string;
  authTime: number;
  expiresAt: number;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(`${error}: ${description}`);
  }
}

const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/** Constant-time string comparison (hashes first, so lengths may differ). */
const safeEqual = (a: string, b: string): boolean => timingSafeEqual(sha256(a), sha256(b));

async function makeKey(alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** Parses `application/x-www-form-urlencoded` or a query string, rejecting repeated parameters. */
function singleParams(params: URLSearchParams): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of params) {
    if (out.has(key)) {
      throw new OAuthError(400, 'invalid_request', `parameter "${key}" must not be repeated`);
    }
    out.set(key, value);
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      throw new OAuthError(413, 'invalid_request', 'request body too large');
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Decodes a form-urlencoded credential component (RFC 6749 §2.3.1), or `undefined` if malformed. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function sendError(res: ServerResponse, err: OAuthError): void {
  sendJson(
    res,
    err.status,
    { error: err.error, error_description: err.description },
    { 'Cache-Control': 'no-store', ...err.headers },
  );
}

function requireMethod(req: IncomingMessage, ...allowed: string[]): void {
  if (!allowed.includes(req.method ?? '')) {
    throw new OAuthError(405, 'invalid_request', `method ${req.method} not allowed`, {
      Allow: allowed.join(', '),
    });
  }
}

/**
 * Starts an OpenID Provider on 127.0.0.1 (free port) that is correct in `'valid'` mode and
 * misbehaves on demand (see {@link HostileMode}). Any absolute `http(s)` redirect URI is accepted;
 * PKCE with `S256` is mandatory.
 *
 * Endpoints: `/.well-known/openid-configuration`, `/jwks` (two RS256 keys and one ES256 key),
 * `/authorize`, `/token`, `/userinfo` (Bearer access token), `/logout`.
 */
export async function startHostileIdp(options: HostileIdpOptions): Promise<HostileIdp> {
  const { clientId, clientSecret } = options;
  const sub = options.sub ?? 'hostile-user';

  const keys = await Promise.all([makeKey('RS256'), makeKey('RS256'), makeKey('ES256')]);
  const signingKey = keys[0]!;
  const jwks = { keys: keys.map((k) => k.publicJwk) };

  const codes = new Map<string, PendingCode>();
  const accessTokens = new Set<string>();
  const refreshTokens = new Map<string, PendingCode>();

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const idp: HostileIdp = {
    issuer,
    mode: 'valid',
    claims: options.claims ?? {},
    expiresIn: 3600,
    issueRefreshTokens: true,
    tenant: undefined,
    requests: [],
    logoutToken: (claims) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: clientId,
        iat: now,
        exp: now + 120,
        jti: randomToken(16),
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        ...claims,
      })
        .setProtectedHeader({ alg: signingKey.alg, typ: 'logout+jwt', kid: signingKey.kid })
        .sign(signingKey.privateKey);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };

  const multiTenant = options.multiTenant === true;
  const discovery = {
    issuer: multiTenant ? `${issuer}/{tenantid}/v2.0` : issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    userinfo_endpoint: `${issuer}/userinfo`,
    end_session_endpoint: `${issuer}/logout`,
    authorization_response_iss_parameter_supported: !multiTenant,
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    scopes_supported: ['openid'],
  };

  function authorize(req: IncomingMessage, res: ServerResponse, url: URL): void {
    requireMethod(req, 'GET');
    const params = singleParams(url.searchParams);
    const requestedClient = params.get('client_id');
    if (!requestedClient) throw new OAuthError(400, 'invalid_request', 'client_id is required');
    if (requestedClient !== clientId) throw new OAuthError(400, 'invalid_client', 'unknown client');
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri) throw new OAuthError(400, 'invalid_request', 'redirect_uri is required');
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      throw new OAuthError(400, 'invalid_request', 'redirect_uri is not an absolute URL');
    }
    if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.hash !== '') {
      throw new OAuthError(400, 'invalid_request', 'redirect_uri must be http(s) without fragment');
    }
    if (params.get('response_type') !== 'code') {
      throw new OAuthError(400, 'unsupported_response_type', 'only response_type=code');
    }
    const codeChallenge = params.get('code_challenge');
    if (!codeChallenge || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
      throw new OAuthError(400, 'invalid_request', 'code_challenge (S256) is required');
    }
    if (params.get('code_challenge_method') !== 'S256') {
      throw new OAuthError(400, 'invalid_request', 'code_challenge_method must be S256');
    }

    const mode = idp.mode;
    const state = params.get('state');
    const reply = new Map<string, string>();
    if (mode === 'access-denied') {
      reply.set('error', 'access_denied');
      reply.set('error_description', 'The resource owner denied the request');
    } else {
      const code = randomToken();
      codes.set(code, {
        nonce: params.get('nonce'),
        codeChallenge,
        redirectUri,
        authTime: Math.floor(Date.now() / 1000),
        expiresAt: Date.now() + CODE_TTL_MS,
      });
      reply.set('code', code);
    }
    if (state !== undefined) reply.set('state', state);
    if (mode === 'wrong-iss-param') reply.set('iss', EVIL_ISSUER);
    else if (mode !== 'no-iss-param' && !multiTenant) reply.set('iss', issuer);
    for (const [key, value] of reply) target.searchParams.append(key, value);

    res.writeHead(302, { Location: target.href, 'Cache-Control': 'no-store' });
    res.end();
  }

  function authenticateClient(req: IncomingMessage, params: Map<string, string>): void {
    const authorization = req.headers.authorization;
    const bodySecret = params.get('client_secret');
    const bodyClient = params.get('client_id');
    let id: string | undefined;
    let secret: string | undefined;
    let basic = false;

    if (authorization !== undefined) {
      const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
      const decoded = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials', {
          'WWW-Authenticate': 'Basic realm="hostile-idp"',
        });
      }
      if (bodySecret !== undefined) {
        throw new OAuthError(400, 'invalid_request', 'use only one client authentication method');
      }
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
      basic = true;
      if (idp.mode === 'raw-basic' && decoded !== `${clientId}:${clientSecret}`) {
        throw new OAuthError(403, 'unauthorized_client', 'client authentication failed');
      }
      if (bodyClient !== undefined && bodyClient !== id) {
        throw new OAuthError(400, 'invalid_request', 'client_id does not match credentials');
      }
    } else {
      id = bodyClient;
      secret = bodySecret;
    }

    if (
      id === undefined ||
      secret === undefined ||
      id !== clientId ||
      !safeEqual(secret, clientSecret)
    ) {
      throw new OAuthError(
        401,
        'invalid_client',
        'client authentication failed',
        basic ? { 'WWW-Authenticate': 'Basic realm="hostile-idp"' } : {},
      );
    }
  }

  async function issueIdToken(pending: PendingCode): Promise<string> {
    const mode = idp.mode;
    const now = Math.floor(Date.now() / 1000);
    const protocol: JWTPayload & Record<string, unknown> = {
      iss: multiTenant ? `${issuer}/${idp.tenant ?? String(idp.claims.tid)}/v2.0` : issuer,
      sub,
      aud: clientId,
      iat: now,
      exp: now + ID_TOKEN_TTL_S,
      auth_time: pending.authTime,
    };
    if (pending.nonce !== undefined) protocol.nonce = pending.nonce;

    switch (mode) {
      case 'wrong-aud':
        protocol.aud = `not-${clientId}`;
        break;
      case 'wrong-iss':
        protocol.iss = EVIL_ISSUER;
        break;
      case 'untrusted-extra-aud':
        protocol.aud = [clientId, OTHER_PARTY];
        break;
      case 'extra-aud-wrong-azp':
        protocol.aud = [clientId, OTHER_PARTY];
        protocol.azp = OTHER_PARTY;
        break;
      case 'expired':
        protocol.iat = now - 2 * 3600;
        protocol.exp = now - 3600;
        protocol.auth_time = protocol.iat;
        break;
      case 'future-iat':
        protocol.iat = now + 120;
        break;
      case 'nonce-mismatch':
        protocol.nonce = `not-${randomToken(16)}`;
        break;
      default:
        break;
    }

    if (mode === 'other-sub') protocol.sub = `other-${sub}`;
    const payload = { ...idp.claims, ...protocol };

    if (mode === 'hs256') {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(new TextEncoder().encode(clientSecret));
    }

    if (mode === 'alg-none') {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      return `${header}.${base64url.encode(JSON.stringify(payload))}.`;
    }

    const header =
      mode === 'missing-kid'
        ? { alg: signingKey.alg, typ: 'JWT' }
        : { alg: signingKey.alg, typ: 'JWT', kid: signingKey.kid };
    const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(signingKey.privateKey);

    if (mode === 'bad-signature') {
      const [h, p, s] = jwt.split('.');
      const signature = Buffer.from(s ?? '', 'base64url');
      for (let i = 0; i < signature.length; i += 16) signature[i] = (signature[i] ?? 0) ^ 0xff;
      return `${h}.${p}.${signature.toString('base64url')}`;
    }
    return jwt;
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireMethod(req, 'POST');
    if (idp.mode === 'token-silent') return; // the connection stays open, unanswered
    if (idp.mode === 'token-not-json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('<html>Service Unavailable</html>');
    }
    if (idp.mode === 'token-502') {
      res.writeHead(502, { 'content-type': 'text/html' });
      return void res.end('<html><h1>502 Bad Gateway</h1></html>');
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      throw new OAuthError(
        400,
        'invalid_request',
        'body must be application/x-www-form-urlencoded',
      );
    }
    const params = singleParams(new URLSearchParams(await readBody(req)));
    authenticateClient(req, params);

    const grantType = params.get('grant_type');
    if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
    if (grantType === 'refresh_token') return refresh(res, params);
    if (grantType !== 'authorization_code') {
      throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${grantType} not supported`);
    }
    const code = params.get('code');
    if (!code) throw new OAuthError(400, 'invalid_request', 'code is required');

    const pending = codes.get(code);
    codes.delete(code); // single use, even when the rest of the request turns out to be invalid
    for (const [key, value] of codes) if (value.expiresAt < Date.now()) codes.delete(key);
    if (!pending || pending.expiresAt < Date.now()) {
      throw new OAuthError(400, 'invalid_grant', 'code is invalid, expired or already used');
    }
    if (params.get('redirect_uri') !== pending.redirectUri) {
      throw new OAuthError(400, 'invalid_grant', 'redirect_uri does not match the authorization');
    }
    const verifier = params.get('code_verifier');
    if (!verifier) throw new OAuthError(400, 'invalid_grant', 'code_verifier is required');
    if (!safeEqual(sha256(verifier).toString('base64url'), pending.codeChallenge)) {
      throw new OAuthError(400, 'invalid_grant', 'PKCE verification failed');
    }

    await sendTokens(res, pending);
  }

  /** Access, refresh (rotated on every use) and ID token of one grant. */
  async function sendTokens(res: ServerResponse, grant: PendingCode): Promise<void> {
    const accessToken = randomToken();
    accessTokens.add(accessToken);
    const refreshToken = randomToken();
    if (idp.issueRefreshTokens) refreshTokens.set(refreshToken, { ...grant, nonce: undefined });
    const idToken = await issueIdToken(grant);
    sendJson(
      res,
      200,
      {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: idp.expiresIn,
        ...(idp.issueRefreshTokens ? { refresh_token: refreshToken } : {}),
        ...(idp.mode === 'no-id-token' ? {} : { id_token: idToken }),
        scope: 'openid',
      },
      { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    );
  }

  /** RFC 6749 section 6; the ID token of a refresh carries no nonce (OIDC Core 12.2). */
  async function refresh(res: ServerResponse, params: Map<string, string>): Promise<void> {
    const token = params.get('refresh_token') ?? '';
    const grant = refreshTokens.get(token);
    refreshTokens.delete(token);
    if (!grant) throw new OAuthError(400, 'invalid_grant', 'refresh token is invalid or used');
    await sendTokens(res, grant);
  }

  function userinfo(req: IncomingMessage, res: ServerResponse): void {
    requireMethod(req, 'GET', 'POST');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1] || !accessTokens.has(match[1])) {
      throw new OAuthError(401, 'invalid_token', 'missing or unknown access token', {
        'WWW-Authenticate': 'Bearer error="invalid_token"',
      });
    }
    sendJson(res, 200, { ...idp.claims, sub }, { 'Cache-Control': 'no-store' });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(`http://127.0.0.1${req.url ?? '/'}`);
    } catch {
      idp.requests.push({ method: req.method ?? '', path: req.url ?? '' });
      throw new OAuthError(400, 'invalid_request', 'malformed request target');
    }
    idp.requests.push({ method: req.method ?? '', path: url.pathname });

    const pathname =
      multiTenant && url.pathname.endsWith('/.well-known/openid-configuration')
        ? '/.well-known/openid-configuration'
        : url.pathname;
    switch (pathname) {
      case '/.well-known/openid-configuration':
        requireMethod(req, 'GET');
        return sendJson(
          res,
          200,
          idp.mode === 'hs256'
            ? { ...discovery, id_token_signing_alg_values_supported: ['HS256', 'RS256'] }
            : idp.mode === 'other-discovery-issuer'
              ? { ...discovery, issuer: `${issuer}/other` }
              : discovery,
        );
      case '/jwks':
        requireMethod(req, 'GET');
        if (idp.mode === 'jwks-silent') return; // the connection stays open, unanswered
        if (idp.mode === 'jwks-broken') return void req.socket.destroy();
        return sendJson(res, 200, jwks);
      case '/authorize':
        return authorize(req, res, url);
      case '/token':
        return token(req, res);
      case '/userinfo':
        return userinfo(req, res);
      case '/logout':
        requireMethod(req, 'GET', 'POST');
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('logged out');
        return;
      default:
        throw new OAuthError(404, 'not_found', `no route for ${url.pathname}`);
    }
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.on('error', () => res.destroy());
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(
        res,
        err instanceof OAuthError ? err : new OAuthError(500, 'server_error', String(err)),
      );
    });
  });

  return idp;
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers (for timeout tests). */
export async function startSilentServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    // Read and discard whatever arrives, so the client never sees back-pressure; never write.
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
