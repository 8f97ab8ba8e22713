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
});
