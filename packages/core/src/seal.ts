import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { EncryptJWT, type JWTPayload, jwtDecrypt } from 'jose';

/**
 * What a derived key is for: a key for one purpose never opens data sealed for another. `store`
 * seals session records kept in a store and `store-key` names them there (see
 * {@link Keyring.tags}); `passkey` and `passkey-key` do the same for `@latchkey/passkeys`' records.
 */
export type KeyPurpose =
  | 'session'
  | 'transaction'
  | 'store'
  | 'store-key'
  | 'passkey'
  | 'passkey-key';

/**
 * Version of the sealed payload format: `{ v: 2, data }`, the value apart from the JWT's own
 * claims. Version 1 spread the value into the claims; it is still read, so cookies sealed by
 * earlier releases stay valid. Later releases keep reading older versions.
 */
export const SEAL_FORMAT_VERSION = 2;

/** Version of the key derivation (the HKDF info); unchanged since payload format 1. */
const KEY_VERSION = 1;

/** A value opened by {@link Keyring.unseal}, and when its seal expires (epoch seconds). */
export interface Unsealed<T> {
  /** The value that was sealed. */
  value: T;
  /** When its seal expires, epoch seconds. */
  expiresAt: number;
}

/** The sealed value of a payload of a format this release reads, else undefined. */
function sealedValue(payload: JWTPayload): unknown {
  if (payload.v === SEAL_FORMAT_VERSION) return payload.data;
  if (payload.v !== 1) return undefined;
  // Format 1: the value's fields were the claims, beside `v` and `exp`.
  const { v: _v, exp: _exp, ...value } = payload;
  return value;
}

interface DerivedKey {
  kid: string;
  key: Uint8Array;
  /**
   * The same key imported once for AES-GCM: jose would import raw bytes again on every seal and
   * unseal (tens of µs each; bench: the session rows, sealing and unsealing).
   */
  aes: Promise<CryptoKey>;
}

/**
 * Per-purpose keys derived (HKDF-SHA256) from an app's secrets: the first secret seals and names,
 * every one unseals and is tried when looking a name up, so secrets can be rotated. latchkey's own
 * sealing; exported for `@latchkey/passkeys`, which seals its records with the same secrets.
 */
export class Keyring {
  private readonly keys: Map<KeyPurpose, DerivedKey[]> = new Map();

  constructor(private readonly secrets: readonly string[]) {}

  /** Keys for one purpose, sealing key first. */
  private forPurpose(purpose: KeyPurpose): DerivedKey[] {
    let keys = this.keys.get(purpose);
    if (!keys) {
      keys = this.secrets.map((secret) => {
        // RFC 5869 HKDF-SHA256, one info string per purpose and format version.
        const key = new Uint8Array(
          hkdfSync('sha256', secret, 'latchkey', `latchkey ${purpose} v${KEY_VERSION}`, 32),
        );
        const kid = createHash('sha256').update(key).digest('base64url').slice(0, 12);
        const aes = crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
        return { kid, key, aes };
      });
      this.keys.set(purpose, keys);
    }
    return keys;
  }

  /**
   * HMAC-SHA256 of `value` under each secret's key for `purpose`, base64url, the sealing secret's
   * first: a name for `value` that tells nothing about it to whoever lacks the secrets.
   */
  tags(purpose: KeyPurpose, value: string): string[] {
    return this.forPurpose(purpose).map(({ key }) =>
      createHmac('sha256', key).update(value).digest('base64url'),
    );
  }

  /** Encrypts `value` as a JWE (`dir` + `A256GCM`) that expires at `expiresAt` (epoch seconds). */
  async seal(purpose: KeyPurpose, value: unknown, expiresAt: number): Promise<string> {
    const [current] = this.forPurpose(purpose);
    return new EncryptJWT({ v: SEAL_FORMAT_VERSION, data: value })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current!.kid })
      .setExpirationTime(expiresAt)
      .encrypt(await current!.aes);
  }

  /**
   * Decrypts a value sealed by {@link seal} for the same purpose. Returns `null` when it was
   * tampered with, truncated, sealed with an unknown secret or for another purpose, has an unknown
   * format version, or has expired at `now` (epoch seconds).
   */
  async unseal<T>(purpose: KeyPurpose, jwe: string, now: number): Promise<Unsealed<T> | null> {
    const keys = this.forPurpose(purpose);
    try {
      const { payload } = await jwtDecrypt(
        jwe,
        (header) => {
          const match = keys.find((candidate) => candidate.kid === header.kid);
          // Thrown and caught below: a value sealed with no key of ours opens to nothing.
          if (!match) throw new Error();
          return match.aes;
        },
        {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          currentDate: new Date(now * 1000),
          requiredClaims: ['exp'],
        },
      );
      const value = sealedValue(payload);
      return value === undefined ? null : { value: value as T, expiresAt: payload.exp! };
    } catch {
      return null;
    }
  }
}
