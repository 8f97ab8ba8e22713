import { SoftwareAuthenticator } from '@latchkey/test-utils';
import { describe, expect, it } from 'vitest';
import { failure } from '../test/failure';
import { ORIGIN, setup } from '../test/fixture';
import { defaultPasskeyName, passkeyName } from './credentials';

describe('managing passkeys', () => {
  it('lists the owner’s passkeys without public key, counter or user handle, times in seconds', async () => {
    const { register, signIn, passkeys, clock } = setup();
    const { credential } = await register('alice');
    clock.now += 1500;
    await signIn();
    await register('bob', {}, new SoftwareAuthenticator({ origin: ORIGIN }));
    expect(await passkeys.list('alice')).toEqual([
      {
        id: credential.id,
        name: credential.name,
        createdAt: Math.floor(credential.createdAt / 1000),
        lastUsedAt: Math.floor(clock.now / 1000),
        backedUp: false,
        deviceType: 'singleDevice',
        transports: ['internal', 'hybrid'],
      },
    ]);
  });

  it('renames a passkey of the owner, trimmed', async () => {
    const { register, passkeys } = setup();
    const { credential } = await register('alice');
    await passkeys.rename('alice', credential.id, '  Phone ');
    expect((await passkeys.list('alice'))[0]?.name).toBe('Phone');
  });

  it('answers passkey_not_found when renaming or removing another user’s passkey', async () => {
    const { register, passkeys } = setup();
    const { credential } = await register('alice');
    for (const attempt of [
      () => passkeys.rename('mallory', credential.id, 'Mine'),
      () => passkeys.remove('mallory', credential.id),
      () => passkeys.remove('alice', 'no-such-id'),
    ]) {
      expect(await failure(attempt())).toMatchObject({ code: 'passkey_not_found', status: 404 });
    }
    expect(await passkeys.list('alice')).toHaveLength(1);
  });

  it('removes a passkey of the owner', async () => {
    const { register, passkeys } = setup();
    const { credential } = await register('alice');
    await passkeys.remove('alice', credential.id);
    expect(await passkeys.list('alice')).toEqual([]);
  });

  it('keeps the profile until the user is forgotten', async () => {
    const { register, passkeys } = setup();
    await register('alice');
    expect(await passkeys.profileOf('alice')).toMatchObject({ email: 'alice@example.com' });
    expect(await passkeys.forgetUser('alice')).toBe(1);
    expect(await passkeys.profileOf('alice')).toBeUndefined();
    expect(await passkeys.list('alice')).toEqual([]);
  });
});

describe('passkey names', () => {
  it('default to the kind of passkey and the day', () => {
    expect(defaultPasskeyName('multiDevice', Date.UTC(2025, 0, 31, 23))).toBe(
      'Synced passkey, 2025-01-31',
    );
    expect(defaultPasskeyName('singleDevice', 0)).toBe('Device-bound passkey, 1970-01-01');
  });

  it('are 1 to 64 characters without control characters (invalid_request)', () => {
    expect(passkeyName(' Laptop ')).toBe('Laptop');
    expect(passkeyName('🔑'.repeat(64))).toBe('🔑'.repeat(64));
    for (const bad of ['', '   ', 'a'.repeat(65), 'line\nbreak', 'nul\u0000', 42, null]) {
      expect(() => passkeyName(bad)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });
});
