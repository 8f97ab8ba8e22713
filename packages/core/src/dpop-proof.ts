import { createHash, hkdfSync } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { ErrorCodes, LatchkeyError } from './errors';
import { MemoryReplayCache } from './memory';
import { quote } from './step-up';
import type { ReplayCache } from './store';

/**
 * How an API takes DPoP-bound access tokens (RFC 9449): `'allowed'` takes them beside plain bearer
 * tokens, `'required'` takes nothing else.
 */
export type DpopMode = 'allowed' | 'required';

/** DPoP on an API, in full (`createBearerVerifier({ dpop })`). */
export interface DpopOptions {
  /** `'allowed'` or `'required'` (see {@link DpopMode}). */
  mode: DpopMode;
  /** Proof signature algorithms, all asymmetric. Default `['ES256', 'EdDSA', 'PS256', 'RS256']`. */
  algorithms?: readonly string[];
  /** Seconds a proof's `iat` may lie in the past (plus the clock tolerance). Default 60. */
  maxAge?: number;
  /**
   * Where the `jti` of each accepted proof is remembered until it is too old to be accepted: a
   * `SessionStore` or `RevocationList` of `@latchkey/redis` holds them across instances. Default:
   * this process's memory, at most 100000 proofs within the window (more are refused).
   */
  replay?: ReplayCache;
  /**
   * A secret of at least 32 characters from which server nonces are derived (HKDF over the time
   * step): a proof must then carry a current nonce, else the answer is 401 `use_dpop_nonce` with a
   * fresh one in `DPoP-Nonce`. Instances with the same secret accept each other's nonces; nothing
   * is stored. Default: no nonces.
   */
  nonceSecret?: string;
  /** Seconds each nonce is issued for; it is accepted for one step more. Default 300. */
  nonceStep?: number;
  /**
   * The API's public origin, e.g. `https://api.example.com`: a proof's `htu` must name it, with the
   * request's path. Default: the origin of the URL the request came with, which adapters build
   * from the `Host` header (a client may set that header to another server's name).
   */
  origin?: string;
}

/** What a DPoP-bound request brings to be checked against its proof. */
export interface DpopRequest {
  /** The `DPoP` header: one value, as the request carried it. */
  proof: string | readonly string[] | null | undefined;
  /** The request's HTTP method. */
  method: string;
  /** The request's absolute URL, as the client called it. */
  url: string;
  /** The access token of the `Authorization: DPoP` header. */
  accessToken: string;
  /** The thumbprint the token is bound to (its `cnf.jkt`), if any. */
  jkt: unknown;
}

const DEFAULT_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'];
/** Longest `jti` accepted: a proof's unique id needs no more (RFC 9449 section 4.2 asks for 96 bits). */
const MAX_JTI_LENGTH = 128;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * A URI as RFC 9449 section 4.3 compares `htu`: without query and fragment, its scheme and host
 * lower-cased, the default port dropped, dot segments resolved (RFC 3986 section 6.2.2), and
 * percent-encodings of unreserved characters decoded, the others upper-cased.
 */
