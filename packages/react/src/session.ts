/** The signed-in user, as `GET /auth/session` describes them. */
export interface AuthUser {
  /** The IdP's subject identifier. */
  sub: string;
  /** Display name (`name` claim). */
  name?: string;
  /** Email address (`email` claim). */
  email?: string;
  /** URL of a profile picture. */
  picture?: string;
}

/** A signed-in session as the browser sees it: who, what they may do, how they signed in. Never tokens. */
export interface AuthSession {
  /** Who is signed in. */
  user: AuthUser;
  /** Role names, as the server mapped them from the IdP's claims. */
  roles: readonly string[];
  /** Permission grants, wildcards included (`'invoices:*'`, `'*'`). */
  permissions: readonly string[];
  /** Authentication level of the last sign-in, e.g. `'urn:latchkey:acr:mfa'`. */
  acr: string | null;
  /** Authentication methods of the last sign-in, e.g. `['pwd', 'otp']`. */
  amr: readonly string[];
  /** When the user last authenticated, in epoch seconds. */
  authTime: number | null;
  /** When the session ends unless activity extends it, in epoch seconds. */
  expiresAt: number;
}

/** The JSON body of `GET /auth/session`, as `@latchkey/core` answers it. */
export type SessionResponse = ({ authenticated: true } & AuthSession) | { authenticated: false };

const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => Number.isFinite(value);
const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every(isString) ? value : undefined;

/**
 * Reads a session response: the session, `null` when signed out, or `undefined` when the body is
 * not the contract's shape (then nothing in it is trusted).
 */
export function parseSessionResponse(body: unknown): AuthSession | null | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const {
    authenticated,
    user,
    roles,
    permissions,
    acr = null,
    amr = [],
    authTime = null,
    expiresAt,
  } = body as Record<string, unknown>;
  if (authenticated === false) return null;
  const u = (typeof user === 'object' && user !== null ? user : {}) as Record<string, unknown>;
  const session = {
    user: { sub: u.sub } as AuthUser,
    roles: strings(roles),
    permissions: strings(permissions),
    acr,
    amr: strings(amr),
    authTime,
    expiresAt,
  };
  for (const key of ['name', 'email', 'picture'] as const) {
    const value = u[key];
    if (isString(value)) session.user[key] = value;
  }
  const valid =
    authenticated === true &&
    isString(u.sub) &&
    u.sub !== '' &&
    session.roles &&
    session.permissions &&
    session.amr &&
    (acr === null || isString(acr)) &&
    (authTime === null || isNumber(authTime)) &&
    isNumber(expiresAt);
  return valid ? (session as AuthSession) : undefined;
}

/** The wire form of a session, for `initialSession` and for other tabs. */
export function toSessionResponse(session: AuthSession | null): SessionResponse {
  return session ? { authenticated: true, ...session } : { authenticated: false };
}
