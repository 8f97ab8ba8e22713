import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import {
  type AuthenticationOptionsInput,
  type AuthenticationVerifyInput,
  authenticationOptions,
  type VerifiedAuthentication,
  verifyAuthentication,
} from './authentication';
import { type PasskeyConfig, type PasskeyOptions, resolvePasskeyConfig } from './config';
import type { PasskeyProfile } from './credential-store';
import { listPasskeys, type PasskeyJson, removePasskey, renamePasskey } from './credentials';
import {
  type RegistrationOptionsInput,
  type RegistrationVerifyInput,
  registrationOptions,
  type VerifiedRegistration,
  verifyRegistration,
} from './registration';

/**
 * The passkey ceremonies and passkey management of one relying party, framework-free: each method
 * takes plain values (the browser's cookie-bound id, the session's `sub`, the parsed JSON body) and
 * resolves plain JSON or throws a `LatchkeyError` with a `passkey_*` code (`invalid_request` for malformed input),
 * so an HTTP route around it only moves values in and out.
 */
export class Passkeys {
  readonly #config: PasskeyConfig;

  constructor(options: PasskeyOptions) {
    this.#config = resolvePasskeyConfig(options);
  }

  /** The relying-party ID passkeys are scoped to. */
  get rpID(): string {
    return this.#config.rpID;
  }

  /** The origins ceremonies may come from. */
  get origins(): readonly string[] {
    return this.#config.origins;
  }

  /**
   * Starts registering a passkey for the signed-in user: options for the browser's
   * `startRegistration({ optionsJSON })`, with a challenge bound to `browser`.
   */
  registrationOptions(
    input: RegistrationOptionsInput,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return registrationOptions(this.#config, input);
  }

  /** Verifies a registration and stores the passkey and the user's profile. */
  verifyRegistration(input: RegistrationVerifyInput): Promise<VerifiedRegistration> {
    return verifyRegistration(this.#config, input);
  }

  /**
   * Starts a passkey sign-in (`purpose: 'sign-in'`) or step-up of the signed-in user
   * (`purpose: 'step-up'`): options for the browser's `startAuthentication({ optionsJSON })`.
   */
  authenticationOptions(
    input: AuthenticationOptionsInput,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return authenticationOptions(this.#config, input);
  }

  /**
   * Verifies a passkey assertion: resolves who it proves (`sub`), the updated passkey and the `amr`
   * for the session. Creating or raising the session is the caller's part.
   */
  verifyAuthentication(input: AuthenticationVerifyInput): Promise<VerifiedAuthentication> {
    return verifyAuthentication(this.#config, input);
  }

  /** The passkeys of `sub`, oldest first, without keys or counters. */
  list(sub: string): Promise<PasskeyJson[]> {
    return listPasskeys(this.#config.credentials, sub);
  }

  /** Renames a passkey of `sub` (`invalid_request` for a bad name, `passkey_not_found`). */
  rename(sub: string, id: string, name: unknown): Promise<void> {
    return renamePasskey(this.#config.credentials, sub, id, name);
  }

  /** Removes a passkey of `sub` (`passkey_not_found` when `sub` has no such passkey). */
  remove(sub: string, id: string): Promise<void> {
    return removePasskey(this.#config.credentials, sub, id);
  }

  /**
   * The profile claims stored for `sub` at their last passkey registration, from which a passkey
   * sign-in builds its session; undefined when none was stored.
   */
  profileOf(sub: string): Promise<PasskeyProfile | undefined> {
    return this.#config.credentials.getProfile(sub);
  }

  /** Forgets a user entirely (account deletion): passkeys, user handle, profile. */
  forgetUser(sub: string): Promise<number> {
    return this.#config.credentials.deleteUser(sub);
  }
}

/** Creates the passkey ceremonies of one relying party; throws `config_invalid` on bad options. */
export function createPasskeys(options: PasskeyOptions): Passkeys {
  return new Passkeys(options);
}
