import { inspect } from 'node:util';
import type { StoredSession } from '@latchkey/core';
import { redisUrlForTests, startRedisCluster } from '@latchkey/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClient, RedisSessionStore, RedisUnavailableError } from '../src/index';
import {
  adminClient,
  clusterTarget,
  deleteKeysUnder,
  keysUnder,
  layout,
  type RedisTarget,
  sleep,
  standaloneTarget,
  uniquePrefix,
} from './support';

const url = await redisUrlForTests();
// Three masters of the file's own; every test of what a store does runs on it too.
const cluster = await startRedisCluster();
afterAll(() => cluster?.stop());

const session = (
  sub: string,
  idpSid?: string,
  extra: Record<string, unknown> = {},
): StoredSession =>
  idpSid === undefined
    ? { sub, data: { sid: 'x', rt: 'refresh-token', ...extra } }
    : { sub, idpSid, data: { sid: 'x', rt: 'refresh-token', ...extra } };

describe.skipIf(!url)('RedisSessionStore on a shared Redis', () =>
  storeTests(standaloneTarget(url!)),
);
describe.skipIf(!cluster)('RedisSessionStore on a Redis Cluster', () =>
  storeTests(clusterTarget(cluster!.nodes)),
);

/** `target`'s store under `prefix`, and how to close it (and its client). */
function storeOn(target: RedisTarget, prefix: string) {
  const { options, release } = target.connect();
  const store = new RedisSessionStore({ ...options, prefix });
  return { store, quit: () => store.close().then(release) };
}

