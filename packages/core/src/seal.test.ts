import { createHash, hkdfSync } from 'node:crypto';
import { EncryptJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { Keyring } from './seal';

const oldSecret = 'old-secret-old-secret-old-secret-0001';
const newSecret = 'new-secret-new-secret-new-secret-0002';
const now = 1_800_000_000;

describe('Keyring', () => {
  it('round-trips a payload and stamps the format version', async () => {
    const keys = new Keyring([newSecret]);
    const sealed = await keys.seal('session', { hello: 'world' }, now + 60);
    expect(sealed.split('.')).toHaveLength(5);
    expect(await keys.unseal('session', sealed, now)).toMatchObject({ hello: 'world', v: 1 });
  });

  it('unseals values sealed with an older secret after a new one is put first', async () => {
    const sealed = await new Keyring([oldSecret]).seal('session', { a: 1 }, now + 60);
    expect(await new Keyring([newSecret, oldSecret]).unseal('session', sealed, now)).toMatchObject({
      a: 1,
    });
  });

  it('refuses an unknown secret, another purpose, tampering, truncation and expiry', async () => {
    const keys = new Keyring([newSecret]);
    const sealed = await keys.seal('session', { a: 1 }, now + 60);
    expect(await new Keyring([oldSecret]).unseal('session', sealed, now)).toBeNull();
    expect(await keys.unseal('transaction', sealed, now)).toBeNull();
    const parts = sealed.split('.');
    parts[3] = `${parts[3]!.slice(0, -2)}${parts[3]!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await keys.unseal('session', parts.join('.'), now)).toBeNull();
    expect(await keys.unseal('session', sealed.slice(0, sealed.length - 10), now)).toBeNull();
    expect(await keys.unseal('session', sealed, now + 61)).toBeNull();
    expect(await keys.unseal('session', 'not-a-jwe', now)).toBeNull();
  });

  /** A JWE sealed the way the keyring does (HKDF-SHA256, salt `latchkey`), with any claims. */
  async function sealedBy(secret: string, purpose: string, payload: JWTPayload) {
    const key = new Uint8Array(
      hkdfSync('sha256', secret, 'latchkey', `latchkey ${purpose} v1`, 32),
    );
    const kid = createHash('sha256').update(key).digest('base64url').slice(0, 12);
    return new EncryptJWT(payload)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
      .encrypt(key);
  }

  it('opens what the documented key derivation sealed, and nothing of an unknown format version', async () => {
    const keys = new Keyring([newSecret]);
    const current = await sealedBy(newSecret, 'session', { a: 1, v: 1, exp: now + 60 });
    expect(await keys.unseal('session', current, now)).toMatchObject({ a: 1 });
    const future = await sealedBy(newSecret, 'session', { a: 1, v: 2, exp: now + 60 });
    expect(await keys.unseal('session', future, now)).toBeNull();
    const unversioned = await sealedBy(newSecret, 'session', { a: 1, exp: now + 60 });
    expect(await keys.unseal('session', unversioned, now)).toBeNull();
  });

  it('refuses a sealed value without an expiry', async () => {
    const forever = await sealedBy(newSecret, 'session', { a: 1, v: 1 });
    expect(await new Keyring([newSecret]).unseal('session', forever, now)).toBeNull();
  });

  it('seals with the first secret only, as dir + A256GCM', async () => {
    const sealed = await new Keyring([newSecret, oldSecret]).seal('session', { a: 1 }, now + 60);
    const header = JSON.parse(Buffer.from(sealed.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM' });
    expect(await new Keyring([newSecret]).unseal('session', sealed, now)).not.toBeNull();
    expect(await new Keyring([oldSecret]).unseal('session', sealed, now)).toBeNull();
  });
});
