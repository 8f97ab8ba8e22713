import { describe, expect, it } from 'vitest';
import { sealedBy } from '../test/sealed';
import { Keyring } from './seal';

const oldSecret = 'old-secret-old-secret-old-secret-0001';
const newSecret = 'new-secret-new-secret-new-secret-0002';
const now = 1_800_000_000;

describe('Keyring', () => {
  it('round-trips a value apart from the claims, as { v: 2, data }, with its expiry', async () => {
    const keys = new Keyring([newSecret]);
    const sealed = await keys.seal(
      'session',
      { hello: 'world', exp: 'a field, not a claim' },
      now + 60,
    );
    expect(sealed.split('.')).toHaveLength(5);
    expect(await keys.unseal('session', sealed, now)).toEqual({
      value: { hello: 'world', exp: 'a field, not a claim' },
      expiresAt: now + 60,
    });
  });

  it('unseals values sealed with an older secret after a new one is put first', async () => {
    const sealed = await new Keyring([oldSecret]).seal('session', { a: 1 }, now + 60);
    expect(
      (await new Keyring([newSecret, oldSecret]).unseal('session', sealed, now))?.value,
    ).toEqual({
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

  it('opens what the documented key derivation sealed in format 2 and in format 1, nothing else', async () => {
    const keys = new Keyring([newSecret]);
    const current = await sealedBy(newSecret, 'session', { v: 2, data: { a: 1 }, exp: now + 60 });
    expect(await keys.unseal('session', current, now)).toEqual({
      value: { a: 1 },
      expiresAt: now + 60,
    });
    // What earlier releases sealed (the value's fields spread into the claims) still opens.
    const earlier = await sealedBy(newSecret, 'session', { a: 1, sid: 's', v: 1, exp: now + 60 });
    expect(await keys.unseal('session', earlier, now)).toEqual({
      value: { a: 1, sid: 's' },
      expiresAt: now + 60,
    });
    for (const payload of [
      { a: 1, v: 3, exp: now + 60 },
      { v: 2, exp: now + 60 },
      { a: 1, exp: now + 60 },
      { a: 1, v: '1', exp: now + 60 },
    ]) {
      expect(
        await keys.unseal('session', await sealedBy(newSecret, 'session', payload), now),
      ).toBeNull();
    }
  });

  it('refuses a sealed value without an expiry', async () => {
    const forever = await sealedBy(newSecret, 'session', { v: 2, data: { a: 1 } });
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
