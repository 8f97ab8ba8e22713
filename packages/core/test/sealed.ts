import { createHash, hkdfSync } from 'node:crypto';
import { EncryptJWT, type JWTPayload } from 'jose';

/**
 * A JWE sealed the way the keyring documents it (HKDF-SHA256 of the secret, salt `latchkey`,
 * info `latchkey <purpose> v1`; `dir` + `A256GCM`; kid from the key), with exactly these claims:
 * what an earlier release, or a forger who knows the secret, would produce.
 */
export async function sealedBy(
  secret: string,
  purpose: string,
  payload: JWTPayload,
): Promise<string> {
  const key = new Uint8Array(hkdfSync('sha256', secret, 'latchkey', `latchkey ${purpose} v1`, 32));
  const kid = createHash('sha256').update(key).digest('base64url').slice(0, 12);
  return new EncryptJWT(payload)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
    .encrypt(key);
}
