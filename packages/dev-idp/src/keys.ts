import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The signature algorithms the dev IdP holds a key for; RS256 signs ID tokens by default. */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;

/** A private signing key in JWK form, as oidc-provider's `jwks` configuration takes it. */
export type PrivateSigningJwk = JWK & { kid: string; alg: string; use: 'sig' };

/** Generates one private signing JWK for `alg` with a thumbprint-based `kid`. */
async function generateSigningJwk(alg: (typeof SIGNING_ALGS)[number]): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  const thumbprint = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid: `${alg.toLowerCase()}-${thumbprint.slice(0, 22)}`, alg, use: 'sig' };
}

/** A fresh set of signing keys: one RS256 and one ES256. */
export function generateSigningKeys(): Promise<PrivateSigningJwk[]> {
  return Promise.all(SIGNING_ALGS.map(generateSigningJwk));
}

/**
 * Marks keys as verification-only: oidc-provider still publishes them in the
 * JWKS but never selects them to sign (its key selection honours `key_ops`).
 */
export function retire(keys: PrivateSigningJwk[]): PrivateSigningJwk[] {
  return keys.map((key) => ({ ...key, key_ops: ['verify'] }));
}
