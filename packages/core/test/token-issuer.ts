// An issuer of access tokens this test suite signs itself, with its JWKS served on a free port:
// no real IdP issues a token without `typ: at+jwt`, without `exp`, or with a chosen scope set on
// demand, so this stands in for the IdP's keys (the only mock in the bearer tests).
import { createServer, type Server } from 'node:http';
import { listen } from '@latchkey/test-utils';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll } from 'vitest';

export const ISSUER = 'https://idp.example.com';
export const API = 'urn:example:api';

/** Options of a minted token: its `typ` header (null: none), whether it has an `exp`, its `iss` and `aud`. */
export interface MintOptions {
  typ?: string | null;
  exp?: boolean;
  iss?: string;
  aud?: string;
}

/**
 * Starts the issuer's JWKS for the enclosing file (`/jwks`; `/two` adds a second key, for tokens
 * that name no kid) and mints ES256 tokens: `at+jwt`, an hour left, scopes `a b`, unless told
 * otherwise. Read `jwksUri` inside tests only.
 */
export function useTokenIssuer() {
  let server: Server | undefined;
  let jwksUri: string | undefined;
  let privateKey: CryptoKey | undefined;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const other = await generateKeyPair('ES256');
    const otherJwk = { ...(await exportJWK(other.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' };
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: req.url === '/two' ? [jwk, otherJwk] : [jwk] }));
    });
    jwksUri = `${await listen(server)}/jwks`;
  });
  afterAll(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );
  return {
    get jwksUri(): string {
      if (!jwksUri) throw new Error('the token issuer starts in beforeAll: use it in tests');
      return jwksUri;
    },
    async mint(
      claims: JWTPayload = {},
      { typ = 'at+jwt', exp = true, iss = ISSUER, aud = API }: MintOptions = {},
    ) {
      const jwt = new SignJWT({ scope: 'a b', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ ? { typ } : {}) })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject('user-1')
        .setIssuedAt();
      if (exp) jwt.setExpirationTime('1h');
      return jwt.sign(privateKey!);
    },
  };
}
