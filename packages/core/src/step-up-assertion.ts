import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import { ErrorCodes, LatchkeyError } from './errors';

/**
 * Step-up assertions: how an app (a backend-for-frontend) tells its API that the user stepped up
 * with a passkey, which the IdP never saw, so the access token cannot say it. The app signs a short
 * JWT about the session's `acr`, `amr` and `auth_time`, bound to the access token it sends with
 * it (`ath`, as in DPoP); the API trusts the app's public key for that, and for nothing else.
 */

/** The request header that carries a step-up assertion from the app to its API. */
export const STEP_UP_ASSERTION_HEADER = 'latchkey-step-up';
/** The `typ` of a step-up assertion's header. */
const TYPE = 'latchkey-step-up+jwt';
/** Seconds an assertion is valid: one forwarded call. */
const LIFETIME = 60;
/** The signature algorithm of each key type an assertion may be signed with. */
const ALGORITHMS = { 'EC:P-256': 'ES256', 'OKP:Ed25519': 'EdDSA' } as const;

/** The base64url SHA-256 hash of an access token (the `ath` of RFC 9449). */
export const accessTokenHash = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

/**
 * A JSON Web Key (RFC 7517) of a step-up assertion: EC P-256 (`x`, `y`) or Ed25519 (`x`), with
 * `d` in the app's private key only. Declared here rather than taken from jose, so that CommonJS
 * projects can read latchkey's types.
 */
export interface StepUpKey {
  /** Key type: `'EC'` or `'OKP'`. */
  kty?: string;
  /** Curve: `'P-256'` for `EC`, `'Ed25519'` for `OKP`. */
  crv?: string;
  /** base64url: the public point's x coordinate (EC), or the public key itself (Ed25519). */
  x?: string;
  /** base64url: the public point's y coordinate (EC only). */
  y?: string;
  /** base64url private key: only in the app's signing key, never in the keys an API trusts. */
  d?: string;
  /**
   * Key id. The signer writes it into each assertion's header; the API then tries only its key
   * with that id.
   */
  kid?: string;
  /**
   * Optional; if set, `'ES256'` for P-256 or `'EdDSA'` for Ed25519 (the algorithm follows `kty`
   * and `crv`, and an API's key naming another matches no assertion).
   */
  alg?: string;
  /** Optional; if set, `'sig'`. */
  use?: string;
}

const configInvalid = (message: string) => new LatchkeyError(ErrorCodes.configInvalid, message);

/** The algorithm of a key an assertion may be signed with, or undefined. */
function algorithmOf(jwk: StepUpKey): string | undefined {
  return (ALGORITHMS as Record<string, string>)[`${jwk.kty}:${jwk.crv}`];
}

/** What a step-up assertion says about the session. */
export interface StepUpClaims {
  sub: string;
  acr: string;
  amr: readonly string[];
  /** Epoch seconds of the step-up. */
  authTime: number;
}

/** Signs step-up assertions for one app; see {@link stepUpAssertionSigner}. */
export type StepUpAssertionSigner = (claims: StepUpClaims, accessToken: string) => Promise<string>;

/**
 * The signer of an app's step-up assertions: `jwk` is a private EC P-256 (ES256) or Ed25519
 * (EdDSA) key, `issuer` the app's origin. Throws `config_invalid` for any other key.
 */
export function stepUpAssertionSigner(
  jwk: StepUpKey,
  issuer: string,
  now: () => number,
): StepUpAssertionSigner {
  const alg = algorithmOf(jwk);
  if (!alg || typeof jwk.d !== 'string') {
    throw configInvalid(
      'stepUp.passkey.assertionKey must be a private EC P-256 or Ed25519 JWK (with d).',
    );
  }
  let key: ReturnType<typeof importJWK> | undefined;
  return async ({ sub, acr, amr, authTime }, accessToken) => {
    key ??= importJWK(jwk, alg);
    const issuedAt = Math.floor(now() / 1000);
    return new SignJWT({
      acr,
      amr: [...amr],
      auth_time: authTime,
      ath: accessTokenHash(accessToken),
    })
      .setProtectedHeader({ alg, typ: TYPE, ...(jwk.kid ? { kid: jwk.kid } : {}) })
      .setIssuer(issuer)
      .setSubject(sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + LIFETIME)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(await key);
  };
}

/** Options of an API's trust in one app's step-up assertions (`createBearerVerifier`). */
export interface StepUpAssertionOptions {
  /** The app's origin, as its `baseUrl` (`https://app.example.com`): the assertions' `iss`. */
  issuer: string;
  /** The app's public keys (`{ keys: [publicJwk] }`). */
  keys: {
    /** At least one public EC P-256 or Ed25519 key; a key with `d` (private) is refused. */
    keys: StepUpKey[];
  };
}

/** Verifies an app's step-up assertions; see {@link stepUpAssertionVerifier}. */
export type StepUpAssertionVerifier = (
  assertion: string,
  token: { raw: string; sub: string | undefined },
) => Promise<Pick<StepUpClaims, 'acr' | 'authTime'>>;

function invalidAssertion(description: string, cause?: unknown): LatchkeyError {
  return new LatchkeyError(
    ErrorCodes.invalidToken,
    `The step-up assertion is invalid: ${description}.`,
    {
      challenge: `Bearer error="invalid_token", error_description="the step-up assertion is invalid"`,
      cause,
    },
  );
}

/**
 * The verifier of one app's step-up assertions for an API: signed by one of the app's public keys
 * (ES256 or EdDSA only), typed `latchkey-step-up+jwt`, from the app's origin, unexpired (at most
 * 60 seconds old), about the token's `sub`, and bound to the token itself (`ath`). Resolves the
 * step-up's `acr` and `auth_time`; rejects with `invalid_token`.
 */
export function stepUpAssertionVerifier(
  options: StepUpAssertionOptions,
  clockTolerance: number,
  now: () => number,
): StepUpAssertionVerifier {
  const keys = options.keys?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    keys.some((jwk) => !algorithmOf(jwk) || 'd' in jwk)
  ) {
    throw configInvalid(
      'stepUpAssertions.keys must hold the public EC P-256 or Ed25519 keys of the app (never a private key).',
    );
  }
  const keySet = createLocalJWKSet(options.keys);
  return async (assertion, token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, keySet, {
        issuer: options.issuer,
        algorithms: Object.values(ALGORITHMS),
        typ: TYPE,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: LIFETIME,
        clockTolerance,
        currentDate: new Date(now()),
      }));
    } catch (cause) {
      throw invalidAssertion('its signature, type, issuer or times do not verify', cause);
    }
    if (payload.sub !== token.sub) throw invalidAssertion('it is about another user');
    if (payload.ath !== accessTokenHash(token.raw)) {
      throw invalidAssertion('it was made for another access token');
    }
    if (typeof payload.acr !== 'string' || typeof payload.auth_time !== 'number') {
      throw invalidAssertion('it has no acr or auth_time');
    }
    return { acr: payload.acr, authTime: payload.auth_time };
  };
}
