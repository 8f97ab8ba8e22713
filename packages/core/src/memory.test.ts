import { describe, expect, it } from 'vitest';
import { MemoryReplayCache, MemoryRevocationList, MemorySessionStore } from './memory';

// A fake clock: these stores expire entries by time.
function clock() {
  let now = 1_800_000_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const session = (sub: string, idpSid?: string) => ({ sub, idpSid, data: { sid: sub } });

describe('MemorySessionStore', () => {
  it('expires sessions after their TTL, counted from their last set', async () => {
    const time = clock();
    const store = new MemorySessionStore({ now: time.now });
    await store.set('a', session('alice'), 60);
    time.advance(59_000);
    await store.set('a', session('alice'), 60);
    time.advance(59_000);
    expect(await store.get('a')).toMatchObject({ sub: 'alice' });
    time.advance(2_000);
    expect(await store.get('a')).toBeUndefined();
  });

  it('ends exactly the sessions of a user or an IdP session', async () => {
    const store = new MemorySessionStore();
    await store.set('a1', session('alice', 'sid-1'), 60);
    await store.set('a2', session('alice', 'sid-2'), 60);
    await store.set('b1', session('bob', 'sid-3'), 60);
    expect(await store.destroyBy({ idpSid: 'sid-1' })).toBe(1);
    expect(await store.get('a1')).toBeUndefined();
    expect(await store.get('a2')).toBeDefined();
    expect(await store.destroyBy({ sub: 'alice' })).toBe(1);
    expect(await store.get('b1')).toBeDefined();
  });

  it('ignores a late set of a destroyed session, so a refresh cannot bring it back', async () => {
    const store = new MemorySessionStore();
    await store.set('a', session('alice'), 60);
    await store.destroy('a');
    await store.set('a', session('alice'), 60);
    expect(await store.get('a')).toBeUndefined();
  });

  it('stays within maxEntries, dropping the oldest', async () => {
    const store = new MemorySessionStore({ maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) await store.set(id, session(id), 60);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('c')).toBeDefined();
  });

  it('grants a lock to one holder at a time until released or expired', async () => {
    const time = clock();
    const store = new MemorySessionStore({ now: time.now });
    const release = await store.lock('refresh:a', 1000);
    expect(release).toBeTypeOf('function');
    expect(await store.lock('refresh:a', 1000)).toBeUndefined();
    await release!();
    const again = await store.lock('refresh:a', 1000);
    expect(again).toBeTypeOf('function');
    time.advance(1001);
    expect(await store.lock('refresh:a', 1000)).toBeTypeOf('function');
  });

  it('expires an entry at the very millisecond its TTL ends', async () => {
    const time = clock();
    const store = new MemorySessionStore({ now: time.now });
    await store.set('a', session('alice'), 1);
    time.advance(999);
    expect(await store.get('a')).toBeDefined();
    time.advance(1);
    expect(await store.get('a')).toBeUndefined();
  });

  it('counts and ends only live sessions when ending a user', async () => {
    const time = clock();
    const store = new MemorySessionStore({ now: time.now });
    await store.set('old', session('alice'), 1);
    await store.set('live', session('alice'), 60);
    time.advance(2000);
    expect(await store.destroyBy({ sub: 'alice' })).toBe(1);
  });

  it("keeps a new holder's lock when an expired holder releases late", async () => {
    const time = clock();
    const store = new MemorySessionStore({ now: time.now });
    const late = await store.lock('refresh:a', 1000);
    time.advance(1001);
    const current = await store.lock('refresh:a', 1000);
    expect(current).toBeTypeOf('function');
    await late!();
    expect(await store.lock('refresh:a', 1000)).toBeUndefined();
  });

  it('detects a replayed key, and forgets one when asked', async () => {
    const store = new MemorySessionStore();
    expect(await store.markSeen('jti:1', 60)).toBe(true);
    expect(await store.markSeen('jti:1', 60)).toBe(false);
    await store.forgetSeen('jti:1');
    expect(await store.markSeen('jti:1', 60)).toBe(true);
    expect(await store.markSeen('jti:1', 60)).toBe(false);
  });
});

describe('MemoryRevocationList', () => {
  it('detects a replayed key, and forgets one when asked', async () => {
    const list = new MemoryRevocationList();
    expect(await list.markSeen('jti:1', 60)).toBe(true);
    expect(await list.markSeen('jti:1', 60)).toBe(false);
    await list.forgetSeen('jti:1');
    expect(await list.markSeen('jti:1', 60)).toBe(true);
  });

  it('revokes sessions created at or before revokedAt only, until the entry expires', async () => {
    const time = clock();
    const list = new MemoryRevocationList({ now: time.now });
    const revokedAt = time.now();
    await list.revoke({ sub: 'alice' }, revokedAt, 60);
    const subject = { sessionId: 's', sub: 'alice', idpSid: undefined };
    expect(await list.isRevoked({ ...subject, createdAt: revokedAt - 1 })).toBe(true);
    expect(await list.isRevoked({ ...subject, createdAt: revokedAt + 1 })).toBe(false);
    expect(await list.isRevoked({ ...subject, sub: 'bob', createdAt: revokedAt - 1 })).toBe(false);
    time.advance(61_000);
    expect(await list.isRevoked({ ...subject, createdAt: revokedAt - 1 })).toBe(false);
  });

  it('remembers revocations of a user and of an IdP session for their whole TTL, in seconds', async () => {
    const time = clock();
    const list = new MemoryRevocationList({ now: time.now });
    const revokedAt = time.now();
    await list.revoke({ sub: 'alice' }, revokedAt, 60);
    await list.revoke({ idpSid: 'idp-1' }, revokedAt, 60);
    time.advance(59_000);
    const alice = { sessionId: 's', sub: 'alice', idpSid: undefined, createdAt: revokedAt };
    expect(list.isRevoked(alice)).toBe(true);
    expect(list.isRevoked({ ...alice, sub: 'bob', idpSid: 'idp-1' })).toBe(true);
    time.advance(1000);
    expect(list.isRevoked(alice)).toBe(false);
    expect(list.isRevoked({ ...alice, sub: 'bob', idpSid: 'idp-1' })).toBe(false);
  });

  it('revokes a session created in the same millisecond as the revocation', async () => {
    const list = new MemoryRevocationList();
    await list.revoke({ sessionId: 's' }, 1000, 60);
    const subject = { sessionId: 's', sub: 'x', idpSid: undefined };
    expect(list.isRevoked({ ...subject, createdAt: 1000 })).toBe(true);
    expect(list.isRevoked({ ...subject, createdAt: 1001 })).toBe(false);
  });

  it('does not fail closed for an entry that expired at the moment it was evicted', async () => {
    const time = clock();
    const list = new MemoryRevocationList({ now: time.now, maxEntries: 1 });
    const created = time.now() - 1;
    await list.revoke({ sessionId: 'a' }, time.now(), 1);
    time.advance(1000);
    await list.revoke({ sessionId: 'b' }, time.now(), 60);
    expect(
      list.isRevoked({ sessionId: 'x', sub: 'x', idpSid: undefined, createdAt: created }),
    ).toBe(false);
  });

  it('matches by sessionId and by IdP sid', async () => {
    const list = new MemoryRevocationList();
    await list.revoke({ sessionId: 's1' }, Date.now(), 60);
    await list.revoke({ idpSid: 'idp-1' }, Date.now(), 60);
    expect(
      await list.isRevoked({ sessionId: 's1', sub: 'x', idpSid: undefined, createdAt: 0 }),
    ).toBe(true);
    expect(await list.isRevoked({ sessionId: 's2', sub: 'x', idpSid: 'idp-1', createdAt: 0 })).toBe(
      true,
    );
    expect(await list.isRevoked({ sessionId: 's2', sub: 'x', idpSid: 'idp-2', createdAt: 0 })).toBe(
      false,
    );
  });

  it('still refuses a signed-out session after 120,000 newer revocations (default bound 100,000)', async () => {
    const time = clock();
    const list = new MemoryRevocationList({ now: time.now });
    const stolen = { sessionId: 'stolen', sub: 'alice', idpSid: undefined, createdAt: time.now() };
    time.advance(1000);
    await list.revoke({ sessionId: 'stolen' }, time.now(), 3600);
    for (let i = 0; i < 120_000; i++) {
      time.advance(1);
      await list.revoke({ sessionId: `s${i}` }, time.now(), 3600);
    }
    expect(list.isRevoked(stolen)).toBe(true);
    // Past the bound it fails closed for older sessions, and a sign-in after it still works.
    expect(list.isRevoked({ ...stolen, sessionId: 'other', sub: 'bob' })).toBe(true);
    time.advance(1);
    expect(list.isRevoked({ ...stolen, sessionId: 'new', createdAt: time.now() })).toBe(false);
  });

  it('forgets expired revocations without revoking anything else', async () => {
    const time = clock();
    const list = new MemoryRevocationList({ now: time.now, maxEntries: 2 });
    await list.revoke({ sessionId: 'a' }, time.now(), 1);
    time.advance(2000);
    await list.revoke({ sessionId: 'b' }, time.now(), 60);
    await list.revoke({ sessionId: 'c' }, time.now(), 60);
    const created = time.now() - 5000;
    expect(
      list.isRevoked({ sessionId: 'x', sub: 'x', idpSid: undefined, createdAt: created }),
    ).toBe(false);
    expect(
      list.isRevoked({ sessionId: 'b', sub: 'x', idpSid: undefined, createdAt: created }),
    ).toBe(true);
  });
});

describe('MemoryReplayCache', () => {
  it('refuses new values while it is full of live ones, rather than forget one', async () => {
    let now = 0;
    const cache = new MemoryReplayCache({ maxEntries: 2, now: () => now });
    expect(await cache.markSeen('a', 60)).toBe(true);
    expect(await cache.markSeen('a', 60)).toBe(false);
    expect(await cache.markSeen('b', 60)).toBe(true);
    expect(await cache.markSeen('c', 60)).toBe(false);
    now = 60_000;
    expect(await cache.markSeen('c', 60)).toBe(true);
    expect(await cache.markSeen('a', 60)).toBe(true);
  });
});
