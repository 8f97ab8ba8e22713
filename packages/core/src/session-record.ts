import { randomBytes } from 'node:crypto';
import type { TokenSet } from './client';
import type { ResolvedConfig } from './config';
import type { DpopKey } from './dpop';
import { ErrorCodes, LatchkeyError } from './errors';
import { permissionsFor } from './rbac';
import type { SessionJson, SessionUser } from './session-json';
import { authTimeOf } from './step-up';

/**
 * A signed-in session as the app sees it. Never holds tokens. Read-only: it is frozen, because the
 * requests of one session share it.
 */
export interface Session {
  /** latchkey's own session id: new at every sign-in, never the IdP's `sid`. */
  sessionId: string;
  /** The user's profile from the `sub`, `name`, `email` and `picture` claims. */
  user: SessionUser;
  /**
   * The claims of the validated ID token; a passkey session has latchkey's own claims instead (the
   * profile stored with the passkey), and a passkey step-up sets `acr`, `amr` and `auth_time` over them.
   */
  claims: Record<string, unknown>;
  /** Role names, as the configured role mapper read them from the claims. */
  roles: string[];
  /** Permissions the roles grant under the configured policy (grants, wildcards included). */
  permissions: string[];
  /** Authentication level of the last authentication (`acr` claim), if known. */
  acr: string | undefined;
  /** Authentication contexts met (Entra ID's `acrs` claim). */
  acrs: string[] | undefined;
  /** Authentication methods used (RFC 8176 `amr` claim), e.g. `['pwd', 'otp']`, if known. */
  amr: string[] | undefined;
  /** Epoch seconds of the user's last authentication at the IdP. */
  authTime: number | undefined;
  /** The IdP's session id (`sid` claim), used by back-channel logout. */
  idpSid: string | undefined;
  /** The name of the provider signed in at, with `providers` or `resolveProvider`. */
  provider: string | undefined;
  /** What the app's `afterCallback` returned at sign-in (`{}` without one); never sent to the browser. */
  data: Readonly<Record<string, unknown>>;
  /** Epoch seconds. */
  createdAt: number;
  /** Epoch seconds at which the session ends unless used again (idle) or at the latest (absolute). */
  expiresAt: number;
}

/**
 * What is sealed in the session cookie. The ID token is kept as its header, its payload as JSON
 * text and its signature, so it can be rebuilt byte for byte for `id_token_hint` without paying
 * base64 twice for its claims. A type, not an interface: a store keeps it as plain
 * `Record<string, unknown>` data.
 */
export type SessionRecord = {
  /** latchkey's own session id (see {@link newSessionId}); records of format 1 named it `sid`. */
  sessionId: string;
  /** Epoch ms of the sign-in. */
  createdAt: number;
  /** Epoch ms of the last activity that was recorded (at most once per touch interval). */
  touchedAt: number;
  /** The ID token of the last OIDC sign-in or refresh; absent in a session a passkey started. */
  idt?: { h: string; p: string; s: string };
  /**
   * Claims latchkey asserted itself, as JSON text, over those of the ID token: the whole profile
   * of a passkey sign-in, or the `acr`, `amr` and `auth_time` of a passkey step-up.
   */
  own?: string;
  at?: string;
  atExp?: number;
  rt?: string;
  scope?: string;
  /** Set when the access token is bound to a DPoP key (`token_type` DPoP). */
  tt?: 'DPoP';
  /** The session's own DPoP key (`dpop: true`): the tokens are bound to it. */
  dk?: DpopKey;
  /** The name of the provider the session signed in with, when the app has `providers`. */
  pv?: string;
  /**
   * That provider's issuer at sign-in, with `resolveProvider` (whose providers can change): a
   * session is never refreshed or signed out at another issuer.
   */
  pi?: string;
  /** What the app's `afterCallback` kept with the session (server-side only). */
  data?: Record<string, unknown>;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A record read back from a cookie or a store, or null when it is none: records that earlier
 * releases wrote (seal format 1) name the session id `sid`.
 */
export function readRecord(value: unknown): SessionRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const { sid, ...fields } = value as Partial<SessionRecord> & { sid?: unknown };
  const record = { ...fields, sessionId: fields.sessionId ?? sid };
  return typeof record.sessionId === 'string' && (record.idt || typeof record.own === 'string')
    ? (record as SessionRecord)
    : null;
}

