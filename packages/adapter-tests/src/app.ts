import { createHash } from 'node:crypto';
import {
  type AuthContext,
  type BearerRequirement,
  type BearerVerifier,
  createBearerVerifier,
  isLatchkeyError,
  type Latchkey,
  type LatchkeyOptions,
  type Permission,
  type StepUpKey,
  type StepUpRequirement,
  type VerifiedToken,
} from '@latchkey/core';
import { ACR_LEVELS, ACR_MFA } from '@latchkey/dev-idp';

/**
 * What a test passes to an adapter's factory: latchkey's options without `baseUrl` (with the one
 * issuer of the suite's dev IdP), and the API the app forwards `/api-proxy/*` to
 * (backend-for-frontend) when given.
 */
export type AppOptions = Omit<LatchkeyOptions, 'baseUrl'> & { issuer: string; apiUrl?: string };

/** Where test apps mount the adapter's forwarding to {@link AppOptions.apiUrl}. */
export const PROXY_PATH = '/api-proxy';

/** An app on a loopback port running one adapter, with latchkey mounted and {@link testRoutes}. */
export interface AdapterApp {
  /** The app's origin, e.g. `http://127.0.0.1:43121`, which is also latchkey's `baseUrl`. */
  url: string;
  /** The latchkey instance the adapter is mounted with. */
  latchkey: Latchkey;
  /** Stops the server and closes its open connections. */
  stop(): Promise<void>;
}

/**
 * An adapter's test app factory: binds a free loopback port first, creates latchkey with
 * `baseUrl` set to that URL, mounts the adapter and then every route of {@link testRoutes}.
 */
export type StartAdapterApp = (options: AppOptions) => Promise<AdapterApp>;

/** Status and JSON body of a test route's answer. */
export interface TestAnswer {
  status: number;
  body: unknown;
}

/** Which adapter guard protects a test route. */
export type TestGuard =
  | { kind: 'auth' }
  | { kind: 'role'; role: string }
  | { kind: 'permission'; permission: Permission }
  | { kind: 'stepUp'; requirement: StepUpRequirement }
  | { kind: 'bearer'; requirement: BearerRequirement };

/** What a test route's answer reads: the session context, and the token behind a bearer guard. */
export interface TestRequest {
  auth: AuthContext;
  bearer: VerifiedToken | undefined;
}

/** A `GET` route every test app mounts, written once so that the factories only translate. */
export interface TestRoute {
  /** The guard in front of it, if any. */
  guard?: TestGuard;
  /** The answer, from the request's `auth` (and `bearer`). */
  answer(request: TestRequest): Promise<TestAnswer>;
}

/** The API audience of the dev IdP's JWT access tokens, used by the bearer routes. */
export const TEST_API = 'urn:latchkey:demo-api';

/**
 * The bearer verifier of a test app at `appUrl`: the dev IdP's access tokens for {@link TEST_API},
 * bearer or DPoP-bound, and the app's step-up assertions when it signs them.
 */
export function testVerifier(options: AppOptions, appUrl: string): BearerVerifier {
  const assertionKey = options.stepUp?.passkey?.assertionKey;
  return createBearerVerifier({
    issuer: options.issuer,
    audience: TEST_API,
    acrLevels: ACR_LEVELS,
    // Bearer tokens, and DPoP-bound ones with their proofs (apps with `dpop` get those).
    dpop: 'allowed',
    ...(options.policy ? { policy: options.policy } : {}),
    // The app's own API trusts the app's step-up assertions, with the public half of its key.
    ...(assertionKey
      ? { stepUpAssertions: { issuer: appUrl, keys: { keys: [publicHalf(assertionKey)] } } }
      : {}),
  });
}

/** The public half of a private JWK. */
function publicHalf({ d: _private, ...rest }: StepUpKey): StepUpKey {
  return rest;
}

const ok = async ({ auth, bearer }: TestRequest): Promise<TestAnswer> => ({
  status: 200,
  body: {
    sub: bearer?.sub ?? auth.session?.user.sub ?? null,
    acr: bearer?.acr ?? auth.session?.acr ?? null,
  },
});

/** SHA-256 of a token in hex: tests compare tokens without ever printing one. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The routes of every test app: `/` (public: `{ signedIn }`), `/profile` (signed in:
 * `{ user, roles }`), `/token` (signed in: `{ token }`, the digest of a fresh access token, or
 * `{ error }` with the latchkey error's status), and routes behind each kind of guard.
 */
export const testRoutes = {
  '/': {
    answer: async ({ auth }) => ({ status: 200, body: { signedIn: auth.session !== null } }),
  },
  /** The app's own page under latchkey's base path: latchkey leaves it to the app. */
  '/auth/app-page': {
    answer: async ({ auth }) => ({ status: 200, body: { signedIn: auth.session !== null } }),
  },
  '/profile': {
    guard: { kind: 'auth' },
    answer: async ({ auth }) => ({
      status: 200,
      body: { user: auth.session!.user, roles: auth.session!.roles },
    }),
  },
  '/token': {
    guard: { kind: 'auth' },
    answer: async ({ auth }) => {
      try {
        return { status: 200, body: { token: tokenDigest(await auth.getAccessToken()) } };
      } catch (error) {
        if (!isLatchkeyError(error)) throw error;
        return { status: error.status, body: { error: error.code } };
      }
    },
  },
  /** The raw access token: test apps only, so bearer tests can call the API routes below. */
  '/raw-token': {
    guard: { kind: 'auth' },
    answer: async ({ auth }) => ({ status: 200, body: { token: await auth.getAccessToken() } }),
  },
  '/admin': { guard: { kind: 'role', role: 'admin' }, answer: ok },
  '/reports': { guard: { kind: 'permission', permission: 'reports:read' }, answer: ok },
  '/transfer': {
    guard: { kind: 'stepUp', requirement: { acr: ACR_MFA, maxAge: 300 } },
    answer: ok,
  },
  '/api/reports': {
    guard: {
      kind: 'bearer',
      requirement: { scopes: ['reports:read'], permissions: ['reports:read'] },
    },
    answer: ok,
  },
  // A scope the dev IdP never grants.
  '/api/audit': { guard: { kind: 'bearer', requirement: { scopes: ['audit:write'] } }, answer: ok },
  '/api/transfer': {
    guard: { kind: 'bearer', requirement: { acr: ACR_MFA, maxAge: 300 } },
    answer: ok,
  },
} as const satisfies Record<string, TestRoute>;
