/**
 * `@latchkey/core/contract`: what the browser shares with the server (the session JSON, the
 * permission and acr rules, the step-up challenge), for `@latchkey/react`. Browser-safe: its
 * modules import no Node built-in and no dependency (contract.test.ts checks it).
 *
 * @module @latchkey/core/contract
 */
export { acrSatisfies } from './acr';
export { parseStepUpChallenge, type StepUpChallenge } from './challenge';
export { grantCovers, type Permission, type Register, type Role } from './rbac';
export type {
  AuthSession,
  RegisteredUser,
  SessionJson,
  SessionUser,
  StandardUser,
} from './session-json';
