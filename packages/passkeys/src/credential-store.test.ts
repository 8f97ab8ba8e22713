import { describe, expect, it } from 'vitest';
import { failure } from '../test/failure';
import { passkey } from '../test/fixture';
import { counterAdvances, MemoryCredentialStore } from './credential-store';

describe('counterAdvances', () => {
  it('accepts a greater counter, and 0 after 0 (synced passkeys), nothing else', () => {
    expect(counterAdvances(0, 0)).toBe(true);
    expect(counterAdvances(0, 1)).toBe(true);
    expect(counterAdvances(5, 6)).toBe(true);
    expect(counterAdvances(5, 5)).toBe(false);
    expect(counterAdvances(5, 4)).toBe(false);
    expect(counterAdvances(5, 0)).toBe(false);
  });
});

describe('MemoryCredentialStore', () => {
  it('creates a credential id once across all users', async () => {
    const store = new MemoryCredentialStore();
    expect(await store.create(passkey('id-1', 'alice'))).toBe(true);
    expect(await store.create(passkey('id-1', 'bob'))).toBe(false);
    expect(await store.get('id-1')).toMatchObject({ sub: 'alice' });
    expect(await store.listByUser('bob')).toEqual([]);
  });

  it('keeps one user handle per sub: the first candidate', async () => {
    const store = new MemoryCredentialStore();
    expect(await store.userHandleOf('alice', 'first')).toBe('first');
    expect(await store.userHandleOf('alice', 'second')).toBe('first');
    expect(await store.userHandleOf('bob', 'other')).toBe('other');
  });

  it('lists a user’s passkeys oldest first', async () => {
    const store = new MemoryCredentialStore();
    await store.create(passkey('new', 'alice', { createdAt: 2000 }));
    await store.create(passkey('old', 'alice', { createdAt: 1000 }));
    await store.create(passkey('bobs', 'bob'));
    expect((await store.listByUser('alice')).map((c) => c.id)).toEqual(['old', 'new']);
  });

  it('records a use only when the counter advances', async () => {
    const store = new MemoryCredentialStore();
    await store.create(passkey('id', 'alice'));
    expect(await store.recordUse('id', { counter: 3, backedUp: true, usedAt: 5 })).toMatchObject({
      counter: 3,
      backedUp: true,
      lastUsedAt: 5,
    });
    expect(await store.recordUse('id', { counter: 3, backedUp: false, usedAt: 6 })).toBe(
      'regressed',
    );
    expect(await store.get('id')).toMatchObject({ counter: 3, backedUp: true, lastUsedAt: 5 });
    expect(
      await store.recordUse('gone', { counter: 1, backedUp: false, usedAt: 6 }),
    ).toBeUndefined();
  });

  it('renames and deletes only the owner’s passkey', async () => {
    const store = new MemoryCredentialStore();
    await store.create(passkey('id', 'alice'));
    expect(await store.rename('id', 'bob', 'Mine now')).toBe(false);
    expect(await store.delete('id', 'bob')).toBe(false);
    expect(await store.rename('id', 'alice', 'Laptop')).toBe(true);
    expect(await store.get('id')).toMatchObject({ name: 'Laptop' });
    expect(await store.delete('id', 'alice')).toBe(true);
    expect(await store.get('id')).toBeUndefined();
    expect(await store.listByUser('alice')).toEqual([]);
  });

  it('forgets a user: passkeys, user handle and profile', async () => {
    const store = new MemoryCredentialStore();
    await store.userHandleOf('alice', 'h1');
    await store.setProfile('alice', { email: 'alice@example.com' });
    await store.create(passkey('a1', 'alice'));
    await store.create(passkey('a2', 'alice'));
    await store.create(passkey('b1', 'bob'));
    expect(await store.deleteUser('alice')).toBe(2);
    expect(await store.get('a1')).toBeUndefined();
    expect(await store.getProfile('alice')).toBeUndefined();
    expect(await store.userHandleOf('alice', 'h2')).toBe('h2');
    expect(await store.get('b1')).toBeDefined();
  });

  it('hands out copies, so a caller cannot change what it keeps', async () => {
    const store = new MemoryCredentialStore();
    const original = passkey('id', 'alice');
    await store.create(original);
    original.counter = 99;
    const read = await store.get('id');
    read!.publicKey[0] = 42;
    const profile = { roles: ['user'] };
    await store.setProfile('alice', profile);
    profile.roles.push('admin');
    expect(await store.get('id')).toMatchObject({
      counter: 0,
      publicKey: new Uint8Array([1, 2, 3]),
    });
    expect(await store.getProfile('alice')).toEqual({ roles: ['user'] });
  });

  it('refuses passkeys and users beyond its bounds rather than forget anyone’s', async () => {
    const store = new MemoryCredentialStore({ maxCredentials: 1, maxUsers: 1 });
    await store.create(passkey('id', 'alice'));
    expect(await failure(store.create(passkey('id-2', 'alice')))).toMatchObject({
      code: 'store_unavailable',
    });
    expect(await failure(store.userHandleOf('bob', 'h'))).toMatchObject({
      code: 'store_unavailable',
    });
    expect(await store.get('id')).toBeDefined();
  });
});
