import { ErrorCodes, LatchkeyError } from '@latchkey/core';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { decodeClientDataJSON, parseAuthenticatorData } from '@simplewebauthn/server/helpers';

/** WebAuthn §7.1: a credential id is at most 1023 bytes. */
const MAX_CREDENTIAL_ID_BYTES = 1023;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** WebAuthn's `AuthenticatorTransport` values (§5.8.4). */
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

const malformed = (what: string): never => {
  throw new LatchkeyError(
    ErrorCodes.invalidRequest,
    `The passkey response is malformed: ${what}. Send the JSON that @simplewebauthn/browser returns.`,
  );
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function base64url(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || !BASE64URL.test(value)) {
    return malformed(`'${field}' must be a base64url string`);
  }
  return value;
}

/** The fields every response shares: the credential id, checked for size, and the type. */
function credentialFields(body: unknown) {
  if (!isObject(body) || !isObject(body.response)) return malformed('expected a credential object');
  const id = base64url(body.id, 'id');
  if (body.rawId !== id) malformed("'rawId' must equal 'id'");
  if (body.type !== 'public-key') malformed("'type' must be 'public-key'");
  // Unpadded base64url of n characters decodes to floor(3n / 4) bytes.
  if (Math.floor((id.length * 3) / 4) > MAX_CREDENTIAL_ID_BYTES) {
    throw new LatchkeyError(
      ErrorCodes.passkeyInvalid,
      `The credential id is longer than ${MAX_CREDENTIAL_ID_BYTES} bytes (WebAuthn's limit).`,
    );
  }
  const attachment = body.authenticatorAttachment;
  return {
    id,
    rawId: id,
    type: 'public-key' as const,
    clientExtensionResults: isObject(body.clientExtensionResults)
      ? body.clientExtensionResults
      : {},
    ...(attachment === 'platform' || attachment === 'cross-platform'
      ? { authenticatorAttachment: attachment }
      : {}),
    response: body.response,
  };
}

/**
 * The browser's answer to a registration (`navigator.credentials.create()` as JSON), checked for
 * shape: `invalid_request` when malformed, `passkey_invalid` when its credential id is oversized.
 */
export function registrationResponseOf(body: unknown): RegistrationResponseJSON {
  const { response, ...credential } = credentialFields(body);
  const transports = response.transports ?? [];
  if (!(Array.isArray(transports) && transports.every((t) => typeof t === 'string'))) {
    malformed("'response.transports' must be a list of strings");
  }
  return {
    ...credential,
    response: {
      clientDataJSON: base64url(response.clientDataJSON, 'response.clientDataJSON'),
      attestationObject: base64url(response.attestationObject, 'response.attestationObject'),
      // Stored and sent back in later options: only the known values, each once.
      transports: [...new Set(transports as string[])].filter((t) => TRANSPORTS.has(t)),
    },
  } as RegistrationResponseJSON;
}

/**
 * The browser's answer to an authentication (`navigator.credentials.get()` as JSON), checked for
 * shape: `invalid_request` when malformed, `passkey_invalid` when its credential id is oversized.
 */
export function authenticationResponseOf(body: unknown): AuthenticationResponseJSON {
  const { response, ...credential } = credentialFields(body);
  const { userHandle } = response;
  return {
    ...credential,
    response: {
      clientDataJSON: base64url(response.clientDataJSON, 'response.clientDataJSON'),
      authenticatorData: base64url(response.authenticatorData, 'response.authenticatorData'),
      signature: base64url(response.signature, 'response.signature'),
      // Browsers send null or omit it for a credential that is not discoverable.
      ...(userHandle === undefined || userHandle === null
        ? {}
        : { userHandle: base64url(userHandle, 'response.userHandle') }),
    },
  } as AuthenticationResponseJSON;
}

/** The challenge the browser signed, read from its `clientDataJSON` (SimpleWebAuthn decodes it). */
export function signedChallengeOf(clientDataJSON: string): string {
  let challenge: unknown;
  try {
    challenge = decodeClientDataJSON(clientDataJSON).challenge;
  } catch (cause) {
    throw new LatchkeyError(ErrorCodes.passkeyInvalid, 'The clientDataJSON is not valid JSON.', {
      cause,
    });
  }
  if (typeof challenge !== 'string' || challenge === '' || !BASE64URL.test(challenge)) {
    throw new LatchkeyError(ErrorCodes.passkeyInvalid, 'The clientDataJSON carries no challenge.');
  }
  return challenge;
}

/**
 * SimpleWebAuthn's verdict on a response: both a thrown error (kept as the cause) and
 * `verified: false` fail with `passkey_invalid` and `message`.
 */
export async function verdictOf<T extends { verified: boolean }>(
  verification: () => Promise<T>,
  message: string,
): Promise<T & { verified: true }> {
  let verdict: T;
  try {
    verdict = await verification();
  } catch (cause) {
    throw new LatchkeyError(ErrorCodes.passkeyInvalid, message, { cause });
  }
  if (!verdict.verified) throw new LatchkeyError(ErrorCodes.passkeyInvalid, message);
  return verdict as T & { verified: true };
}

/**
 * Whether the authenticator verified the user: the UV flag of the authenticator data that
 * `authenticatorData` decodes (SimpleWebAuthn parses it), or `passkey_invalid` when it cannot.
 */
export function userVerifiedIn(
  authenticatorData: () => Parameters<typeof parseAuthenticatorData>[0],
): boolean {
  try {
    return parseAuthenticatorData(authenticatorData()).flags.uv;
  } catch (cause) {
    throw new LatchkeyError(
      ErrorCodes.passkeyInvalid,
      'The authenticator data cannot be decoded.',
      {
        cause,
      },
    );
  }
}
