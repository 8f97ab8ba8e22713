import { randomBytes } from 'node:crypto';
import { ErrorCodes, LatchkeyError } from '@latchkey/core';
import {
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { decodeAttestationObject, isoBase64URL } from '@simplewebauthn/server/helpers';
import { CHALLENGE_LIFETIME_MS, saveChallenge, takeSignedChallenge } from './challenges';
import type { PasskeyConfig } from './config';
import type { PasskeyCredential, PasskeyProfile } from './credential-store';
import { defaultPasskeyName, type PasskeyJson, passkeyJson, passkeyName } from './credentials';

import { registrationResponseOf, userVerifiedIn, verdictOf } from './responses';

/**
 * The public-key algorithms passkeys may use (COSE ids): EdDSA, ES256, RS256. Named on both sides
 * of the ceremony, so that a runtime upgrade cannot widen it unnoticed.
 */
const SUPPORTED_ALGORITHMS = [-8, -7, -257];

/** The signed-in user who registers a passkey. */
export interface PasskeyUser {
  /** The IdP's subject identifier of the session. */
  sub: string;
  /**
   * The account name the authenticator shows in its picker, usually the email address. Default:
   * `displayName`, else `sub`.
   */
  name?: string | undefined;
  /** The person's name, shown beside it. Default: empty. */
  displayName?: string | undefined;
}

/** Input of `registrationOptions`. */
export interface RegistrationOptionsInput {
  /** The random id kept in an HttpOnly cookie of this browser: the challenge is bound to it. */
  browser: string;
  /** The signed-in user. */
  user: PasskeyUser;
}

/** Input of `verifyRegistration`. */
export interface RegistrationVerifyInput {
  /** The browser's cookie-bound random id; undefined when the cookie is missing. */
  browser: string | undefined;
  /** The `sub` of the session now: it must be the user the ceremony started for. */
  sub: string;
  /** The request body: the JSON `@simplewebauthn/browser`'s `startRegistration()` resolved. */
  response: unknown;
  /**
   * The user's profile claims to keep for passkey sign-in (`name`, `email`, `picture`, the claims
   * roles come from, ...). Plain JSON; replaces what was stored for this user.
   */
  profile?: PasskeyProfile | undefined;
  /** The name the user gives the passkey. Default: its kind and the date. */
  name?: string | undefined;
}

/** A verified registration: the passkey as stored. */
export interface VerifiedRegistration {
  /** The new passkey. */
  credential: PasskeyCredential;
  /** The new passkey as the browser may see it (no key, no counter). */
  passkey: PasskeyJson;
}

const invalid = (message: string, cause?: unknown) =>
  new LatchkeyError(ErrorCodes.passkeyInvalid, message, { cause });

/** Refuses a registration when the user has `maxPerUser` passkeys already. */
function checkRoomFor(config: PasskeyConfig, existing: readonly unknown[]): void {
  if (existing.length >= config.maxPerUser) {
    throw new LatchkeyError(
      ErrorCodes.passkeyLimitReached,
      `This account has ${config.maxPerUser} passkeys, the most this app allows: remove one first.`,
    );
  }
}

/** A random value of `bytes` bytes, base64url. */
const randomBase64url = (bytes: number) => randomBytes(bytes).toString('base64url');

/**
 * Options for `navigator.credentials.create()` for a signed-in user, with a fresh challenge bound
 * to the browser. The user's existing passkeys are excluded (one passkey per authenticator), and
 * the user handle is the user's stable random one, never the `sub` or an email.
 */
export async function registrationOptions(
  config: PasskeyConfig,
  { browser, user }: RegistrationOptionsInput,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  // WebAuthn §14.6.1: a user handle of 64 random bytes identifies no one outside this app.
  const userHandle = await config.credentials.userHandleOf(user.sub, randomBase64url(64));
  const existing = await config.credentials.listByUser(user.sub);
  checkRoomFor(config, existing);
  const options = await generateRegistrationOptions({
    rpName: config.rpName,
    rpID: config.rpID,
    userID: isoBase64URL.toBuffer(userHandle),
    userName: user.name || user.displayName || user.sub,
    userDisplayName: user.displayName ?? '',
    challenge: randomBytes(32),
    timeout: CHALLENGE_LIFETIME_MS,
    attestationType: 'none',
    excludeCredentials: existing.map(({ id, transports }) => ({ id, transports })),
    authenticatorSelection: {
      residentKey: config.residentKey,
      userVerification: config.userVerification,
    },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
  await saveChallenge(config, browser, options.challenge, {
    ceremony: 'registration',
    sub: user.sub,
    userHandle,
  });
  return options;
}

/**
 * Verifies the browser's answer to `registrationOptions` and stores the new passkey (and the
 * user's profile). The challenge is used up first, so every answer, verified or not, spends it.
 */
export async function verifyRegistration(
  config: PasskeyConfig,
  input: RegistrationVerifyInput,
): Promise<VerifiedRegistration> {
  const response = registrationResponseOf(input.response);
  const name = input.name === undefined ? undefined : passkeyName(input.name);
  const { challenge: expectedChallenge, pending } = await takeSignedChallenge(
    config,
    input.browser,
    response.response.clientDataJSON,
    'registration',
  );
  if (pending.sub !== input.sub) {
    throw invalid('This registration was started by another user: start it again.');
  }
  const requireUserVerification = config.userVerification === 'required';
  const { attestationObject } = response.response;
  const authData = () =>
    decodeAttestationObject(isoBase64URL.toBuffer(attestationObject)).get('authData');
  if (requireUserVerification && !userVerifiedIn(authData)) {
    throw new LatchkeyError(
      ErrorCodes.passkeyUserVerificationRequired,
      'The authenticator did not verify the user (PIN or biometrics), which this app requires.',
    );
  }

  const verification = await verdictOf(
    () =>
      verifyRegistrationResponse({
        response,
        expectedChallenge,
        expectedOrigin: [...config.origins],
        expectedRPID: config.rpID,
        requireUserVerification,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      }),
    'The passkey registration did not verify.',
  );
  const info = verification.registrationInfo;
  // The id the browser reported must be the one in the authenticator data.
  if (info.credential.id !== response.id) {
    throw invalid("The response's credential id differs from its authenticator data.");
  }

  // Again: other registrations of the user may have finished since the options.
  checkRoomFor(config, await config.credentials.listByUser(pending.sub));
  const createdAt = config.now();
  const credential: PasskeyCredential = {
    id: info.credential.id,
    sub: pending.sub,
    userHandle: pending.userHandle,
    publicKey: info.credential.publicKey,
    counter: info.credential.counter,
    transports: info.credential.transports ?? [],
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    aaguid: info.aaguid,
    name: name ?? defaultPasskeyName(info.credentialDeviceType, createdAt),
    createdAt,
    lastUsedAt: null,
  };
  // WebAuthn §7.1: a credential id registered before, to anyone, is refused.
  if (!(await config.credentials.create(credential))) {
    throw new LatchkeyError(
      ErrorCodes.passkeyAlreadyRegistered,
      'This passkey is already registered.',
    );
  }
  if (input.profile !== undefined) await config.credentials.setProfile(pending.sub, input.profile);
  return { credential, passkey: passkeyJson(credential) };
}
