// A tiny token issuer for the bearer scenarios: ES256 and RS256 keys, their JWKS served over
// loopback HTTP, and RFC 9068 access tokens signed with them.
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

export const AUDIENCE = 'urn:latchkey:bench-api';
export const SCOPE = 'reports:read payments:write';
export const REQUIRED_SCOPE = 'reports:read';

/**
 * @typedef {{ alg: 'ES256' | 'RS256', kid: string, privateJwk: import('jose').JWK, publicJwk: import('jose').JWK }} SigningKey
 * @typedef {{ issuer: string, jwksUri: string, keys: Record<'ES256' | 'RS256', SigningKey>, fetches: () => number, close: () => Promise<void> }} TokenIssuer
 */

/** @param {'ES256' | 'RS256'} alg @returns {Promise<SigningKey>} */
async function newKey(alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `bench-${alg.toLowerCase()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  return { alg, kid, privateJwk, publicJwk };
}

/**
 * Starts the issuer: `/.well-known/openid-configuration` and `/jwks` on 127.0.0.1.
 * @returns {Promise<TokenIssuer>}
 */
export async function startTokenIssuer() {
  const keys = { ES256: await newKey('ES256'), RS256: await newKey('RS256') };
  let fetches = 0;
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [keys.ES256.publicJwk, keys.RS256.publicJwk] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  issuer = `http://127.0.0.1:${address.port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    keys,
    fetches: () => fetches,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** Claims of an access token as the dev IdP issues them (RFC 9068 plus roles, acr, amr). */
function claims(issuer, index, ttlSeconds) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: `usr_bench_${index}`,
    aud: AUDIENCE,
    client_id: 'latchkey-bench',
    scope: SCOPE,
    jti: randomUUID(),
    iat: now,
    exp: now + ttlSeconds,
    roles: ['viewer'],
    acr: 'urn:latchkey:acr:pwd',
    amr: ['pwd'],
    auth_time: now,
  };
}

/**
 * Signs `count` distinct access tokens with jose's `SignJWT` (the rotation sets of the
 * throughput scenarios).
 * @param {string} issuer @param {SigningKey} key @param {number} count @param {number} [ttlSeconds]
 * @returns {Promise<string[]>}
 */
export async function mintTokens(issuer, key, count, ttlSeconds = 3 * 3600) {
  const privateKey = await importJWK(key.privateJwk, key.alg);
  const tokens = [];
  for (let index = 0; index < count; index++) {
    tokens.push(
      await new SignJWT(claims(issuer, index, ttlSeconds))
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .sign(privateKey),
    );
  }
  return tokens;
}

/**
 * A synchronous minter on node:crypto for the million distinct tokens of the memory check
 * (jose's WebCrypto path is asynchronous and several times slower per token). The output is a
 * standard compact JWS; the memory check verifies a sample with jose before using it.
 * @param {string} issuer @param {SigningKey} key @param {number} [ttlSeconds]
 * @returns {(index: number) => string}
 */
export function fastMinter(issuer, key, ttlSeconds = 3 * 3600) {
  const privateKey = createPrivateKey({ key: key.privateJwk, format: 'jwk' });
  const header = Buffer.from(
    JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }),
  ).toString('base64url');
  const options = key.alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey;
  return (index) => {
    const payload = Buffer.from(JSON.stringify(claims(issuer, index, ttlSeconds))).toString(
      'base64url',
    );
    const input = `${header}.${payload}`;
    const signature = sign('sha256', Buffer.from(input), /** @type {any} */ (options));
    return `${input}.${signature.toString('base64url')}`;
  };
}
