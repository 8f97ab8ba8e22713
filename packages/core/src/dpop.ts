import { exportJWK, generateKeyPair, importJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import type { DebugLog } from './debug';
import { ErrorCodes, LatchkeyError } from './errors';

/**
 * A session's own DPoP key (RFC 9449): a private ES256 JWK, kept sealed with the session (in its
 * cookie or its store record) and with the sign-in's transaction.
 */
export interface DpopKey {
  kty: string;
  crv: string;
  x: string;
  y: string;
  d: string;
}

/** The `dpop` option: a fresh key per session, or the app's own key pair. */
export type DpopOption = boolean | CryptoKeyPair;

/** Handles kept, so that a session's imported key and the servers' nonces are reused. */
const MAX_HANDLES = 1000;

/**
 * The proof-of-possession keys of an app's tokens, as oauth4webapi DPoP handles: with `dpop: true`
 * a fresh key per sign-in (its private key imported non-extractable for use), with a key pair the
 * app's own pair for every session. oauth4webapi builds every proof and tracks server nonces.
 */
export class DpopKeys {
  readonly #handles = new Map<string, Promise<oauth.DPoPHandle>>();
  readonly #app: oauth.DPoPHandle | undefined;

  constructor(
    private readonly client: oauth.Client,
    private readonly option: true | CryptoKeyPair,
  ) {
    this.#app = option === true ? undefined : oauth.DPoP(client, option);
  }

  /** The key of a new sign-in: a new one per session, or undefined when the app has its own pair. */
  async newKey(): Promise<DpopKey | undefined> {
    if (this.option !== true) return undefined;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { kty, crv, x, y, d } = await exportJWK(privateKey);
    return { kty: kty!, crv: crv!, x: x!, y: y!, d: d! };
  }

  /**
   * The handle proving possession of a session's `key`, or of the app's pair; undefined for a
   * session without a key of its own (signed in before `dpop` was turned on).
   */
  handleFor(key: DpopKey | undefined): Promise<oauth.DPoPHandle> | undefined {
    if (this.#app) return Promise.resolve(this.#app);
    if (!key) return undefined;
    const id = `${key.x}.${key.y}`;
    let handle = this.#handles.get(id);
    if (handle) this.#handles.delete(id);
    else handle = importPair(key).then((pair) => oauth.DPoP(this.client, pair));
    this.#handles.set(id, handle);
    if (this.#handles.size > MAX_HANDLES) this.#handles.delete(this.#handles.keys().next().value!);
    return handle;
  }
}

/** The key pair of a session's key: the private key non-extractable, the public one for the `jwk` header. */
async function importPair({ d, ...publicJwk }: DpopKey): Promise<CryptoKeyPair> {
  const [privateKey, publicKey] = await Promise.all([
    importJWK({ ...publicJwk, d }, 'ES256', { extractable: false }),
    importJWK(publicJwk, 'ES256', { extractable: true }),
  ]);
  return { privateKey, publicKey } as CryptoKeyPair;
}

/**
 * Runs a DPoP-bound request, and once more when the server answers `use_dpop_nonce` (RFC 9449
 * sections 8 and 9): the handle has kept the nonce it sent, and puts it in the new proof.
 */
export async function withDpopNonce<T>(
  call: () => Promise<T>,
  log?: DebugLog | undefined,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    log?.('dpop: the server asked for a nonce (use_dpop_nonce); sending the request again with it');
    return call();
  }
}

/** The `dpop` option, checked: a key pair's public key must be extractable (it goes in each proof). */
export function resolveDpop(option: DpopOption | undefined): true | CryptoKeyPair | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return true;
  const pair = option as Partial<CryptoKeyPair> | null;
  if (
    pair?.privateKey?.type !== 'private' ||
    pair.publicKey?.type !== 'public' ||
    !pair.publicKey.extractable
  ) {
    throw new LatchkeyError(
      ErrorCodes.configInvalid,
      'dpop must be true (a key per session) or a CryptoKeyPair with an extractable public key (e.g. from generateKeyPair("ES256")).',
    );
  }
  return option;
}

/** A call to an API with the session's access token (`fetchWithToken`). */
export interface TokenRequestInit {
  /** Default `GET`. */
  method?: string;
  /** More headers; never `Authorization`, which latchkey sets. */
  headers?: Record<string, string>;
  /** The request body, as text. */
  body?: string;
}

/**
 * Calls an API with an access token: `Authorization: DPoP` and a fresh proof from `dpop` for a
 * bound token (retried once on `use_dpop_nonce`), else `Authorization: Bearer`. Resolves the API's
 * answer as it came, challenges included; `api_unreachable` when it does not answer within
 * `timeout` ms (each of the at most two attempts).
 */
export async function callWithToken(
  token: string,
  dpop: oauth.DPoPHandle | undefined,
  url: string | URL,
  init: TokenRequestInit,
  timeout: number,
): Promise<Response> {
  const target = new URL(url);
  const call = () =>
    oauth.protectedResourceRequest(
      token,
      (init.method ?? 'GET').toUpperCase(),
      target,
      new Headers(init.headers),
      init.body ?? null,
      {
        signal: AbortSignal.timeout(timeout),
        // The API is the app's own configuration, not an IdP's metadata: http is its choice.
        [oauth.allowInsecureRequests]: true,
        ...(dpop ? { DPoP: dpop } : {}),
      },
    );
  try {
    return await withDpopNonce(call);
  } catch (error) {
    // oauth4webapi throws on any challenge; the API's answer is what the caller wants.
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw new LatchkeyError(
      ErrorCodes.apiUnreachable,
      'The API could not be reached or did not answer in time.',
      { cause: error },
    );
  }
}
