// How the app authenticates as a client at the IdP's token endpoint (RFC 6749 section 2.3,
// OIDC Core section 9): a shared secret (Basic or in the body), a signed JWT assertion
// (RFC 7523, `private_key_jwt`), or nothing for a public client that relies on PKCE alone.
// oauth4webapi makes each request and signs each assertion; this module picks and checks the keys.
import { importJWK, importPKCS8, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { ErrorCodes, LatchkeyError } from './errors';

/** The token-endpoint authentication methods latchkey speaks. */
export type ClientAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'none';

/** The signing algorithms of `private_key_jwt` assertions. */
export type ClientAssertionAlg = 'ES256' | 'PS256' | 'RS256';

/** A private JSON Web Key (RFC 7517), as `JSON.parse` of an exported key gives it. */
export interface PrivateJwk {
  /** Key type: `'EC'` (P-256, for ES256) or `'RSA'` (RS256, or PS256 when `alg` says so). */
  kty?: string | undefined;
  /** The private part; a JWK without it is a public key and cannot sign. */
  d?: string | undefined;
  /** Key id, sent as the assertion's `kid` so the IdP finds the public key it registered. */
  kid?: string | undefined;
  /** `'ES256'`, `'PS256'` or `'RS256'`; default from `kty` (EC: ES256, RSA: RS256). */
  alg?: string | undefined;
  /** The key's other members (`crv`, `x`, `y`, `n`, `e`, ...). */
  [member: string]: unknown;
}

/**
 * The private key of `private_key_jwt`: a private JWK, or a PKCS#8 PEM string or a `CryptoKey`
 * with its `alg` and the `kid` the IdP knows it by.
 */
export type ClientAssertionKey =
  | PrivateJwk
  | {
      /** The private key: PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`) or a `CryptoKey`. */
      key: string | CryptoKey;
      /** The algorithm the key signs with. */
      alg: ClientAssertionAlg;
      /** Key id, sent as the assertion's `kid` so the IdP finds the public key it registered. */
      kid?: string;
    };

const ALGS: readonly string[] = ['ES256', 'PS256', 'RS256'];

/** Client authentication as configured: the method, and the credential it uses. */
export interface ResolvedClientAuth {
  /** The method used for every token-endpoint call. */
  clientAuth: ClientAuthMethod;
  /** The secret of `client_secret_basic`/`_post` (and of HS256 ID tokens), if any. */
  clientSecret: string | undefined;
  /** The key of `private_key_jwt`, if any. */
  clientAssertionKey: ClientAssertionKey | undefined;
}

function invalid(message: string): never {
  throw new LatchkeyError(ErrorCodes.configInvalid, message);
}

const isJwk = (key: ClientAssertionKey): key is PrivateJwk => !('key' in key);

/** The `alg` a key signs with, or a config error that says what to give instead. */
function algOf(key: ClientAssertionKey): ClientAssertionAlg {
  if (!isJwk(key)) {
    if (!ALGS.includes(key.alg)) invalid(`clientAssertionKey.alg must be ${ALGS.join(', ')}.`);
    return key.alg;
  }
  if (key.kty === 'oct') {
    invalid(
      "clientAssertionKey is a symmetric key (kty 'oct'): private_key_jwt signs with an asymmetric private key (EC P-256 or RSA). For a shared secret, set clientSecret and clientAuth: 'client_secret_basic'.",
    );
  }
  if (typeof key.d !== 'string') {
    invalid(
      'clientAssertionKey is a public key (its JWK has no d): give the private key, and register its public half at the IdP.',
    );
  }
  const alg = key.alg ?? (key.kty === 'EC' ? 'ES256' : key.kty === 'RSA' ? 'RS256' : undefined);
  if (alg === undefined || !ALGS.includes(alg)) {
    invalid(
      `clientAssertionKey must be an EC P-256 or RSA private JWK whose alg is ${ALGS.join(', ')}.`,
    );
  }
  return alg as ClientAssertionAlg;
}

/**
 * Checks the client authentication options and picks the default: `client_secret_basic` with a
 * secret, `private_key_jwt` with a key. A public client says `clientAuth: 'none'`.
 */
export function resolveClientAuth(options: {
  clientAuth?: ClientAuthMethod | undefined;
  clientSecret?: string | undefined;
  clientAssertionKey?: ClientAssertionKey | undefined;
}): ResolvedClientAuth {
  const { clientSecret, clientAssertionKey } = options;
  const clientAuth =
    options.clientAuth ??
    (clientSecret ? 'client_secret_basic' : clientAssertionKey ? 'private_key_jwt' : undefined);
  if (clientAuth === undefined) {
    invalid(
      "clientSecret is required; or clientAssertionKey for private_key_jwt, or clientAuth: 'none' for a public client.",
    );
  }
  switch (clientAuth) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!clientSecret) invalid(`clientAuth '${clientAuth}' needs clientSecret.`);
      break;
    case 'private_key_jwt':
      if (!clientAssertionKey) {
        invalid(
          "clientAuth 'private_key_jwt' needs clientAssertionKey: a private JWK, or { key, alg, kid } with a PKCS#8 PEM or a CryptoKey.",
        );
      }
      algOf(clientAssertionKey);
      break;
    case 'none':
      if (clientSecret) {
        invalid(
          "clientAuth 'none' is for a public client, which has no secret: remove clientSecret, or use clientAuth 'client_secret_basic' or 'client_secret_post'.",
        );
      }
      break;
    default:
      invalid(
        `clientAuth must be 'client_secret_basic', 'client_secret_post', 'private_key_jwt' or 'none', not '${String(clientAuth)}'.`,
      );
  }
  if (clientAssertionKey && clientAuth !== 'private_key_jwt') {
    invalid(
      `clientAssertionKey is used only with clientAuth 'private_key_jwt', not '${clientAuth}'.`,
    );
  }
  return { clientAuth, clientSecret, clientAssertionKey };
}

/** The key as a non-extractable `CryptoKey`; an unreadable key is a config error. */
async function signingKey(key: ClientAssertionKey): Promise<oauth.PrivateKey> {
  const alg = algOf(key);
  try {
    if (isJwk(key)) {
      const imported = await importJWK(key as JWK, alg, { extractable: false });
      return { key: imported as CryptoKey, ...(key.kid ? { kid: key.kid } : {}) };
    }
    const imported =
      typeof key.key === 'string'
        ? await importPKCS8(key.key, alg, { extractable: false })
        : key.key;
    if (imported.type !== 'private') throw new TypeError('not a private key');
    return { key: imported, ...(key.kid ? { kid: key.kid } : {}) };
  } catch (cause) {
    throw new LatchkeyError(
      ErrorCodes.configInvalid,
      `clientAssertionKey could not be read as a private ${alg} key: check that it is the private key in PKCS#8 PEM, JWK or CryptoKey form.`,
      { cause },
    );
  }
}

/** oauth4webapi's client authentication for the configured method. */
export async function clientAuthentication(config: ResolvedClientAuth): Promise<oauth.ClientAuth> {
  switch (config.clientAuth) {
    case 'client_secret_post':
      return oauth.ClientSecretPost(config.clientSecret!);
    case 'private_key_jwt':
      return oauth.PrivateKeyJwt(await signingKey(config.clientAssertionKey!));
    case 'none':
      return oauth.None();
    default:
      return oauth.ClientSecretBasic(config.clientSecret!);
  }
}
