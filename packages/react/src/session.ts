import type { AuthSession, SessionJson, SessionUser } from '@latchkey/core/contract';

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
    provider,
  } = body as Record<string, unknown>;
  if (authenticated === false) return null;
  const u = (typeof user === 'object' && user !== null ? user : {}) as Record<string, unknown>;
  const session = {
    // The server's `sessionClaims` fields come along; the standard ones are checked below.
    user: { ...u, sub: u.sub as string } as SessionUser,
    roles: strings(roles),
    permissions: strings(permissions),
    acr,
    amr: strings(amr),
    authTime,
    expiresAt,
  };
  for (const key of ['name', 'email', 'picture'] as const) {
    if (!isString(u[key])) delete session.user[key];
  }
  if (isString(provider)) Object.assign(session, { provider });
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
export function toSessionResponse(session: AuthSession | null): SessionJson {
  return session ? { authenticated: true, ...session } : { authenticated: false };
}
