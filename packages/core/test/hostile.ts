import { type HostileIdp, startHostileIdp } from '@latchkey/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { type LatchkeyOptions, resolveConfig } from '../src/config';
import type { LatchkeyEvent } from '../src/events';
import { Guards } from '../src/guards';
import { Logout } from '../src/logout';
import { MemoryRevocationList } from '../src/memory';
import { Providers } from '../src/providers';
import { Keyring } from '../src/seal';
import { CookieSessions } from '../src/session-backends';
import { SessionContexts } from '../src/session-context';
import { createRecord } from '../src/session-record';
import { SignIn } from '../src/sign-in';
import { TokenRefresher } from '../src/tokens';

/** The base URL of the apps under test (never listened on: requests go to `handle` directly). */
export const baseUrl = 'http://127.0.0.1:3999';
/** Their session secrets. */
export const secrets = ['test-secret-test-secret-test-secret-1234'];
/** The client the hostile IdP knows. */
export const hostileClient = { clientId: 'app', clientSecret: 'app-secret' } as const;

/**
 * A hostile IdP for the enclosing file: started in `beforeAll`, stopped in `afterAll`. Read `idp`
 * inside tests only.
 */
export function useHostileIdp(): { readonly idp: HostileIdp } {
  let idp: HostileIdp | undefined;
  beforeAll(async () => {
    idp = await startHostileIdp(hostileClient);
  });
  afterAll(() => idp?.stop());
  return {
    get idp() {
      if (!idp) throw new Error('the hostile IdP starts in beforeAll: use it in tests');
      return idp;
    },
  };
}

/**
 * The parts a latchkey instance wires together, built directly for tests of one concept module:
 * cookie sessions, an OIDC client of the hostile IdP's app, and the audit events they emit.
 */
export function coreParts(issuer: string, overrides: Partial<LatchkeyOptions> = {}) {
  const config = resolveConfig({ issuer, ...hostileClient, baseUrl, secrets, ...overrides });
  const keyring = new Keyring(config.secrets);
  const providers = new Providers(config);
  const sessions = new CookieSessions(config, keyring, new MemoryRevocationList());
  const events: LatchkeyEvent[] = [];
  const emit = (event: LatchkeyEvent) => events.push(event);
  const contexts = new SessionContexts(
    config,
    providers,
    sessions,
    new TokenRefresher(config, providers, sessions),
    emit,
    {
      guards: new Guards(config, { login: '/auth/login', stepUp: '/auth/step-up' }, emit),
      forward: { appOrigin: new URL(baseUrl).origin, timeout: 2000, stepUpAssertion: undefined },
    },
  );
  return { config, keyring, providers, sessions, contexts, events, emit };
}

/** The `Cookie` header a browser sends back after these responses (deletions applied). */
export function cookiesAfter(...responses: Response[]): string {
  const jar = new Map<string, string>();
  for (const response of responses) {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const name = pair.slice(0, pair.indexOf('='));
      if (/Max-Age=0(;|$)/.test(line)) jar.delete(name);
      else jar.set(name, pair.slice(pair.indexOf('=') + 1));
    }
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** {@link coreParts} with the sign-in module over them. */
export function signInParts(issuer: string, overrides: Partial<LatchkeyOptions> = {}) {
  const parts = coreParts(issuer, overrides);
  const { config, keyring, providers, sessions, contexts, emit } = parts;
  return { ...parts, signIn: new SignIn(config, keyring, providers, sessions, contexts, emit) };
}

/** {@link coreParts} with the logout module over them (its form posts to `/auth/logout`). */
export function logoutParts(issuer: string, overrides: Partial<LatchkeyOptions> = {}) {
  const parts = coreParts(issuer, overrides);
  const { config, providers, sessions, contexts, emit } = parts;
  return {
    ...parts,
    logout: new Logout(config, providers, sessions, contexts, emit, '/auth/logout'),
  };
}

const jsonPart = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned stand-in for an ID token with `claims`, for sessions made without an IdP. */
export const standInIdToken = (claims: Record<string, unknown>) =>
  `${jsonPart({ alg: 'RS256' })}.${jsonPart(claims)}.c2ln`;

/**
 * The `Cookie` header of a session saved by `parts`, made without an IdP: its ID token is the
 * {@link standInIdToken} of `claims` (only its claims are read back).
 */
export async function sessionCookieOf(
  parts: ReturnType<typeof coreParts>,
  claims: Record<string, unknown> = { sub: 'alice', sid: 'idp-sid' },
): Promise<string> {
  const now = Date.now();
  const record = createRecord(
    {
      idToken: standInIdToken(claims),
      claims: undefined,
      accessToken: 'at',
      accessTokenExpiresAt: now / 1000 + 3600,
      refreshToken: undefined,
      scope: 'openid',
      tokenType: 'bearer',
    },
    now,
  );
  const lines = await parts.sessions.save(record, new Map(), now);
  return lines.map((line) => line.split(';')[0]).join('; ');
}
