export {
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
  useAuth,
  useAuthFetch,
  usePermission,
  useRole,
  useUser,
} from './hooks';
export { grantCovers, type Permission, type Register } from './permissions';
export { AuthProvider, type AuthProviderProps } from './provider';
export type { AuthSession, AuthUser, SessionResponse } from './session';
export { parseStepUpChallenge, type StepUpChallenge } from './step-up';
export type { AuthStatus, SignInOptions, StepUpOptions } from './store';
