// The provider's context, in a module of its own: the build emits it as one file that both entries
// (`@latchkey/react` and `@latchkey/react/passkeys`) import, so that there is one context object
// and the passkeys hooks find the <AuthProvider> of the main entry (see tsup.config.ts).
import { createContext, useContext } from 'react';
import type { AuthState, AuthStore } from './store';

/** What the provider hands down: its store and the state it last rendered. */
export interface ContextValue {
  store: AuthStore;
  state: AuthState;
}

export const AuthContext = /* @__PURE__ */ createContext<ContextValue | null>(null);

/** The provider's store and state, for the hooks and components of this package. */
export function useAuthContext(): ContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('latchkey: wrap this component in an <AuthProvider>.');
  return value;
}
