import {
  type AuthSession,
  grantCovers,
  type Permission,
  type Role,
  type SessionUser,
} from '@latchkey/core/contract';
import { useEffect, useMemo } from 'react';
import { useAuthContext } from './context';
import type { AuthError } from './errors';
import type { AuthStatus, SignInOptions, SignOutOptions, StepUpOptions } from './store';

/** What {@link useAuth} returns. The functions are stable across renders. */
export interface Auth {
  /**
   * `loading` until the first answer (none with `initialSession`), then signed in or out;
   * `unavailable` while no answer has come and the last check failed.
   */
  status: AuthStatus;
  /** The session when `authenticated`, else `null`. */
  session: AuthSession | null;
  /** The signed-in user, else `null`. */
  user: SessionUser | null;
  /** The session's roles; empty when signed out. */
  roles: readonly string[];
  /** The session's permission grants (wildcards included); empty when signed out. */
  permissions: readonly string[];
  /** The authentication level of the last sign-in, else `null`. */
  acr: string | null;
  /** Why the latest session check or sign-out failed, else `null`. */
  error: AuthError | null;
  /**
   * Navigates to `/auth/login?returnTo=...` (with `prompt`, `login_hint` and `ui_locales` when
   * given: the server passes on those its `loginParams` lists); with `acr`, to
   * `/auth/step-up?acr=...` instead, as the login route takes no level.
   */
  signIn(options?: SignInOptions): void;
  /**
   * Posts `/auth/logout` (with `?returnTo=` when given), shows every tab signed out, then
   * navigates to the IdP's end-session URL. Rejects with an {@link AuthError} (and sets `error`)
   * when the server did not end the session.
   */
  signOut(options?: SignOutOptions): Promise<void>;
  /** Navigates to `/auth/step-up?acr=...&max_age=...&returnTo=...`. */
  stepUp(options?: StepUpOptions): void;
  /**
   * Checks the session with the server now (joins a check already under way); never rejects. The
   * `retry` of `unavailable`.
   */
  refresh(): Promise<void>;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * The session and the actions on it.
 *
 * @example
 * const { status, user, signIn, signOut } = useAuth();
 */
export function useAuth(): Auth {
  const { store, state } = useAuthContext();
  return useMemo(() => {
    const { status, session, error } = state;
    return {
      status,
      session,
      user: session?.user ?? null,
      roles: session?.roles ?? NONE,
      permissions: session?.permissions ?? NONE,
      acr: session?.acr ?? null,
      error,
      signIn: store.signIn,
      signOut: store.signOut,
      stepUp: store.stepUp,
      refresh: store.refresh,
    };
  }, [store, state]);
}

/** Options of {@link useRequireAuth}. */
export interface RequireAuthOptions {
  /** Where to come back to after sign-in: a same-origin path; default this page, hash included. */
  returnTo?: string;
  /** Whether to send a signed-out visitor to sign in. Default `true`. */
  redirect?: boolean;
}

/**
 * {@link useAuth}, and a signed-out visitor sent to sign in and back (`returnTo`, default this
 * page). For pages and layouts that need a session; see also `<RequireAuth>`.
 *
 * @example
 * const { status, user } = useRequireAuth();
 * if (status !== 'authenticated') return <Spinner />;
 */
export function useRequireAuth({ returnTo, redirect = true }: RequireAuthOptions = {}): Auth {
  const auth = useAuth();
  const signedOut = auth.status === 'unauthenticated';
  useEffect(() => {
    if (signedOut && redirect) auth.signIn(returnTo === undefined ? {} : { returnTo });
  }, [signedOut, redirect, returnTo, auth.signIn]);
  return auth;
}

/**
 * {@link useAuth} for components under a `<Suspense>` boundary: suspends until the server's first
 * answer (or a failed first check: `unavailable`), so the component never sees `loading`. On the
 * server, give the provider an `initialSession` instead: there is no session route to ask.
 *
 * @example
 * <Suspense fallback={<Spinner />}><Account /></Suspense> // Account calls useAuthSuspense()
 */
export function useAuthSuspense(): Auth {
  const { store, state } = useAuthContext();
  if (state.status === 'loading') throw store.ready();
  return useAuth();
}

/** The signed-in user, or `null` (signed out or still loading). */
export function useUser(): SessionUser | null {
  return useAuthContext().state.session?.user ?? null;
}

/**
 * True when the session holds `permission`, directly or through a wildcard grant (`'invoices:*'`,
 * `'*'`). Typed from {@link Register} when you declared your permissions.
 */
export function usePermission(permission: Permission): boolean {
  const grants = useAuthContext().state.session?.permissions ?? NONE;
  return grants.some((grant) => grantCovers(grant, permission));
}

/** True when the session has `role`. Typed from {@link Register} when you declared your roles. */
export function useRole(role: Role): boolean {
  return useAuthContext().state.session?.roles.includes(role) ?? false;
}
