/**
 * A framework-free OpenID Connect relying party: sign-in, sessions, refresh, sign-out, bearer
 * tokens for APIs, roles and permissions, step-up. Apps use this entry; framework adapters use
 * `@latchkey/core/adapter`, and the browser shares `@latchkey/core/contract` with the server.
 *
 * @module @latchkey/core
 */
export { acrSatisfies } from './acr';
export {
  type AuditLog,
  type AuditLogDefect,
  type AuditLogOptions,
  type AuditLogVerdict,
  type AuditRecord,
  createAuditLog,
  type VerifyAuditLogOptions,
  verifyAuditLog,
} from './audit-log';
export {
  type AccessTokenClaims,
  type BearerRequest,
  type BearerRequirement,
  type BearerVerifier,
  type BearerVerifierOptions,
  createBearerVerifier,
  type TrustedIssuer,
  type VerifiedToken,
} from './bearer';
export type { AuthorizationParams } from './client';
export type {
  ClientAssertionAlg,
  ClientAssertionKey,
  ClientAuthMethod,
  PrivateJwk,
} from './client-auth';
export type {
  LatchkeyOptions,
  ProviderOptions,
  ProviderResolver,
  SessionOptions,
} from './config';
export type { DpopOption, TokenRequestInit } from './dpop';
export type { DpopMode, DpopOptions } from './dpop-proof';
export { type ErrorCode, ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
export type { LatchkeyEvent } from './events';
export { type ForwardOptions, forward } from './forward';
export { requireAuth, requirePermission, requireRole, requireStepUp } from './guards';
export { createLatchkey, Latchkey } from './latchkey';
export {
  MemoryReplayCache,
  MemoryRevocationList,
  MemorySessionStore,
  type MemoryStoreOptions,
} from './memory';
export { toWebRequest } from './node';
export type { PasskeyService } from './passkey-routes';
export { type IdpPreset, idpPresets } from './presets';
export {
  type Authorized,
  can,
  definePolicy,
  grantCovers,
  hasRole,
  type Permission,
  type PermissionGrant,
  type Policy,
  permissionsFor,
  permissionsFromClaims,
  type Register,
  type Role,
  type RoleMapper,
  roleMappers,
} from './rbac';
export { type HttpRequest, safeReturnTo, wantsJson } from './request';
export { type ErrorPage, toResponse } from './responses';
export type { RevocationList, RevocationSubject, RevocationTarget } from './revocation';
export { type KeyPurpose, Keyring, type Unsealed } from './seal';
export type { AuthContext, SetCookieSink } from './session-context';
export type { RegisteredUser, SessionJson, SessionUser, StandardUser } from './session-json';
export { type Session, sessionJson } from './session-record';
export type { LoginParams } from './sign-in';
export {
  type Authentication,
  type StepUpRequirement,
  stepUpChallenge,
  unmetStepUp,
} from './step-up';
export type { StepUpAssertionOptions, StepUpKey } from './step-up-assertion';
export type { ReplayCache, SessionFilter, SessionStore, StoredSession } from './store';