/** A new random session id (256 bits). */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** Splits a compact JWS ID token into the record's storage form. */
export function storeIdToken(idToken: string): NonNullable<SessionRecord['idt']> {
  const [h, p, s] = idToken.split('.');
  return { h: h!, p: decoder.decode(Buffer.from(p!, 'base64url')), s: s! };
}

/** Rebuilds the exact compact ID token from its storage form; undefined in a passkey session. */
export function idTokenOf({ idt }: SessionRecord): string | undefined {
  return idt && `${idt.h}.${Buffer.from(encoder.encode(idt.p)).toString('base64url')}.${idt.s}`;
}

/**
 * A fresh record for a completed sign-in at `now` (epoch ms), with its DPoP key if it has one,
 * and the name of its provider when the app has several.
 */
export function createRecord(
  tokens: TokenSet,
  now: number,
  dpopKey?: DpopKey,
  provider?: string,
  providerIssuer?: string,
): SessionRecord {
  if (!tokens.idToken)
    throw new LatchkeyError(ErrorCodes.idTokenInvalid, 'The token response has no ID token.');
  return withTokens(
    {
      sessionId: newSessionId(),
      createdAt: now,
      touchedAt: now,
      idt: storeIdToken(tokens.idToken),
      ...(dpopKey ? { dk: dpopKey } : {}),
      ...(provider === undefined ? {} : { pv: provider }),
      ...(providerIssuer === undefined ? {} : { pi: providerIssuer }),
    },
    tokens,
  );
}

/** How a passkey assertion authenticated the user: the configured level and RFC 8176 methods. */
export interface PasskeyAssurance {
  acr: string | undefined;
  amr: readonly string[];
}

/**
 * The claims of an authentication now. `acrs` (Entra ID's authentication contexts) is written
 * too, so that contexts met before, at the IdP or at registration, do not look recent.
 */
const authenticatedNow = ({ acr, amr }: PasskeyAssurance, now: number) => ({
  ...(acr === undefined ? {} : { acr }),
  acrs: acr === undefined ? [] : [acr],
  amr,
  auth_time: Math.floor(now / 1000),
});

/**
 * A fresh record for a passkey sign-in at `now` (epoch ms): the profile stored with the passkey,
 * authenticated now at the passkey's level. It holds no tokens: the IdP took no part.
 */
export function passkeyRecord(
  profile: Readonly<Record<string, unknown>>,
  assurance: PasskeyAssurance,
  now: number,
): SessionRecord {
  return {
    sessionId: newSessionId(),
    createdAt: now,
    touchedAt: now,
    own: JSON.stringify({ ...profile, ...authenticatedNow(assurance, now) }),
  };
}

/**
 * The record after a passkey step-up at `now`: a new session id, `acr` set to the passkey's level,
 * its methods added to `amr` and `auth_time` now. The `acr` is the level of this latest
 * authentication, even below an earlier one: `auth_time` is now, so keeping a higher earlier level
 * would make that one look recent.
 */
export function steppedUp(
  record: SessionRecord,
  assurance: PasskeyAssurance & { acr: string },
  now: number,
): SessionRecord {
  const claims = claimsOf(record);
  const before = Array.isArray(claims.amr) ? claims.amr.filter((m) => typeof m === 'string') : [];
  const own = record.own === undefined ? {} : (JSON.parse(record.own) as Record<string, unknown>);
  const amr = [...new Set([...before, ...assurance.amr])];
  return {
    ...record,
    sessionId: newSessionId(),
    touchedAt: now,
    own: JSON.stringify({ ...own, ...authenticatedNow({ ...assurance, amr }, now) }),
  };
}

/** The record with refreshed tokens; keeps what the refresh response did not resend. */
export function withTokens(record: SessionRecord, tokens: TokenSet): SessionRecord {
  const next: SessionRecord = { ...record, at: tokens.accessToken };
  if (tokens.idToken) {
    next.idt = storeIdToken(tokens.idToken);
    keepIdpSid(next, claimsOf(record).sid);
  }
  if (tokens.accessTokenExpiresAt !== undefined) next.atExp = tokens.accessTokenExpiresAt;
  else delete next.atExp;
  if (tokens.refreshToken) next.rt = tokens.refreshToken;
  if (tokens.scope) next.scope = tokens.scope;
  if (tokens.tokenType === 'dpop') next.tt = 'DPoP';
  else delete next.tt;
  return next;
}

/**
 * Keeps the IdP's `sid` of the sign-in when a refreshed ID token leaves it out (OIDC Core 12.2 does
 * not require it again), so that a back-channel logout token naming it still ends the session
 * (OpenID Back-Channel Logout 1.0, section 2.6). A refreshed token that names a `sid` wins.
 */