/** What a store does, the same on a standalone Redis and on a cluster. */
function storeTests(target: RedisTarget): void {
  const prefix = uniquePrefix('store');
  const keys = layout(prefix);
  let admin: RedisClient;
  let store: RedisSessionStore;
  let quit: () => Promise<unknown>;
  let counter = 0;
  /** A fresh session id for each test. */
  const newId = () => `session-${++counter}`;

  beforeAll(() => {
    admin = target.admin();
    ({ store, quit } = storeOn(target, prefix));
  });
  afterAll(async () => {
    await quit?.();
    if (admin) {
      await deleteKeysUnder(admin, prefix);
      await admin.quit();
    }
  });

  it('stores, reads and ends a session, with the given TTL', async () => {
    const id = newId();
    expect(await store.get(id)).toBeUndefined();
    const value = session('alice', 'idp-1', { nested: { list: [1, 'two', null], flag: true } });
    await store.set(id, value, 120);
    expect(await store.get(id)).toEqual(value);
    const pttl = await admin.pttl(keys.session(id));
    expect(pttl).toBeGreaterThan(118_000);
    expect(pttl).toBeLessThanOrEqual(120_000);
    await store.destroy(id);
    expect(await store.get(id)).toBeUndefined();
    await store.destroy(id); // ending it twice is fine
  });

  it('keeps a session without idpSid without one', async () => {
    const id = newId();
    await store.set(id, session('bob'), 60);
    const read = await store.get(id);
    expect(read).toEqual(session('bob'));
    expect(read).not.toHaveProperty('idpSid');
  });

  it('stores JSON under the prefixed key and indexes by sub and idpSid, with TTLs', async () => {
    const id = newId();
    await store.set(id, session('carol', 'idp-carol'), 300);
    expect(JSON.parse((await admin.get(keys.session(id)))!)).toEqual(session('carol', 'idp-carol'));
    // Each index entry is scored by when its session expires (epoch ms).
    const expires = Date.now() + 300_000;
    for (const index of [keys.bySub('carol'), keys.bySid('idp-carol')]) {
      expect(Number(await admin.zscore(index, id))).toBeGreaterThan(expires - 5_000);
      expect(Number(await admin.zscore(index, id))).toBeLessThan(expires + 5_000);
      expect(await admin.ttl(index)).toBeGreaterThanOrEqual(299);
    }
    // A shorter session does not shorten the index.
    await store.set(newId(), session('carol'), 10);
    expect(await admin.ttl(keys.bySub('carol'))).toBeGreaterThanOrEqual(299);
  });

  it('expires a session after its TTL', async () => {
    const id = newId();
    await store.set(id, session('dave'), 1);
    expect(await store.get(id)).toBeDefined();
    await sleep(1100);
    expect(await store.get(id)).toBeUndefined();
  });

  it('rounds fractional TTLs up and refuses invalid ones', async () => {
    const id = newId();
    await store.set(id, session('frank'), 1.2);
    expect(await admin.pttl(keys.session(id))).toBeGreaterThan(1000);
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.set(newId(), session('frank'), ttl)).rejects.toThrow(RangeError);
      await expect(store.markSeen('k', ttl)).rejects.toThrow(RangeError);
      await expect(store.lock('k', ttl)).rejects.toThrow(RangeError);
    }
  });

  it('destroy removes the session from its indexes', async () => {
    const keep = newId();
    const end = newId();
    await store.set(keep, session('gina', 'idp-gina'), 60);
    await store.set(end, session('gina', 'idp-gina'), 60);
    await store.destroy(end);
    expect(await admin.zrange(keys.bySub('gina'), 0, -1)).toEqual([keep]);
    expect(await admin.zrange(keys.bySid('idp-gina'), 0, -1)).toEqual([keep]);
  });

  it('destroyBy({ sub }) ends exactly that user’s sessions and cleans both indexes', async () => {
    const mine = [newId(), newId(), newId()];
    const other = newId();
    await store.set(mine[0]!, session('henry', 'idp-h1'), 60);
    await store.set(mine[1]!, session('henry', 'idp-h1'), 60);
    await store.set(mine[2]!, session('henry', 'idp-h2'), 60);
    await store.set(other, session('henrietta', 'idp-h1'), 60); // shares an IdP session id
    expect(await store.destroyBy({ sub: 'henry' })).toBe(3);
    for (const id of mine) expect(await store.get(id)).toBeUndefined();
    expect(await store.get(other)).toEqual(session('henrietta', 'idp-h1'));
    expect(await admin.exists(keys.bySub('henry'))).toBe(0);
    expect(await admin.zrange(keys.bySid('idp-h1'), 0, -1)).toEqual([other]);
    expect(await admin.exists(keys.bySid('idp-h2'))).toBe(0);
    expect(await store.destroyBy({ sub: 'henry' })).toBe(0);
    expect(await store.destroyBy({ sub: 'nobody' })).toBe(0);
  });

  it('destroyBy({ idpSid }) ends exactly the sessions of that IdP session', async () => {
    const a = [newId(), newId()];
    const b = newId();
    await store.set(a[0]!, session('iris', 'idp-i1'), 60);
    await store.set(a[1]!, session('iris', 'idp-i1'), 60);
    await store.set(b, session('iris', 'idp-i2'), 60);
    expect(await store.destroyBy({ idpSid: 'idp-i1' })).toBe(2);
    for (const id of a) expect(await store.get(id)).toBeUndefined();
    expect(await store.get(b)).toBeDefined();
    expect(await admin.zrange(keys.bySub('iris'), 0, -1)).toEqual([b]);
    expect(await admin.exists(keys.bySid('idp-i1'))).toBe(0);
  });

  it('does not count sessions that already expired', async () => {
    const live = newId();
    const gone = newId();
    await store.set(live, session('jack'), 60);
    await store.set(gone, session('jack'), 60);
    await admin.del(keys.session(gone)); // as if it had expired
    expect(await store.destroyBy({ sub: 'jack' })).toBe(1);
  });

  it('a session created after destroyBy survives, even when sent right behind it', async () => {
    const old = newId();
    const fresh = newId();
    await store.set(old, session('kate'), 60);
    const [ended] = await Promise.all([
      store.destroyBy({ sub: 'kate' }),
      store.set(fresh, session('kate'), 60),
    ]);
    expect(ended).toBe(1);
    expect(await store.get(old)).toBeUndefined();
    expect(await store.get(fresh)).toEqual(session('kate'));
    expect(await admin.zrange(keys.bySub('kate'), 0, -1)).toEqual([fresh]);
  });

  it('an ended session stays ended: a late set of it (an in-flight refresh) is ignored', async () => {
    const byUser = newId();
    const single = newId();
    await store.set(byUser, session('liam', 'idp-liam'), 60);
    await store.set(single, session('liam'), 60);
    await store.destroyBy({ sub: 'liam' });
    await store.set(byUser, session('liam', 'idp-liam', { rt: 'rotated' }), 60);
    await store.set(single, session('liam', undefined, { rt: 'rotated' }), 60);
    expect(await store.get(byUser)).toBeUndefined();
    expect(await store.get(single)).toBeUndefined();
    expect(await store.destroyBy({ sub: 'liam' })).toBe(0);
    // The marker lives as long as the session would have, no longer.
    const markerTtl = await admin.pttl(keys.ended(byUser));
    expect(markerTtl).toBeGreaterThan(50_000);
    expect(markerTtl).toBeLessThanOrEqual(60_000);
  });

  it('moves a replaced session to its new user’s index', async () => {
    const id = newId();
    await store.set(id, session('mia', 'idp-mia'), 60);
    await store.set(id, session('noah', 'idp-noah'), 60);
    expect(await admin.exists(keys.bySub('mia'))).toBe(0);
    expect(await admin.exists(keys.bySid('idp-mia'))).toBe(0);
    expect(await store.destroyBy({ sub: 'mia' })).toBe(0);
    expect(await store.destroyBy({ sub: 'noah' })).toBe(1);
  });

  it('drops the index entries of sessions that expired on their own, at the next sign-in', async () => {
    const stale = Array.from({ length: 10 }, newId);
    for (const id of stale) await store.set(id, session('olga'), 1);
    const live = newId();
    await store.set(live, session('olga'), 60);
    await sleep(1100);
    const next = newId();
    await store.set(next, session('olga'), 60);
    expect((await admin.zrange(keys.bySub('olga'), 0, -1)).sort()).toEqual([live, next].sort());
  });

  it('a session indexed before destroyBy but written after it stays ended', async () => {
    const late = newId();
    // The index has the id (its set got that far) but the session is not written yet.
    await admin.zadd(keys.bySub('pablo'), Date.now() + 60_000, late);
    expect(await store.destroyBy({ sub: 'pablo' })).toBe(0);
    await store.set(late, session('pablo'), 60);
    expect(await store.get(late)).toBeUndefined();
  });

  it('reads a malformed value as no session', async () => {
    for (const [id, raw] of [
      ['bad-json', '{not json'],
      ['bad-shape', JSON.stringify({ sub: 1, data: {} })],
      ['bad-data', JSON.stringify({ sub: 'x', data: [] })],
      ['bad-sid', JSON.stringify({ sub: 'x', idpSid: 3, data: {} })],
    ] as const) {
      await admin.set(keys.session(id), raw, 'EX', 60);
      expect(await store.get(id)).toBeUndefined();
    }
  });

  it('refuses malformed input before reaching Redis', async () => {
    await expect(store.set('id', { sub: 3 } as never, 60)).rejects.toThrow(TypeError);
    await expect(store.set('id', { sub: 'x', data: {}, idpSid: 5 } as never, 60)).rejects.toThrow(
      TypeError,
    );
    await expect(store.destroyBy({} as never)).rejects.toThrow(TypeError);
    await expect(store.get(undefined as never)).rejects.toThrow(TypeError);
  });

  it('rejects a refused command without the command’s data in the error or its cause', async () => {
    await admin.set(keys.bySub('wrong-type'), 'not a sorted set', 'EX', 60);
    const value = session('wrong-type', undefined, { rt: 'secret-refresh-token' });
    const error = await store.set(newId(), value, 60).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toBe(
      'Redis is unavailable (server replied WRONGTYPE); try again shortly.',
    );
    expect((error as Error).cause).toMatchObject({ name: 'ReplyError', message: 'WRONGTYPE' });
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain('secret-refresh-token');
  });

  it('lock is exclusive, released only by its holder, and expires', async () => {
    const release = await store.lock('refresh:a', 5_000);
    expect(release).toBeTypeOf('function');
    expect(await store.lock('refresh:a', 5_000)).toBeUndefined();
    expect(await store.lock('refresh:b', 5_000)).toBeTypeOf('function'); // other keys are free
    const pttl = await admin.pttl(`${prefix}lock:refresh:a`);
    expect(pttl).toBeGreaterThan(4_000);
    await release!();
    await release!(); // releasing twice is harmless
    const again = await store.lock('refresh:a', 5_000);
    expect(again).toBeTypeOf('function');
    await again!();

    // A holder whose lock expired cannot release the next holder's lock.
    const late = await store.lock('refresh:c', 100);
    await sleep(150);
    const next = await store.lock('refresh:c', 5_000);
    expect(next).toBeTypeOf('function');
    await late!();
    expect(await store.lock('refresh:c', 5_000)).toBeUndefined();
    await next!();
  });

  it('lock is exclusive under contention', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () => store.lock('contended', 5_000)),
    );
    const winners = attempts.filter((release) => release !== undefined);
    expect(winners).toHaveLength(1);
    await winners[0]!();
  });

  it('markSeen detects a replay and forgets after the TTL', async () => {
    expect(await store.markSeen('jti-1', 60)).toBe(true);
    expect(await store.markSeen('jti-1', 60)).toBe(false);
    expect(await store.markSeen('jti-2', 60)).toBe(true);
    expect(await admin.ttl(`${prefix}seen:jti-1`)).toBeGreaterThan(58);
    const both = await Promise.all([store.markSeen('jti-3', 60), store.markSeen('jti-3', 60)]);
    expect(both.sort()).toEqual([false, true]);
    expect(await store.markSeen('jti-short', 1)).toBe(true);
    await sleep(1100);
    expect(await store.markSeen('jti-short', 1)).toBe(true);
  });

  it('forgetSeen deletes the key, so the value counts as not seen again', async () => {
    expect(await store.markSeen('jti-f', 60)).toBe(true);
    await store.forgetSeen('jti-f');
    expect(await admin.exists(`${prefix}seen:jti-f`)).toBe(0);
    expect(await store.markSeen('jti-f', 60)).toBe(true);
    expect(await store.markSeen('jti-f', 60)).toBe(false);
    await expect(store.forgetSeen(7 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('keeps stores with different prefixes apart', async () => {
    const otherPrefix = uniquePrefix('other');
    const { store: other, quit: quitOther } = storeOn(target, otherPrefix);
    try {
      await store.set('shared-id', session('pia', 'idp-pia'), 60);
      expect(await other.get('shared-id')).toBeUndefined();
      expect(await other.destroyBy({ sub: 'pia' })).toBe(0);
      expect(await other.destroyBy({ idpSid: 'idp-pia' })).toBe(0);
      expect(await store.get('shared-id')).toBeDefined();
      expect(await store.markSeen('jti-p', 60)).toBe(true);
      expect(await other.markSeen('jti-p', 60)).toBe(true);
      const release = await store.lock('l', 5_000);
      expect(await other.lock('l', 5_000)).toBeTypeOf('function');
      await release!();
      await other.set('only-other', session('pia'), 60);
      expect(await keysUnder(admin, otherPrefix)).toEqual([
        `${otherPrefix}by-sub:pia`,
        `${otherPrefix}lock:l`,
        `${otherPrefix}seen:jti-p`,
        `${otherPrefix}session:{only-other}`,
      ]);
    } finally {
      await quitOther();
      await deleteKeysUnder(admin, otherPrefix);
    }
  });
}

describe.skipIf(!url)('RedisSessionStore and its client, on a shared Redis', () => {
  const prefix = uniquePrefix('client');
  let admin: Redis;
  let store: RedisSessionStore;
  beforeAll(() => {
    admin = adminClient(url!);
    store = new RedisSessionStore({ url: url!, prefix });
  });
  afterAll(async () => {
    await store?.close();
    if (admin) {
      await deleteKeysUnder(admin, prefix);
      await admin.quit();
    }
  });

  it('uses the default prefix latchkey:', async () => {
    const plain = new RedisSessionStore({ url: url! });
    const defaults = layout('latchkey:');
    const unique = uniquePrefix('default'); // keeps this test's keys apart from anyone else's
    const [id, sub] = [`${unique}id`, `${unique}user`];
    try {
      await plain.set(id, session(sub), 60);
      expect(await admin.exists(defaults.session(id), defaults.bySub(sub))).toBe(2);
    } finally {
      await plain.destroyBy({ sub });
      await admin.del(defaults.ended(id));
      await plain.close();
    }
    expect(await keysUnder(admin, `latchkey:session:{${unique}`)).toEqual([]);
  });

  it('works with a client you own, leaving it connected and its listeners as they were', async () => {
    const client = new Redis(url!, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const onError = () => {};
    client.on('error', onError);
    const mine = new RedisSessionStore({ client, prefix });
    expect(mine.client).toBe(client);
    await mine.set('own-client', session('rosa'), 60);
    expect(await store.get('own-client')).toEqual(session('rosa'));
    expect(client.listeners('error')).toEqual([onError]);
    await mine.close();
    await expect(mine.get('own-client')).rejects.toThrow(/Redis is unavailable/);
    expect(await client.ping()).toBe('PONG');
    expect(client.listenerCount('ready')).toBe(0);
    await client.quit();
  });

  it('adds an error listener to a client of yours that has none, and removes it on close', async () => {
    const client = new Redis(url!, { lazyConnect: true, enableOfflineQueue: false });
    const mine = new RedisSessionStore({ client, prefix });
    expect(client.listenerCount('error')).toBe(1);
    // A lazy client connects on first use; the call waits for the connection.
    expect(await mine.get('nothing')).toBeUndefined();
    await mine.close();
    expect(client.listenerCount('error')).toBe(0);
    await client.quit();
  });

  it('waits for the first connection instead of failing the first call', async () => {
    const fresh = new RedisSessionStore({ url: url!, prefix });
    try {
      expect(fresh.client.status).not.toBe('ready');
      expect(await fresh.get('nothing')).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });

  it('rejects with RedisUnavailableError after close', async () => {
    const closed = new RedisSessionStore({ url: url!, prefix });
    await closed.close();
    await closed.close();
    const error = await closed.get('x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).name).toBe('RedisUnavailableError');
    expect((error as Error).message).toBe(
      'Redis is unavailable (the store was closed); try again shortly.',
    );
  });

  it('needs exactly one of url and client, and no ioredis keyPrefix', () => {
    expect(() => new RedisSessionStore({})).toThrow(/needs `url`/);
    expect(() => new RedisSessionStore({ url: undefined })).toThrow(/needs `url`/);
    expect(
      () => new RedisSessionStore({ url: url!, client: new Redis({ lazyConnect: true }) }),
    ).toThrow(/either/);
    // Keys the scripts derive from stored data would miss an ioredis keyPrefix.
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'app:' });
    expect(() => new RedisSessionStore({ client: prefixed })).toThrow(/keyPrefix/);
    const created = new RedisSessionStore({ url: url!, redisOptions: { keyPrefix: 'app:' } });
    expect(created.client.options.keyPrefix).toBe('');
    return created.close();
  });
});
