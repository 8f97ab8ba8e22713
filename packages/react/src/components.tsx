import { type AuthSession, acrSatisfies, type Permission } from '@latchkey/core/contract';
import { type ReactElement, type ReactNode, useEffect, useReducer } from 'react';
import { useAuthContext } from './context';
import type { AuthError } from './errors';
import { usePermission, useRequireAuth } from './hooks';
import { unanswered } from './store';

/** Props of {@link SignedIn} and {@link SignedOut}. */
export interface SignedInProps {
  /** Rendered only in that state. */
  children?: ReactNode;
}

/** Props of {@link AuthLoading}. */
export interface AuthLoadingProps {
  /** Rendered until the server's first answer, unless the first check failed. */
  children?: ReactNode;
}

/** Renders its children while the first session check is under way (`loading`). */
export function AuthLoading({ children }: AuthLoadingProps): ReactElement {
  return <>{useAuthContext().state.status === 'loading' ? children : null}</>;
}

/** Props of {@link AuthUnavailable}. */
export interface AuthUnavailableProps {
  /**
   * Rendered while the server has not answered yet and its last check failed (`unavailable`),
   * with why and a `retry()` that checks again at once (checks also go on by themselves).
   */
  children: (error: AuthError, retry: () => Promise<void>) => ReactNode;
}

/**
 * Renders `children(error, retry)` when the first session check failed (a 5xx, the network) and
 * no answer has come since: the page can say so instead of staying blank. After the session was
 * known once, an outage keeps it and sets `error` instead.
 *
 * @example
 * <AuthUnavailable>
 *   {(error, retry) => <p>Cannot reach the server ({error.code}). <button onClick={retry}>Retry</button></p>}
 * </AuthUnavailable>
 */
export function AuthUnavailable({ children }: AuthUnavailableProps): ReactElement | null {
  const { store, state } = useAuthContext();
  if (state.status !== 'unavailable' || !state.error) return null;
  return <>{children(state.error, store.refresh)}</>;
}

/** Props of {@link RequireAuth}. */
export interface RequireAuthProps {
  /** Rendered when signed in. */
  children?: ReactNode;
  /** Rendered until the session is known, and while a signed-out visitor is sent to sign in. */
  loading?: ReactNode;
  /**
   * Sends a signed-out visitor to sign in, and back to `returnTo` (default: this page, hash
   * included). Default `true`; with `false`, `fallback` is rendered instead.
   */
  redirect?: boolean;
  /** Where to come back to after sign-in: a same-origin path. */
  returnTo?: string;
  /** Rendered when signed out and `redirect` is `false`. */
  fallback?: ReactNode;
}

/**
 * A route guard: renders its children when signed in, and sends a signed-out visitor to sign in
 * and back to this page (`loading` meanwhile). It shapes the page only: the server checks the
 * session on every request.
 *
 * @example
 * <RequireAuth loading={<Spinner />}><Invoices /></RequireAuth>
 */
export function RequireAuth({
  children,
  loading = null,
  redirect = true,
  returnTo,
  fallback = null,
}: RequireAuthProps): ReactElement {
  const { status } = useRequireAuth({ redirect, ...(returnTo === undefined ? {} : { returnTo }) });
  if (status === 'authenticated') return <>{children}</>;
  return <>{status === 'unauthenticated' && !redirect ? fallback : loading}</>;
}

/** Renders its children only when signed in (nothing while loading). */
export function SignedIn({ children }: SignedInProps): ReactElement {
  return <>{useAuthContext().state.status === 'authenticated' ? children : null}</>;
}

/** Renders its children only when signed out (nothing while loading). */
export function SignedOut({ children }: SignedInProps): ReactElement {
  return <>{useAuthContext().state.status === 'unauthenticated' ? children : null}</>;
}

/** Props of {@link RequirePermission}. */
export interface RequirePermissionProps {
  /** The permission needed; wildcard grants of the session count. */
  permission: Permission;
  /** Rendered when signed out or lacking the permission. Default nothing. */
  fallback?: ReactNode;
  /** Rendered when the session holds the permission. */
  children?: ReactNode;
}

/**
 * Renders its children when the session holds `permission`, else `fallback` (nothing before the
 * server's first answer). It shapes the page only: the server enforces permissions on every request.
 */
export function RequirePermission({
  permission,
  fallback = null,
  children,
}: RequirePermissionProps): ReactElement | null {
  const allowed = usePermission(permission);
  if (unanswered(useAuthContext().state)) return null;
  return <>{allowed ? children : fallback}</>;
}

/** Props of {@link RequireStepUp}. */
export interface RequireStepUpProps {
  /** The lowest acceptable level; higher levels in the provider's `acrLevels` satisfy it too. */
  acr?: string;
  /** The last authentication must be at most this many seconds old. */
  maxAge?: number;
  /**
   * Rendered when the session does not meet the requirement (or is signed out). A function gets a
   * `stepUp()` that asks for this requirement and comes back to this page.
   */
  fallback?: ReactNode | ((stepUp: () => void) => ReactNode);
  /** Rendered when the session meets the requirement. */
  children?: ReactNode;
}

/**
 * Until when (server clock, ms) the session meets the requirement; 0 when it does not. A missing
 * `authTime` fails closed, as on the server.
 */
function metUntil(
  session: AuthSession | null,
  { acr, maxAge }: RequireStepUpProps,
  levels: readonly string[],
): number {
  if (!session || (acr !== undefined && !acrSatisfies(session.acr, acr, levels))) return 0;
  if (maxAge === undefined) return Number.POSITIVE_INFINITY;
  return session.authTime === null ? 0 : (session.authTime + maxAge) * 1000;
}

/**
 * Renders its children when the session was authenticated at level `acr` or higher and within
 * `maxAge` seconds; otherwise `fallback` (nothing before the server's first answer). It re-renders when `maxAge`
 * runs out. It shapes the page only: the server enforces step-up on every request.
 *
 * @example
 * <RequireStepUp acr="urn:latchkey:acr:mfa" maxAge={300}
 *   fallback={(stepUp) => <button onClick={stepUp}>Verify it's you</button>}>
 *   <TransferForm />
 * </RequireStepUp>
 */
export function RequireStepUp(props: RequireStepUpProps): ReactElement | null {
  const { acr, maxAge, fallback = null, children } = props;
  const { store, state } = useAuthContext();
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  const until = metUntil(state.session, props, store.acrLevels);
  const met = until >= store.now();
  useEffect(() => {
    if (!met || until === Number.POSITIVE_INFINITY) return;
    // setTimeout overflows beyond 2^31-1 ms; a day is plenty before looking again.
    const timer = setTimeout(rerender, Math.min(until - store.now() + 1, 86_400_000));
    return () => clearTimeout(timer);
  }, [met, until, store]);
  if (unanswered(state)) return null;
  if (met) return <>{children}</>;
  const stepUp = () => store.stepUp({ acr, maxAge });
  return <>{typeof fallback === 'function' ? fallback(stepUp) : fallback}</>;
}
