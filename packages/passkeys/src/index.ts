/**
 * `@latchkey/passkeys`: WebAuthn passkey ceremonies on the server, framework-free.
 *
 * @module @latchkey/passkeys
 */
export type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
export type {
  AuthenticationOptionsInput,
  AuthenticationVerifyInput,
  PasskeyAmr,
  VerifiedAuthentication,
} from './authentication';
export {
  type ChallengeRecord,
  type ChallengeStore,
  MemoryChallengeStore,
  type MemoryChallengeStoreOptions,
} from './challenges';
export type { PasskeyOptions } from './config';
export {
  type CredentialStore,
  type CredentialUse,
  counterAdvances,
  MemoryCredentialStore,
  type MemoryCredentialStoreOptions,
  type PasskeyCredential,
  type PasskeyProfile,
} from './credential-store';
export { type PasskeyJson, passkeyJson } from './credentials';
export { createPasskeys, Passkeys } from './passkeys';
export type {
  PasskeyUser,
  RegistrationOptionsInput,
  RegistrationVerifyInput,
  VerifiedRegistration,
} from './registration';
