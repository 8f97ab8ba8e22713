/**
 * Testing kit for apps built on `@latchkey/react`: a provider with a session of your choosing that
 * makes no network call, and a record of the sign-in, step-up and sign-out navigations your
 * components start. For component tests (Testing Library, Vitest, Jest), on React 18 and 19.
 *
 * @module @latchkey/react/testing
 */
import type { AuthSession } from '@latchkey/core/contract';
import { type ReactElement, type ReactNode, useState } from 'react';
import { AuthContext } from './context';
import type { AuthError } from './errors';
import {
  type AuthState,
  type AuthStatus,
  type AuthStore,
  createAuthStore,
  DEFAULT_ACR_LEVELS,
} from './store';

/** A session for tests: `user` `{ sub: 'test-user', name: 'Test User' }`, no roles, your overrides. */
export function mockSession(overrides: Partial<AuthSession> = {}): AuthSession {
  const now = Math.floor(Date.now() / 1000);
  return {
    user: { sub: 'test-user', name: 'Test User' } as AuthSession['user'],
    roles: [],
    permissions: [],
    acr: null,
    amr: [],
    authTime: now,
    expiresAt: now + 3600,
    ...overrides,
  };
}

/** A navigation a component started, recorded instead of followed. */
export interface MockNavigation {
  /** `signIn` (`/auth/login`), `stepUp` (`/auth/step-up`, also `signIn({ acr })`) or `signOut`. */
  type: 'signIn' | 'stepUp' | 'signOut';
  /** Where the page would have gone, e.g. `/auth/login?returnTo=%2Finvoices`. */
  url: string;
}

/** Props of {@link MockAuthProvider}. */
export interface MockAuthProviderProps {
  /** The session, e.g. `mockSession({ roles: ['admin'] })`; `null` (default) for signed out. */
  session?: AuthSession | null;
  /** The status; default `authenticated` with a session, else `unauthenticated`. */
  status?: AuthStatus;
  /** The error, e.g. for `unavailable`. Default `null`. */
  error?: AuthError | null;
  /** Receives each sign-in, step-up and sign-out instead of the page changing location. */
  onNavigate?: (navigation: MockNavigation) => void;
  /** The server's authentication levels, lowest first. Default the dev IdP's. */
  acrLevels?: readonly string[];
  /** The tree under test. */
  children?: ReactNode;
}

const typeOf = (url: string): MockNavigation['type'] =>
  url.startsWith('/auth/login') ? 'signIn' : url.startsWith('/auth/logout') ? 'signOut' : 'stepUp';

/**
 * Stands in for `<AuthProvider>` in component tests: the hooks and components below it see
 * `session` and `status` as given, nothing is fetched (`refresh()` does nothing), and sign-in,
 * step-up and sign-out are reported to `onNavigate`. `useAuthFetch()` calls `fetch`, which your
 * test stubs. The props are read on mount.
 *
 * @example
 * const onNavigate = vi.fn();
 * render(<MockAuthProvider session={mockSession({ permissions: ['*'] })} onNavigate={onNavigate}><Toolbar /></MockAuthProvider>);
 */
export function MockAuthProvider({
  session = null,
  status = session ? 'authenticated' : 'unauthenticated',
  error = null,
  onNavigate = () => {},
  acrLevels = DEFAULT_ACR_LEVELS,
  children,
}: MockAuthProviderProps): ReactElement {
  const [value] = useState(() => {
    const state: AuthState = {
      status,
      session: status === 'authenticated' ? session : null,
      error,
    };
    const navigate = (url: string) => onNavigate({ type: typeOf(url), url });
    const engine = createAuthStore('/auth', acrLevels, state.session, {}, navigate);
    const store: AuthStore = {
      ...engine,
      getState: () => state,
      subscribe: () => () => {},
      refresh: async () => {},
      ready: async () => state,
      accept: async () => {},
      start: () => () => {},
      signOut: async ({ returnTo } = {}) =>
        navigate(
          `/auth/logout${returnTo === undefined ? '' : `?${new URLSearchParams({ returnTo })}`}`,
        ),
    };
    return { store, state };
  });
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
