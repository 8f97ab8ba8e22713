/**
 * React hooks and components over the session endpoints of a latchkey server: the session, sign-in
 * and sign-out, permissions and step-up. Tokens never reach the browser.
 *
 * @module @latchkey/react
 */
// The session contract and the rules the server applies too, from core's browser-safe subpath.
export {
  type AuthSession,
  grantCovers,
  type Permission,
  type Register,
  type Role,
  type SessionJson as SessionResponse,
  type SessionUser as AuthUser,
} from '@latchkey/core/contract';
export {
  AuthLoading,
  type AuthLoadingProps,
  AuthUnavailable,
  type AuthUnavailableProps,
  RequireAuth,
  type RequireAuthProps,
  RequirePermission,
  type RequirePermissionProps,
  RequireStepUp,
  type RequireStepUpProps,
  SignedIn,
  type SignedInProps,
  SignedOut,
} from './components';
export { AuthError, type AuthErrorCode, AuthErrorCodes } from './errors';
export {
  type Auth,
  type RequireAuthOptions,
  useAuth,
  useAuthSuspense,
  usePermission,
  useRequireAuth,
  useRole,
  useUser,
} from './hooks';
export { AuthProvider, type AuthProviderProps } from './provider';
export {
  type AuthClient,
  type AuthClientOptions,
  type AuthState,
  type AuthStatus,
  createAuthClient,
  type SessionChangeListener,
  type SignInOptions,
  type SignOutOptions,
  type StepUpOptions,
} from './store';
