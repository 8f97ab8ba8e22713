/**
 * The session contract: the JSON body of `GET /auth/session`, which core answers and
 * `@latchkey/react` reads. Types only; never tokens.
 */

import type { Register } from './rbac';

/** The user's claims you declared in {@link Register} (`user`), added by `sessionClaims`. */
export type RegisteredUser = Register extends {
  /** The claims the server adds to the session's user. */
  user: infer U extends object;
}
  ? U
  : Record<never, never>;

/** The standard part of {@link SessionUser}, from ID token claims. */
export interface StandardUser {
  /** The IdP's subject identifier (`sub` claim). */
  sub: string;
  /** Display name (`name` claim). */
  name?: string;
  /** Email address (`email` claim). */
  email?: string;
  /** URL of a profile picture (`picture` claim). */
  picture?: string;
}

/**
 * The signed-in user's profile: standard ID token claims, and those the server's `sessionClaims`
 * adds, as declared in {@link Register}.
 */
export type SessionUser = StandardUser & RegisteredUser;

/** A signed-in session as the browser sees it: who, what they may do, how they signed in. */
export interface AuthSession {
  /** Who is signed in. */
  user: SessionUser;
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
  /** The identity provider signed in at, by name: only for apps with several. */
  provider?: string;
}

/** The body of `GET /auth/session`: a signed-in session, or `{ authenticated: false }`. */
export type SessionJson =
  | ({
      /** `true`: a user is signed in, and the {@link AuthSession} fields follow. */
      authenticated: true;
    } & AuthSession)
  | {
      /** `false`: nobody is signed in; no other field. */
      authenticated: false;
    };
