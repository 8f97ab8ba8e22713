import {
  type AuthSession,
  grantCovers,
  type Permission,
  type SessionUser,
} from '@latchkey/core/contract';
import { useMemo } from 'react';
import { useAuthContext } from './context';
import type { AuthError } from './errors';
import type { AuthStatus, SignInOptions, StepUpOptions } from './store';

/** What {@link useAuth} returns. The functions are stable across renders. */
export interface Auth {
  /** `loading` until the first answer (none with `initialSession`), then signed in or out. */
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
   * Navigates to `/auth/login?returnTo=...`; with `acr`, to `/auth/step-up?acr=...` instead, as
   * the login route takes no level.
   */
  signIn(options?: SignInOptions): void;
  /**
   * Posts `/auth/logout`, shows every tab signed out, then navigates to the IdP's end-session URL.
   * Rejects with an {@link AuthError} (and sets `error`) when the server did not end the session.
   */
  signOut(): Promise<void>;
  /** Navigates to `/auth/step-up?acr=...&max_age=...&returnTo=...`. */
  stepUp(options?: StepUpOptions): void;
  /** Checks the session with the server now (joins a check already under way); never rejects. */
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

/** True when the session has `role`. */
export function useRole(role: string): boolean {
  return useAuthContext().state.session?.roles.includes(role) ?? false;
}

/**
 * A `fetch` for this app's own API (the BFF): same origin only, with the session cookie. A `401`
 * carrying an RFC 9470 step-up challenge navigates to `/auth/step-up` (with the challenge's
 * `acr_values`/`max_age`, back to this page) and rejects with `step_up_required`: the request is
 * never replayed. A plain `401` refreshes the session state; other responses are returned as is.
 *
 * @example
 * const authFetch = useAuthFetch();
 * const response = await authFetch('/api/payments', { method: 'POST', body });
 */
export function useAuthFetch(): (
  input: RequestInfo | URL,
  init?: RequestInit,
) => Promise<Response> {
  return useAuthContext().store.authFetch;
}
