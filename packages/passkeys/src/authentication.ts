import { randomBytes } from 'node:crypto';
import { ErrorCodes, LatchkeyError } from '@latchkey/core';
import {
  generateAuthenticationOptions,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { CHALLENGE_LIFETIME_MS, saveChallenge, takeSignedChallenge } from './challenges';
import type { PasskeyConfig } from './config';
import type { PasskeyCredential } from './credential-store';

import { authenticationResponseOf, userVerifiedIn, verdictOf } from './responses';

/**
 * Input of `authenticationOptions`: a sign-in (anyone, with a discoverable passkey), or a
 * step-up of the signed-in `sub` (only their passkeys are offered).
 */
export type AuthenticationOptionsInput =
  | {
      /** The random id kept in an HttpOnly cookie of this browser: the challenge is bound to it. */
      browser: string;
      /** Sign in: the passkey says who the user is. */
      purpose: 'sign-in';
    }
  | {
      /** The random id kept in an HttpOnly cookie of this browser: the challenge is bound to it. */
      browser: string;
      /** Step up: a fresh proof by a passkey of the signed-in user. */
      purpose: 'step-up';
      /** The `sub` of the session being stepped up. */
      sub: string;
    };

/** Input of `verifyAuthentication`: the same purpose as the options it answers. */
export type AuthenticationVerifyInput =
  | {
      /** The browser's cookie-bound random id; undefined when the cookie is missing. */
      browser: string | undefined;
      /** A sign-in: the challenge must have been issued for a sign-in. */
      purpose: 'sign-in';
      /** The request body: the JSON `@simplewebauthn/browser`'s `startAuthentication()` resolved. */
      response: unknown;
    }
  | {
      /** The browser's cookie-bound random id; undefined when the cookie is missing. */
      browser: string | undefined;
      /** A step-up: the challenge must have been issued for a step-up of this `sub`. */
      purpose: 'step-up';
      /** The `sub` of the session now: the passkey must be theirs. */
      sub: string;
      /** The request body: the JSON `@simplewebauthn/browser`'s `startAuthentication()` resolved. */
      response: unknown;
    };

/**
 * Authentication method references (RFC 8176) of a passkey assertion: `hwk` for a passkey bound
 * to its device, `swk` for a synced one (its key is copied by software), and `user` when the
 * authenticator verified the user.
 */
export type PasskeyAmr = 'hwk' | 'swk' | 'user';

/** A verified passkey assertion. */
export interface VerifiedAuthentication {
  /** Who signed in or stepped up: the passkey's owner. */
  sub: string;
  /** The passkey, with its counter, backup flag and `lastUsedAt` updated. */
  credential: PasskeyCredential;
  /** `['hwk' | 'swk', 'user']`, without `'user'` when the user was not verified. */
  amr: PasskeyAmr[];
}

/**
 * Options for `navigator.credentials.get()`, with a fresh challenge bound to the browser. A
 * sign-in lists no credentials (the browser offers the user's discoverable passkeys, also in
 * autofill); a step-up lists exactly the user's passkeys, and fails with `passkey_not_found` when
 * they have none.
 */
export async function authenticationOptions(
  config: PasskeyConfig,
  input: AuthenticationOptionsInput,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const common = {
    rpID: config.rpID,
    challenge: randomBytes(32),
    timeout: CHALLENGE_LIFETIME_MS,
    userVerification: config.userVerification,
  };
  if (input.purpose === 'sign-in') {
    const options = await generateAuthenticationOptions(common);
    await saveChallenge(config, input.browser, options.challenge, { ceremony: 'sign-in' });
    return options;
  }
  const passkeys = await config.credentials.listByUser(input.sub);
  // An empty allowCredentials would let the browser offer any passkey: never send one.
  if (passkeys.length === 0) {
    throw new LatchkeyError(
      ErrorCodes.passkeyNotFound,
      'You have no passkey to confirm it is you with.',
    );
  }
  const options = await generateAuthenticationOptions({
    ...common,
    allowCredentials: passkeys.map(({ id, transports }) => ({ id, transports })),
  });
  await saveChallenge(config, input.browser, options.challenge, {
    ceremony: 'step-up',
    sub: input.sub,
    allowCredentials: passkeys.map(({ id }) => id),
  });
  return options;
}

/**
 * Verifies the browser's answer to `authenticationOptions` and records the use on the
 * passkey. Besides what SimpleWebAuthn checks (signature, challenge, origin, rpID, flags), it makes
 * the relying party's own checks: the challenge is used once, in the browser it was issued to;
 * the passkey is one that was offered, and belongs to the user the authenticator names (and, for
 * a step-up, to the session's user); the counter advances.
 */
export async function verifyAuthentication(
  config: PasskeyConfig,
  input: AuthenticationVerifyInput,
): Promise<VerifiedAuthentication> {
  const response = authenticationResponseOf(input.response);
  const { challenge: expectedChallenge, pending } = await takeSignedChallenge(
    config,
    input.browser,
    response.response.clientDataJSON,
    input.purpose,
  );
  const notAllowed = (message: string) => new LatchkeyError(ErrorCodes.passkeyNotAllowed, message);
  const notTheirs = () => notAllowed('This passkey belongs to another user.');
  if (pending.ceremony === 'step-up' && input.purpose === 'step-up') {
    // The session's user now is the one the options were for, and the passkey one offered to them.
    if (pending.sub !== input.sub) {
      throw notAllowed('This step-up was started for another user: start it again.');
    }
    if (!pending.allowCredentials.includes(response.id)) {
      throw notAllowed('This passkey is not one of those offered for this step-up.');
    }
  }

  const stored = await config.credentials.get(response.id);
  if (!stored) {
    throw new LatchkeyError(
      ErrorCodes.passkeyNotFound,
      'This passkey is not registered here (it may have been removed): use another way to sign in.',
    );
  }
  // WebAuthn §7.2 step 6: the credential's owner is the user the ceremony is for...
  if (input.purpose === 'step-up' && stored.sub !== input.sub) throw notTheirs();
  // ...and the user handle the authenticator returned, which a discoverable sign-in relies on.
  const { userHandle } = response.response;
  if (userHandle === undefined && input.purpose === 'sign-in') {
    throw new LatchkeyError(
      ErrorCodes.passkeyInvalid,
      'The response names no user (userHandle): sign-in needs a discoverable passkey.',
    );
  }
  if (userHandle !== undefined && userHandle !== stored.userHandle) throw notTheirs();

  const requireUserVerification = config.userVerification === 'required';
  const { authenticatorData } = response.response;
  if (requireUserVerification && !userVerifiedIn(() => isoBase64URL.toBuffer(authenticatorData))) {
    throw new LatchkeyError(
      ErrorCodes.passkeyUserVerificationRequired,
      'The authenticator did not verify the user (PIN or biometrics), which this app requires.',
    );
  }

  const verification = await verdictOf(
    () =>
      verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: [...config.origins],
        expectedRPID: config.rpID,
        requireUserVerification,
        // SimpleWebAuthn compares counters before it checks the signature. Given 0 it skips that,
        // and recordUse below applies the same rule after the signature verified: a regression is
        // only ever reported for a genuine assertion, never for a forged one naming the passkey.
        credential: {
          id: stored.id,
          publicKey: Uint8Array.from(stored.publicKey),
          counter: 0,
          transports: stored.transports,
        },
      }),
    'The passkey assertion did not verify.',
  );

  const info = verification.authenticationInfo;
  const used = await config.credentials.recordUse(stored.id, {
    counter: info.newCounter,
    backedUp: info.credentialBackedUp,
    usedAt: config.now(),
  });
  if (used === undefined) {
    throw new LatchkeyError(
      ErrorCodes.passkeyNotFound,
      'This passkey was removed while it was in use.',
    );
  }
  if (used === 'regressed') {
    throw new LatchkeyError(
      ErrorCodes.passkeyCounterRegressed,
      "The passkey's signature counter went backwards: the authenticator may have been cloned. Use another way to sign in.",
    );
  }
  const synced = info.credentialDeviceType === 'multiDevice' || info.credentialBackedUp;
  const amr: PasskeyAmr[] = [synced ? 'swk' : 'hwk'];
  if (info.userVerified) amr.push('user');
  return { sub: used.sub, credential: used, amr };
}
