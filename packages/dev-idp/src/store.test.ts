import { describe, expect, it, vi } from 'vitest';
import { MemoryStore } from './store';

describe('MemoryStore', () => {
  it('stores per model, finds by session uid, and expires entries', async () => {
    vi.useFakeTimers(); // expiry is checked against a fake clock
    try {
      const store = new MemoryStore();
      const sessions = store.adapterFor('Session');
      const grants = store.adapterFor('Grant');
      await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
      expect(await sessions.find('s1')).toMatchObject({ accountId: 'a' });
      expect(await grants.find('s1')).toBeUndefined();
      expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'a' });
      vi.advanceTimersByTime(61_000);
      expect(await sessions.find('s1')).toBeUndefined();
      expect(await sessions.findByUid('u1')).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('consumes, destroys, and revokes everything issued under a grant', async () => {
    const store = new MemoryStore();
    const codes = store.adapterFor('AuthorizationCode');
    const refreshTokens = store.adapterFor('RefreshToken');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await refreshTokens.upsert('r1', { grantId: 'g1' }, 60);
    await refreshTokens.upsert('r2', { grantId: 'g2' }, 60);
    await codes.consume('c1');
    expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));
    await refreshTokens.revokeByGrantId('g1');
    expect(await codes.find('c1')).toBeUndefined();
    expect(await refreshTokens.find('r1')).toBeUndefined();
    expect(await refreshTokens.find('r2')).toBeDefined();
    await refreshTokens.destroy('r2');
    expect(await refreshTokens.find('r2')).toBeUndefined();
  });

  it('keeps separate dev IdPs apart', async () => {
    await new MemoryStore().adapterFor('Session').upsert('same', { accountId: 'a' }, 60);
    expect(await new MemoryStore().adapterFor('Session').find('same')).toBeUndefined();
  });
});
