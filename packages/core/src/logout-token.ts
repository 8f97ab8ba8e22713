import { type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ErrorCodes, LatchkeyError } from './errors';

/** The event type a logout token carries (OpenID Back-Channel Logout 1.0, section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Seconds a logout token stays acceptable after its `iat`; its `jti` is remembered as long. */
export const LOGOUT_TOKEN_MAX_AGE = 300;

/** What a valid logout token asks to end. */
export interface LogoutRequest {
  sid: string | undefined;
  sub: string | undefined;
  jti: string;
}

/** How to check a logout token. */
export interface LogoutTokenCheck {
  keys: JWTVerifyGetKey;
  issuer: string;
  clientId: string;
  algorithms: readonly string[];
  clockTolerance: number;
}

function invalid(message: string, cause?: unknown): LatchkeyError {
  return new LatchkeyError(ErrorCodes.logoutTokenInvalid, `Invalid logout token: ${message}.`, {
    cause,
  });
}

const TYPES = new Set(['logout+jwt', 'application/logout+jwt', 'jwt']);

/**
 * Validates a logout token per OpenID Back-Channel Logout 1.0 section 2.6: signature from the
 * IdP's keys with an allowed algorithm, `iss`, `aud`, `iat` (and `exp` when present), `jti`, the
 * back-channel logout event, `sid` or `sub`, and no `nonce`. Replay of `jti` is the caller's check.
 */
export async function validateLogoutToken(
  token: string,
  check: LogoutTokenCheck,
): Promise<LogoutRequest> {
  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    verified = await jwtVerify(token, check.keys, {
      issuer: check.issuer,
      audience: check.clientId,
      algorithms: [...check.algorithms],
      clockTolerance: check.clockTolerance,
      // Requires iat, too.
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw invalid(typeof code === 'string' ? code : 'signature or claims check failed', error);
  }
  // Section 2.4: logout tokens should be typed `logout+jwt`; an untyped or plain JWT is tolerated.
  const typ = verified.protectedHeader.typ;
  if (typ !== undefined && !TYPES.has(typ.toLowerCase())) throw invalid(`unexpected typ '${typ}'`);
  const payload = verified.payload;
  const events = payload.events as Record<string, unknown> | undefined;
  const event = events && typeof events === 'object' ? events[BACKCHANNEL_LOGOUT_EVENT] : undefined;
  if (!event || typeof event !== 'object' || Array.isArray(event)) {
    throw invalid(`the events claim lacks ${BACKCHANNEL_LOGOUT_EVENT}`);
  }
  if ('nonce' in payload) throw invalid('it must not contain a nonce');
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
  if (!sid && !sub) throw invalid('it has neither sid nor sub');
  if (typeof payload.jti !== 'string' || payload.jti.length === 0) throw invalid('jti is missing');
  return { sid, sub, jti: payload.jti };
}