function keepIdpSid(next: SessionRecord, sid: unknown): void {
  const own = next.own === undefined ? {} : (JSON.parse(next.own) as Record<string, unknown>);
  delete own.sid;
  const refreshed = (JSON.parse(next.idt!.p) as Record<string, unknown>).sid;
  if (typeof sid === 'string' && refreshed === undefined) own.sid = sid;
  if (Object.keys(own).length > 0) next.own = JSON.stringify(own);
  else delete next.own;
}

/**
 * A session's `sub` or IdP `sid` as revocations and stores key it: qualified by the provider's
 * name when the app has several, since two issuers may use the same values for different users.
 */
export function qualified(provider: string | undefined, value: string): string {
  return provider === undefined ? value : `${provider}|${value}`;
}

/**
 * Who a session belongs to as back-channel logout names it: the `sub` and the IdP's `sid` (when
 * not empty), each {@link qualified} by the session's provider.
 */
export function logoutSubjectOf(record: SessionRecord): {
  sub: string;
  idpSid: string | undefined;
} {
  const { sub, sid } = claimsOf(record);
  return {
    sub: qualified(record.pv, String(sub)),
    idpSid: typeof sid === 'string' && sid ? qualified(record.pv, sid) : undefined,
  };
}

/** A session a passkey started and no OIDC sign-in since: it has no tokens of the IdP. */
export const isPasskeySession = (record: SessionRecord): boolean => record.idt === undefined;

const claimsCache = new WeakMap<SessionRecord, Record<string, unknown>>();

/**
 * The claims of a record: its ID token's, under those latchkey asserted (`own`). Parsed once per
 * record. Read-only (frozen).
 */
export function claimsOf(record: SessionRecord): Record<string, unknown> {
  let claims = claimsCache.get(record);
  if (!claims) {
    const fromIdp = record.idt ? (JSON.parse(record.idt.p) as Record<string, unknown>) : {};
    const own = record.own === undefined ? {} : (JSON.parse(record.own) as Record<string, unknown>);
    claims = Object.freeze({ ...fromIdp, ...own });
    claimsCache.set(record, claims);
  }
  return claims;
}

const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Epoch ms at which the record ends: idle or absolute timeout, whichever comes first. */
export function expiryOf(record: SessionRecord, config: ResolvedConfig): number {
  return Math.min(
    record.touchedAt + config.idleTimeout * 1000,
    record.createdAt + config.absoluteTimeout * 1000,
  );
}

const strings = (value: unknown) =>
  Array.isArray(value)
    ? Object.freeze(value.filter((item) => typeof item === 'string'))
    : undefined;

/** The app-facing view of a record, frozen (requests of the same session share it). */
export function toSession(record: SessionRecord, config: ResolvedConfig): Session {
  const claims = claimsOf(record);
  // The app's own fields (`sessionClaims`), then the standard ones, which only claims set.
  const user = { ...config.sessionClaims?.(claims), sub: String(claims.sub) } as SessionUser;
  for (const key of ['name', 'email', 'picture'] as const) {
    const value = optionalString(claims[key]);
    if (value === undefined) delete user[key];
    else user[key] = value;
  }
  const roles = Object.freeze(config.roles(claims));
  return Object.freeze({
    sessionId: record.sessionId,
    user: Object.freeze(user),
    claims,
    roles,
    permissions: Object.freeze(permissionsFor(roles, config.policy)),
    acr: optionalString(claims.acr),
    acrs: strings(claims.acrs),
    amr: strings(claims.amr),
    authTime: authTimeOf(claims),
    idpSid: optionalString(claims.sid),
    provider: record.pv,
    data: Object.freeze({ ...record.data }),
    createdAt: Math.floor(record.createdAt / 1000),
    expiresAt: Math.floor(expiryOf(record, config) / 1000),
  }) as Session;
}

/** The session JSON of `GET /auth/session` (e.g. to render the first page on the server). */
export function sessionJson(session: Session | null): SessionJson {
  if (!session) return { authenticated: false };
  return {
    authenticated: true,
    user: session.user,
    roles: session.roles,
    permissions: session.permissions,
    acr: session.acr ?? null,
    amr: session.amr ?? [],
    authTime: session.authTime ?? null,
    expiresAt: session.expiresAt,
    ...(session.provider === undefined ? {} : { provider: session.provider }),
  };
}
