import { Keyring } from '@latchkey/core';
import { SoftwareAuthenticator } from '@latchkey/test-utils';
import { describe, expect, it } from 'vitest';
import { ORIGIN, SECRETS, setup } from '../test/fixture';
import { MemoryCredentialStore } from './credential-store';
import { SealedCredentials } from './sealed-credentials';

describe('what the credential store is given', () => {
  it('holds no sub, passkey name or profile claim: HMACs of the sub, the rest sealed', async () => {
    const { stored, credentials, register, passkeys } = setup();
    const { credential } = await register('alice');
    await passkeys.rename('alice', credential.id, "Alice's laptop");
    const raw = (await stored.get(credential.id))!;
    const [tag] = new Keyring(SECRETS).tags('passkey-key', 'alice');
    expect(raw.sub).toBe(tag);
    const everything = JSON.stringify([
      raw,
      await stored.listByUser(tag!),
      await stored.getProfile(tag!),
    ]);
    for (const secret of ['alice', 'Alice', 'laptop', 'example.com']) {
      expect(everything).not.toContain(secret);
    }
    // Through the secrets, it is all there.
    expect(await credentials.get(credential.id)).toMatchObject({
      sub: 'alice',
      name: "Alice's laptop",
    });
    expect(await passkeys.profileOf('alice')).toEqual({
      sub: 'alice',
      name: 'alice',
      email: 'alice@example.com',
    });
    expect(await passkeys.list('alice')).toEqual([expect.objectContaining({ id: credential.id })]);
  });

  it("opens nothing moved to another user: a passkey or a profile copied under bob's name", async () => {
    const { stored, register, signIn, passkeys } = setup();
    const { credential } = await register('alice');
    await register('bob', {}, new SoftwareAuthenticator({ origin: ORIGIN }));
    const [alice, bob] = ['alice', 'bob'].map(
      (sub) => new Keyring(SECRETS).tags('passkey-key', sub)[0]!,
    );
    // The store's owner of alice's passkey is changed to bob, and bob's profile to alice's.
    const raw = (await stored.get(credential.id))!;
    await stored.delete(credential.id, alice!);
    await stored.create({ ...raw, sub: bob! });
    await stored.setProfile(bob!, (await stored.getProfile(alice!))!);
    expect(await passkeys.list('bob')).toHaveLength(1); // bob's own passkey only
    expect(await passkeys.profileOf('bob')).toBeUndefined();
    await expect(signIn()).rejects.toMatchObject({ code: 'passkey_not_found' });
  });

  it("opens nothing grafted: a victim's sealed name and handle on another public key or id", async () => {
    const { stored, register, signIn, credentials } = setup();
    const { credential } = await register('alice');
    const mallory = new SoftwareAuthenticator({ origin: ORIGIN });
    const { credential: own } = await setup().register('mallory', {}, mallory);
    const victim = (await stored.get(credential.id))!;
    // The victim's record with mallory's public key in it.
    await stored.delete(credential.id, victim.sub);
    await stored.create({ ...victim, publicKey: own.publicKey });
    expect(await credentials.get(credential.id)).toBeUndefined();
    await expect(signIn()).rejects.toMatchObject({ code: 'passkey_not_found' });
    // And under mallory's credential id, or with another user handle.
    await stored.create({ ...victim, id: own.id, publicKey: own.publicKey });
    expect(await credentials.get(own.id)).toBeUndefined();
    await stored.delete(credential.id, victim.sub);
    await stored.create({ ...victim, userHandle: 'another-handle' });
    expect(await credentials.get(credential.id)).toBeUndefined();
  });

  it('finds users stored under a secret rotated out of first place, and only with it', async () => {
    const inner = new MemoryCredentialStore();
    const before = new SealedCredentials(inner, new Keyring(SECRETS));
    const handle = await before.userHandleOf('alice', 'handle-1');
    await before.setProfile('alice', { name: 'Alice' });
    const rotated = new SealedCredentials(
      inner,
      new Keyring(['a-new-passkey-secret-a-new-passkey-secret', ...SECRETS]),
    );
    expect(await rotated.userHandleOf('alice', 'handle-2')).toBe(handle);
    expect(await rotated.getProfile('alice')).toEqual({ name: 'Alice' });
    // A new user goes under the new secret.
    expect(await rotated.userHandleOf('carol', 'handle-3')).toBe('handle-3');
    const forgot = new SealedCredentials(
      inner,
      new Keyring(['a-new-passkey-secret-a-new-passkey-secret']),
    );
    expect(await forgot.getProfile('alice')).toBeUndefined();
    expect(await forgot.getProfile('carol')).toBeUndefined(); // no profile stored for carol
    // Forgetting alice forgets her under every secret.
    await rotated.setProfile('carol', { name: 'Carol' });
    await before.setProfile('alice', { name: 'Alice' });
    await rotated.deleteUser('alice');
    expect(await before.getProfile('alice')).toBeUndefined();
    expect(await rotated.getProfile('carol')).toEqual({ name: 'Carol' });
  });
});
