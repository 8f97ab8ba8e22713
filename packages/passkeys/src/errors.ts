/**
 * The errors of passkey ceremonies: a stable `code` to switch on and the HTTP `status` it answers
 * with, like core's `LatchkeyError`. They live here until core's one status table takes them over;
 * malformed input and bad configuration use core's own `invalid_request` and `config_invalid`.
 */
export const PasskeyErrorCodes = {
  /** The response failed verification: signature, origin, rpID, challenge, format, credential id. */
  invalid: 'passkey_invalid',
  /** The ceremony's challenge is older than its 5 minutes: start the ceremony again. */
  challengeExpired: 'passkey_challenge_expired',
  /** The ceremony's challenge was already used once: start the ceremony again. */
  challengeReplayed: 'passkey_challenge_replayed',
  /** No passkey with this credential id (removed, or never registered here), or none for the user. */
  notFound: 'passkey_not_found',
  /** The passkey is not one this ceremony allows: another user's, or not in `allowCredentials`. */
  notAllowed: 'passkey_not_allowed',
  /** The authenticator's signature counter did not advance: the passkey may have been cloned. */
  counterRegressed: 'passkey_counter_regressed',
  /** The authenticator did not verify the user (PIN, biometrics) and the configuration requires it. */
  userVerificationRequired: 'passkey_user_verification_required',
  /** The credential id is already registered (to this or another user). */
  alreadyRegistered: 'passkey_already_registered',
} as const;

/** One of the stable error codes in {@link PasskeyErrorCodes}. */
export type PasskeyErrorCode = (typeof PasskeyErrorCodes)[keyof typeof PasskeyErrorCodes];

const statusByCode: Record<PasskeyErrorCode, number> = {
  passkey_invalid: 400,
  passkey_challenge_expired: 400,
  passkey_challenge_replayed: 400,
  passkey_not_found: 404,
  passkey_not_allowed: 403,
  passkey_counter_regressed: 403,
  passkey_user_verification_required: 401,
  passkey_already_registered: 409,
};

/** A failed passkey ceremony or passkey operation. */
export class PasskeyError extends Error {
  override readonly name = 'PasskeyError';
  /** Stable, machine-readable code. */
  readonly code: PasskeyErrorCode;
  /** HTTP status this error answers with. */
  readonly status: number;

  /**
   * `cause` is the library error behind a failed verification (SimpleWebAuthn's errors name the
   * check that failed and carry no keys or personal data).
   */
  constructor(code: PasskeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = statusByCode[code];
  }
}

/**
 * True for any {@link PasskeyError}, also across two copies of the package (ESM and CJS) where
 * `instanceof` would fail.
 */
export function isPasskeyError(value: unknown): value is PasskeyError {
  return (
    value instanceof PasskeyError ||
    (value instanceof Error &&
      value.name === 'PasskeyError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { status?: unknown }).status === 'number')
  );
}
