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
import { parseSessionResponse } from './session';
import { createAuthStore } from './store';

/** The acr levels of the latchkey dev IdP, lowest first. */
const DEFAULT_ACR_LEVELS = ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'] as const;

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
  basePath = '/auth',
  initialSession,
  acrLevels = DEFAULT_ACR_LEVELS,
}: AuthProviderProps): ReactElement {
  const [store] = useState(() => {
    const path = basePath.replace(/\/+$/, '');
    if (!path.startsWith('/') || path.startsWith('//')) {
      throw new TypeError(`basePath must be a path such as '/auth', not '${basePath}'.`);
    }
    // `null` and `{ authenticated: false }` mean signed out; an invalid value means unknown.
    const initial = initialSession === null ? null : parseSessionResponse(initialSession);
    return createAuthStore(path, acrLevels, initial);
  });
  const state = useSyncExternalStore(store.subscribe, store.getState, store.getState);
  useEffect(() => store.start(), [store]);
  const value = useMemo(() => ({ store, state }), [store, state]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
