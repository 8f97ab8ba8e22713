/** The stable codes of {@link AuthError}: switch on these, not on messages. */
export const AuthErrorCodes = {
  /** The request did not reach the server (offline, DNS, CORS, aborted). */
  networkError: 'network_error',
  /** The server cannot tell whether there is a session (`503 { error: 'store_unavailable' }`). */
  storeUnavailable: 'store_unavailable',
  /** The server answered something other than the session contract (is latchkey mounted there?). */
  invalidResponse: 'invalid_response',
  /** The server answered an unexpected HTTP status. */
  httpError: 'http_error',
  /** An API asked for a stronger or more recent sign-in (RFC 9470); the page is navigating to it. */
  stepUpRequired: 'step_up_required',
  /**
   * An API answered a plain 401 (`useAuthFetch({ onUnauthenticated })`): the session is no longer
   * good there; with `'signIn'` the page is navigating to sign-in.
   */
  sessionExpired: 'session_expired',
} as const;

/** One of the {@link AuthErrorCodes}. */
export type AuthErrorCode = (typeof AuthErrorCodes)[keyof typeof AuthErrorCodes];

/**
 * Why a session check, a sign-out or a `useAuthFetch` call (`@latchkey/react/fetch`) did not
 * succeed. Recognise it by `code` (the ESM and CJS builds hold different classes, so `instanceof`
 * can miss).
 */
export class AuthError extends Error {
  // `declare`d fields are set in the constructor: no class-field helpers in the bundle.
  /** Always `'AuthError'`. */
  declare readonly name: 'AuthError';
  /** What went wrong, from {@link AuthErrorCodes}. */
  declare readonly code: AuthErrorCode;
  /** The HTTP status of the response, when there was one. */
  declare readonly status: number | undefined;

  constructor(code: AuthErrorCode, message: string, status?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    Object.assign(this, { name: 'AuthError', code, status });
  }
}
