import { createHash, hkdfSync } from 'node:crypto';
import { EncryptJWT, type JWTPayload, jwtDecrypt } from 'jose';

/** What a derived key is for: a key for one purpose never opens data sealed for another. */
export type KeyPurpose = 'session' | 'transaction' | 'revocation';

/** Version of the sealed payload format; later releases keep reading older versions. */
export const SEAL_FORMAT_VERSION = 1;

interface DerivedKey {
  kid: string;
  key: Uint8Array;
}

/** Per-purpose keys derived from the configured secrets; the first seals, all unseal. */
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
          hkdfSync('sha256', secret, 'latchkey', `latchkey ${purpose} v${SEAL_FORMAT_VERSION}`, 32),
        );
        const kid = createHash('sha256').update(key).digest('base64url').slice(0, 12);
        return { kid, key };
      });
      this.keys.set(purpose, keys);
    }
    return keys;
  }

  /** Encrypts `payload` as a JWE (`dir` + `A256GCM`) that expires at `expiresAt` (epoch seconds). */
  async seal(purpose: KeyPurpose, payload: JWTPayload, expiresAt: number): Promise<string> {
    const [current] = this.forPurpose(purpose);
    return new EncryptJWT({ ...payload, v: SEAL_FORMAT_VERSION })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current!.kid })
      .setExpirationTime(expiresAt)
      .encrypt(current!.key);
  }

  /**
   * Decrypts a value sealed by {@link seal} for the same purpose. Returns `null` when it was
   * tampered with, truncated, sealed with an unknown secret or for another purpose, has an unknown
   * format version, or has expired at `now` (epoch seconds).
   */
  async unseal<T extends JWTPayload>(
    purpose: KeyPurpose,
    jwe: string,
    now: number,
  ): Promise<T | null> {
    const keys = this.forPurpose(purpose);
    try {
      const { payload } = await jwtDecrypt<T>(
        jwe,
        (header) => {
          const match = keys.find((candidate) => candidate.kid === header.kid);
          // Thrown and caught below: a value sealed with no key of ours opens to nothing.
          if (!match) throw new Error();
          return match.key;
        },
        {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          currentDate: new Date(now * 1000),
          requiredClaims: ['exp'],
        },
      );
      return payload.v === SEAL_FORMAT_VERSION ? payload : null;
    } catch {
      return null;
    }
  }
}
