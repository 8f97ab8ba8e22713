/**
 * Every error latchkey raises: a stable `code` to switch on, the HTTP `status` it maps to, and a
 * message that says what failed and what to check. Messages never contain tokens or secrets.
 */
export const ErrorCodes = {
  /** The configuration passed to `createLatchkey` is invalid. */
  configInvalid: 'config_invalid',
  /** The callback has no `state` parameter. */
  stateMissing: 'state_missing',
  /**
   * No sign-in transaction matches the callback's `state`: expired (10 minutes), started in another
   * browser, replayed, sealed with a secret this instance lacks, or replaced because more than 5
   * sign-ins were pending at once in one browser.
   */
  stateMismatch: 'state_mismatch',
  /**
   * The authorization response's `iss` parameter (RFC 9207) is not the IdP's issuer, or is missing
   * while the IdP's discovery document says that it sends one
   * (`authorization_response_iss_parameter_supported`).
   */
  issuerMismatch: 'issuer_mismatch',
  /** The user, the IdP or the app's `afterCallback` refused the sign-in. */
  accessDenied: 'access_denied',
  /** The IdP answered the authorization request with another error. */
  authorizationFailed: 'authorization_failed',
  /** The IdP rejected the authorization code (already used, expired, wrong client). */
  invalidGrant: 'invalid_grant',
  /** The ID token failed validation (signature, iss, aud, azp, exp, nonce, auth_time, ...). */
  idTokenInvalid: 'id_token_invalid',
  /** The IdP could not be reached or did not answer in time. */
  idpUnreachable: 'idp_unreachable',
  /**
   * The IdP answered with something that is not a valid OAuth/OIDC response, or its discovery
   * document names an issuer other than the configured `issuer`.
   */
  idpInvalidResponse: 'idp_invalid_response',
  /** The IdP refused the app's client credentials (`invalid_client` or `unauthorized_client`): clientId, clientSecret or clientAssertionKey, clientAuth. */
  clientAuthFailed: 'client_auth_failed',
  /** No session: the request is not signed in. */
  unauthenticated: 'unauthenticated',
  /**
   * The session cookie could not be read: tampered, truncated, sealed with an unknown secret, or in
   * a format this release does not know (written by a newer release, as after a rollback).
   */
  sessionInvalid: 'session_invalid',
  /** The session passed its idle timeout or absolute lifetime. */
  sessionExpired: 'session_expired',
  /** The session was signed out (logout or revocation). */
  sessionRevoked: 'session_revoked',
  /** The session does not fit in cookies a browser will send back. */
  sessionTooLarge: 'session_too_large',
  /** Refreshing the access token failed; the session has ended. */
  refreshFailed: 'refresh_failed',
  /** The session began with a passkey: it has no IdP access token until the next IdP sign-in. */
  accessTokenUnavailable: 'access_token_unavailable',
  /** A state-changing request did not come from the app's own origin (CSRF defence). */
  originMismatch: 'origin_mismatch',
  /** A request to a latchkey route has a missing or malformed parameter. */
  invalidRequest: 'invalid_request',
  /** Signed in, but without the role or permission the route requires. */
  forbidden: 'forbidden',
  /** The session's authentication is too weak or too old for the route (RFC 9470). */
  insufficientUserAuthentication: 'insufficient_user_authentication',
  /** A step-up re-authentication did not reach the level asked for, or was another user. */
  stepUpFailed: 'step_up_failed',
  /** A bearer access token is missing parts, malformed, expired or not from the IdP (RFC 6750). */
  invalidToken: 'invalid_token',
  /**
   * A DPoP proof (RFC 9449) is missing, malformed, signed by a key other than the token's, for
   * another method or URI, too old, or replayed.
   */
  invalidDpopProof: 'invalid_dpop_proof',
  /** The API wants a server nonce in the DPoP proof: retry with the one in `DPoP-Nonce` (RFC 9449 section 9). */
  useDpopNonce: 'use_dpop_nonce',
  /** A bearer access token lacks a scope the route requires (RFC 6750). */
  insufficientScope: 'insufficient_scope',
  /** A request body to latchkey's routes is over 64 KiB (65,536 bytes). */
  payloadTooLarge: 'payload_too_large',
  /** The client took longer than `bodyTimeout` to send a request body. */
  requestTimeout: 'request_timeout',
  /** The client closed the connection before its request body ended (nothing is answered). */
  requestAborted: 'request_aborted',
  /** The route exists but not for this HTTP method. */
  methodNotAllowed: 'method_not_allowed',
  /** A back-channel logout token failed validation or was replayed. */
  logoutTokenInvalid: 'logout_token_invalid',
  /** The API a request was forwarded to could not be reached. */
  apiUnreachable: 'api_unreachable',
  /**
   * The session store could not be reached, or a request waited too long for another instance to
   * finish refreshing the same session.
   */
  storeUnavailable: 'store_unavailable',
  /** A passkey response failed verification: signature, origin, rpID, challenge, format, id. */
  passkeyInvalid: 'passkey_invalid',
  /** A passkey ceremony's challenge is older than its 5 minutes: start the ceremony again. */
  passkeyChallengeExpired: 'passkey_challenge_expired',
  /** A passkey ceremony's challenge was already used once: start the ceremony again. */
  passkeyChallengeReplayed: 'passkey_challenge_replayed',
  /** No such passkey (removed, or never registered here), or none for the user. */
  passkeyNotFound: 'passkey_not_found',
  /** A passkey this ceremony does not allow: another user's, or not in `allowCredentials`. */
  passkeyNotAllowed: 'passkey_not_allowed',
  /** A passkey's signature counter did not advance: it may have been cloned. */
  passkeyCounterRegressed: 'passkey_counter_regressed',
  /** The authenticator did not verify the user (PIN, biometrics), and that is required. */
  passkeyUserVerificationRequired: 'passkey_user_verification_required',
  /** The passkey's credential id is already registered (to this or another user). */
  passkeyAlreadyRegistered: 'passkey_already_registered',
  /** The user has as many passkeys as the app allows (`maxPerUser`): remove one first. */
  passkeyLimitReached: 'passkey_limit_reached',
} as const;

