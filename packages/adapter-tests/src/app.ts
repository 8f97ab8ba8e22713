import { createHash } from 'node:crypto';
import {
  type AuthContext,
  isLatchkeyError,
  type Latchkey,
  type LatchkeyOptions,
} from '@latchkey/core';

/** What a test passes to an adapter's factory: latchkey's options without `baseUrl`. */
export type AppOptions = Omit<LatchkeyOptions, 'baseUrl'>;

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

/** A `GET` route every test app mounts, written once so that the factories only translate. */
export interface TestRoute {
  /** True when the route sits behind the adapter's `requireAuth()` guard. */
  requireAuth: boolean;
  /** The answer, from the request's `auth`. */
  answer(auth: AuthContext): Promise<TestAnswer>;
}

/** SHA-256 of a token in hex: tests compare tokens without ever printing one. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The routes of every test app: `/` (public: `{ signedIn }`), `/profile` (signed in:
 * `{ user, roles }`) and `/token` (signed in: `{ token }`, the digest of a fresh access token, or
 * `{ error }` with the latchkey error's status).
 */
export const testRoutes = {
  '/': {
    requireAuth: false,
    answer: async (auth) => ({ status: 200, body: { signedIn: auth.session !== null } }),
  },
  '/profile': {
    requireAuth: true,
    answer: async (auth) => ({
      status: 200,
      body: { user: auth.session!.user, roles: auth.session!.roles },
    }),
  },
  '/token': {
    requireAuth: true,
    answer: async (auth) => {
      try {
        return { status: 200, body: { token: tokenDigest(await auth.getAccessToken()) } };
      } catch (error) {
        if (!isLatchkeyError(error)) throw error;
        return { status: error.status, body: { error: error.code } };
      }
    },
  },
} as const satisfies Record<string, TestRoute>;