export function normalizeHtu(uri: string): string | undefined {
  if (!URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  const path = url.pathname.replace(/%[0-9a-f]{2}/gi, (encoded) => {
    const char = String.fromCharCode(Number.parseInt(encoded.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

/** Checks DPoP proofs for an API: RFC 9449 section 4.3 in full, with replay and nonces. */
export class DpopProofs {
  readonly mode: DpopMode;
  readonly algorithms: readonly string[];
  readonly #maxAge: number;
  readonly #replay: ReplayCache;
  readonly #nonceKey: string | undefined;
  readonly #nonceStep: number;
  readonly #origin: string | undefined;

  constructor(
    given: DpopMode | DpopOptions,
    private readonly clockTolerance: number,
    private readonly now: () => number,
  ) {
    const options = typeof given === 'string' ? { mode: given } : given;
    const invalid = (message: string) => new LatchkeyError(ErrorCodes.configInvalid, message);
    if (options.mode !== 'allowed' && options.mode !== 'required') {
      throw invalid("dpop must be 'allowed', 'required' or an object with such a mode.");
    }
    this.mode = options.mode;
    this.algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
    if (
      this.algorithms.length === 0 ||
      this.algorithms.some((alg) => /^(none|HS\d+)$/i.test(alg))
    ) {
      throw invalid(
        'dpop.algorithms must be asymmetric signature algorithms (never none or HMAC).',
      );
    }
    this.#maxAge = options.maxAge ?? 60;
    if (!(this.#maxAge > 0 && this.#maxAge <= 3600)) {
      throw invalid('dpop.maxAge must be 1 to 3600 seconds.');
    }
    this.#replay = options.replay ?? new MemoryReplayCache({ now });
    if (options.nonceSecret !== undefined && options.nonceSecret.length < 32) {
      throw invalid('dpop.nonceSecret must be at least 32 characters long.');
    }
    this.#nonceKey = options.nonceSecret;
    this.#nonceStep = options.nonceStep ?? 300;
    if (
      options.origin !== undefined &&
      !(URL.canParse(options.origin) && new URL(options.origin).origin === options.origin)
    ) {
      throw invalid("dpop.origin must be an origin such as 'https://api.example.com'.");
    }
    this.#origin = options.origin;
    if (!(this.#nonceStep >= 10)) throw invalid('dpop.nonceStep must be at least 10 seconds.');
  }

  /** The `WWW-Authenticate` challenge of the DPoP scheme (RFC 9449 section 7.1), with `params`. */
  challenge(params = ''): string {
    const algs = `algs=${quote(this.algorithms.join(' '))}`;
    return `DPoP ${params ? `${params}, ` : ''}${algs}`;
  }

  /** The server nonce of the current time step, when nonces are on. */
  nonce(): string | undefined {
    return this.#nonceKey === undefined ? undefined : this.#nonceAt(this.#step());
  }

  #step(): number {
    return Math.floor(this.now() / 1000 / this.#nonceStep);
  }

  #nonceAt(step: number): string {
    const key = hkdfSync('sha256', this.#nonceKey!, 'latchkey', `latchkey dpop nonce ${step}`, 24);
    return Buffer.from(key).toString('base64url');
  }

  #invalid(description: string, cause?: unknown): LatchkeyError {
    return new LatchkeyError(
      ErrorCodes.invalidDpopProof,
      `The DPoP proof is invalid: ${description}.`,
      {
        challenge: this.challenge(
          `error="invalid_dpop_proof", error_description=${quote(description)}`,
        ),
        cause,
      },
    );
  }

  /**
   * Verifies the request's proof for `accessToken` (RFC 9449 section 4.3 and 7.1), and records its
   * `jti`; throws `invalid_dpop_proof`, `invalid_token` (a token bound to no key, or another) or
   * `use_dpop_nonce`.
   */
  async verify(request: DpopRequest): Promise<void> {
    // 1, 2: exactly one DPoP header, holding one JWT (joined headers carry a comma).
    const proofs = typeof request.proof === 'string' ? [request.proof] : (request.proof ?? []);
    if (proofs.length !== 1 || !COMPACT_JWS.test(proofs[0]!)) {
      throw this.#invalid('the request needs exactly one DPoP header holding one JWT');
    }
    // 3 to 7, 11: typ, the claims there, an allowed asymmetric alg, the signature by the public
    // key of its own jwk header (jose refuses a private or symmetric one), iat within the window.
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(proofs[0]!, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...this.algorithms],
        clockTolerance: this.clockTolerance,
        maxTokenAge: this.#maxAge,
        currentDate: new Date(this.now()),
        requiredClaims: ['iat', 'jti', 'htm', 'htu'],
      });
    } catch (cause) {
      throw this.#invalid(describeProofError(cause), cause);
    }
    const { payload, protectedHeader } = verified;
    const { jti, htm, htu, ath } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw this.#invalid(`jti must be a string of 1 to ${MAX_JTI_LENGTH} characters`);
    }
    // 8, 9: the method and the URI of this request.
    if (htm !== request.method.toUpperCase()) {
      throw this.#invalid('htm does not match the request method');
    }
    const target = normalizeHtu(
      this.#origin && URL.canParse(request.url)
        ? `${this.#origin}${new URL(request.url).pathname}`
        : request.url,
    );
    if (typeof htu !== 'string' || target === undefined || normalizeHtu(htu) !== target) {
      throw this.#invalid('htu does not match the request URI');
    }
    // 12: the proof is for this access token, and the token is bound to this key.
    if (ath !== sha256(request.accessToken)) {
      throw this.#invalid('ath does not match the access token');
    }
    if (typeof request.jkt !== 'string') {
      throw new LatchkeyError(
        ErrorCodes.invalidToken,
        'The access token is invalid: it is not bound to a DPoP key (no cnf.jkt).',
        { challenge: this.challenge(`error="invalid_token", error_description="not DPoP-bound"`) },
      );
    }
    if ((await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256')) !== request.jkt) {
      throw this.#invalid("the proof's key is not the one the access token is bound to");
    }
    // 10: a current server nonce, when nonces are on.
    if (this.#nonceKey !== undefined) {
      const step = this.#step();
      if (payload.nonce !== this.#nonceAt(step) && payload.nonce !== this.#nonceAt(step - 1)) {
        throw new LatchkeyError(
          ErrorCodes.useDpopNonce,
          'The DPoP proof must carry the nonce of the DPoP-Nonce header.',
          {
            challenge: this.challenge(
              `error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`,
            ),
          },
        );
      }
    }
    // 11: a jti not seen on this URI within the window (only verified proofs are recorded).
    // One second more: jose compares whole seconds.
    const ttl = this.#maxAge + 2 * this.clockTolerance + 1;
    if (!(await this.#replay.markSeen(`dpop:${sha256(`${target} ${jti}`)}`, ttl))) {
      throw this.#invalid('the proof was already used (replay)');
    }
  }
}

function describeProofError(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the signature algorithm is not allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the signature does not verify with the proof key';
    case 'ERR_JWT_EXPIRED':
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: unknown }).claim;
      return claim === 'iat'
        ? 'iat is outside the accepted window'
        : `the ${String(claim)} claim is invalid`;
    }
    default:
      return 'the proof could not be verified (typ dpop+jwt, alg, jwk and claims)';
  }
}