/** One of the stable error codes in {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const statusByCode: Record<ErrorCode, number> = {
  config_invalid: 500,
  state_missing: 400,
  state_mismatch: 400,
  issuer_mismatch: 400,
  access_denied: 403,
  authorization_failed: 400,
  invalid_grant: 400,
  id_token_invalid: 401,
  idp_unreachable: 503,
  idp_invalid_response: 502,
  client_auth_failed: 500,
  unauthenticated: 401,
  session_invalid: 401,
  session_expired: 401,
  session_revoked: 401,
  session_too_large: 500,
  refresh_failed: 401,
  access_token_unavailable: 401,
  origin_mismatch: 403,
  invalid_request: 400,
  forbidden: 403,
  insufficient_user_authentication: 401,
  step_up_failed: 403,
  invalid_token: 401,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
  insufficient_scope: 403,
  payload_too_large: 413,
  request_timeout: 408,
  request_aborted: 400,
  method_not_allowed: 405,
  logout_token_invalid: 400,
  api_unreachable: 502,
  store_unavailable: 503,
  passkey_invalid: 400,
  passkey_challenge_expired: 400,
  passkey_challenge_replayed: 400,
  passkey_not_found: 404,
  passkey_not_allowed: 403,
  passkey_counter_regressed: 403,
  passkey_user_verification_required: 401,
  passkey_already_registered: 409,
  passkey_limit_reached: 409,
};

/** The base class of every error latchkey throws or answers with. */
export class LatchkeyError extends Error {
  /** Always `'LatchkeyError'`; {@link isLatchkeyError} checks it across package copies. */
  override readonly name = 'LatchkeyError';
  /** Stable, machine-readable code. */
  readonly code: ErrorCode;
  /** HTTP status this error answers with. */
  readonly status: number;
  /** The `WWW-Authenticate` challenge its response carries (RFC 6750, RFC 9470), if any. */
  readonly challenge: string | undefined;

  /**
   * `cause` is kept as `causeOf` shows it: the underlying failure's name, message and codes,
   * never the claims, tokens or response bodies some libraries attach to their errors.
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; challenge?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: causeOf(options.cause) });
    this.code = code;
    this.status = statusByCode[code];
    this.challenge = options?.challenge;
  }
}

/** The fields of a library's error that say what failed without carrying its data. */
const CAUSE_FIELDS = ['code', 'error', 'status', 'claim', 'reason'] as const;

/**
 * A failure as an error's `cause` may show it: jose attaches the token's claims to its errors
 * (`payload`), oauth4webapi the response and its body, and those hold personal data and tokens.
 * Kept: name, message, stack, the string and number fields that name the failure, and the same
 * of its own cause. A cause that is no `Error` is left out.
 */
export function causeOf(cause: unknown, depth = 0): Error | undefined {
  if (isLatchkeyError(cause)) return cause;
  if (!(cause instanceof Error) || depth > 3) return undefined;
  const copy = new Error(cause.message, { cause: causeOf(cause.cause, depth + 1) });
  copy.name = cause.name;
  if (cause.stack) copy.stack = cause.stack;
  for (const field of CAUSE_FIELDS) {
    const value = (cause as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number')
      Object.assign(copy, { [field]: value });
  }
  return copy;
}

/**
 * True for any latchkey error, also across two copies of the package (ESM and CJS) where
 * `instanceof` would fail.
 */
export function isLatchkeyError(value: unknown): value is LatchkeyError {
  return (
    value instanceof LatchkeyError ||
    (value instanceof Error &&
      value.name === 'LatchkeyError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { status?: unknown }).status === 'number')
  );
}
