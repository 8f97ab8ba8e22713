import type { SessionJson } from '@latchkey/core/contract';
import {
  type ReactElement,
  type ReactNode,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
} from 'react';
import { AuthContext } from './context';
import {
  type AuthClient,
  type AuthStore,
  createAuthClient,
  type SessionChangeListener,
} from './store';

/** Props of {@link AuthProvider}. `basePath`, `initialSession` and `acrLevels` are read on mount. */
export interface AuthProviderProps {
  /** The tree that uses the session. */
  children?: ReactNode;
  /** Where the server mounted latchkey's routes. Default `'/auth'`. */
  basePath?: string;
  /**
   * The session as the server knew it when rendering the page, in the shape of the body of
   * `GET /auth/session`, or `null` for signed out. With it the first render is already right and
   * nothing is fetched on mount; without it `status` starts as `loading`. A value that is not
   * that shape counts as unknown.
   */
  initialSession?: SessionJson | null;
  /**
   * The server's authentication levels, lowest first: a higher level satisfies a lower
   * requirement. Default `['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa']`.
   */
  acrLevels?: readonly string[];
  /**
   * A client from `createAuthClient(...)`, shared with router loaders; the provider then ignores
   * `basePath`, `initialSession` and `acrLevels` (the client's own apply).
   */
  client?: AuthClient;
  /** See `createAuthClient`: check on focus. Default `true`. Read on mount, as the options above. */
  refetchOnWindowFocus?: boolean;
  /** See `createAuthClient`: check every this many seconds. Default none. */
  refetchInterval?: number;
  /** See `createAuthClient`: check again while offline. Default `true`. */
  refetchWhenOffline?: boolean;
  /**
   * Called with the session after and before a sign-in, a sign-out, a user switch or an acr
   * change, from this tab or another; e.g. to clear a query cache on sign-out.
   */
  onSessionChange?: SessionChangeListener;
}

/**
 * Holds the session for the tree below: reads `GET {basePath}/session`, keeps it fresh (window
 * focus, expiry, other tabs) and offers sign-in, step-up and sign-out. Safe to render on a server.
 *
 * @example
 * <AuthProvider initialSession={window.__SESSION__}><App /></AuthProvider>
 */
export function AuthProvider({
  children,
  client,
  onSessionChange,
  ...options
}: AuthProviderProps): ReactElement {
  // Every client is an engine of createAuthClient's: the provider uses the rest of it.
  const [store] = useState(() => (client ?? createAuthClient(options)) as AuthStore);
  useEffect(
    () => onSessionChange && store.onSessionChange(onSessionChange),
    [store, onSessionChange],
  );
  const state = useSyncExternalStore(store.subscribe, store.getState, store.getState);
  useEffect(() => store.start(), [store]);
  const value = useMemo(() => ({ store, state }), [store, state]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
