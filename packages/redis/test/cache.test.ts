import type { StoredSession } from '@latchkey/core';
import { redisUrlForTests, startRedisCluster } from '@latchkey/test-utils';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClient, RedisSessionStore, type SessionCacheOptions } from '../src/index';
import { ReadCache } from '../src/read-cache';
import {
  clusterTarget,
  commandsSent,
  deleteKeysUnder,
  layout,
  type RedisTarget,
  sleep,
  standaloneTarget,
  uniquePrefix,
} from './support';

const url = await redisUrlForTests();
const cluster = await startRedisCluster();
afterAll(() => cluster?.stop());

const session = (sub: string, idpSid?: string): StoredSession => ({
  sub,
  ...(idpSid === undefined ? {} : { idpSid }),
  data: { jwe: `sealed-for-${sub}` },
});

/** The masters a client talks to: one for a standalone Redis, each master of a cluster. */
const mastersOf = (client: RedisClient) =>
  client instanceof Cluster ? client.nodes('master') : [client];

describe('RedisSessionStore cache options', () => {
  it.each<[string, unknown, string]>([
    ['a string', 'yes', '`cache` must be true, false or { ttl, maxEntries }'],
    ['a ttl of 0', { ttl: 0 }, 'cache.ttl must be 0.05 to 60 seconds'],
    ['a ttl over a minute', { ttl: 61 }, 'cache.ttl must be 0.05 to 60 seconds'],
    ['no entries', { maxEntries: 0 }, 'cache.maxEntries must be a whole number'],
    ['a fraction of an entry', { maxEntries: 1.5 }, 'cache.maxEntries must be a whole number'],
  ])('refuses %s before connecting', (_, cache, message) => {
    expect(
      () =>
        new RedisSessionStore({
          url: 'redis://127.0.0.1:1',
          cache: cache as SessionCacheOptions,
        }),
    ).toThrow(message);
  });
});

describe.skipIf(!url)('RedisSessionStore cache on a shared Redis', () =>
  cacheTests(standaloneTarget(url!)),
);
describe.skipIf(!cluster)('RedisSessionStore cache on a Redis Cluster', () =>
  cacheTests(clusterTarget(cluster!.nodes)),
);

/** Two instances' stores with caches on one Redis: what each answers, and when it learns. */
function cacheTests(target: RedisTarget): void {
  const prefix = uniquePrefix('cache');
  const keys = layout(prefix);
  const channel = `${prefix}invalidate:sessions`;
  const closers: Array<() => Promise<unknown>> = [];
  let admin: RedisClient;
  let counter = 0;
  /** Stores opened so far: each subscribes once. */
  let stores = 0;
  const newId = () => `cached-${++counter}`;

  /** A store of its own (as on another instance), with its subscription live. */
  async function open(cache: true | SessionCacheOptions = true): Promise<RedisSessionStore> {
    const { options, release } = target.connect();
    const store = new RedisSessionStore({ ...options, prefix, cache });
    closers.push(() => store.close().then(release));
    await subscribed(++stores);
    return store;
  }

  /** Waits until `count` connections subscribe to `on` (on every master of a cluster). */
  async function subscribed(count: number, on = channel): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      let total = 0;
      for (const master of mastersOf(admin)) {
        const reply = (await master.pubsub('NUMSUB', on)) as [string, number];
        total += Number(reply[1]);
      }
      if (total >= count) {
        // The subscription's reply reached Redis's side; give the client a moment to read it.
        await sleep(30);
        return;
      }
      await sleep(10);
    }
    throw new Error(`fewer than ${count} subscribers on ${on}`);
  }

  /**
   * Resolves once a write has happened and its message has reached every store: a read that was
   * in flight when the message came is not kept, so the tests of what is kept start after it.
   */
  const written = async (write: Promise<void>) => {
    await write;
    await sleep(20);
  };

  /** Writes a session's value behind every store's back, as a change whose message was lost. */
  const overwrite = (id: string, value: StoredSession) =>
    admin.set(keys.session(id), JSON.stringify(value), 'KEEPTTL');

  /** Polls `read` until it passes `check` or `ms` have gone by; resolves the last value read. */
  async function within<T>(ms: number, read: () => Promise<T>, check: (value: T) => boolean) {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (check(value) || Date.now() >= deadline) return value;
      await sleep(2);
    }
  }

  let a: RedisSessionStore;
  let b: RedisSessionStore;
  beforeAll(async () => {
    admin = target.admin();
    a = await open();
    b = await open();
  });
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await deleteKeysUnder(admin, prefix);
    admin.disconnect();
  });

  it('answers a session it read from memory, without a round trip to Redis', async () => {
    const id = newId();
    await written(a.set(id, session('alice'), 60));
    expect(await b.get(id)).toEqual(session('alice'));
    await overwrite(id, session('mallory'));
    const reads: Array<StoredSession | undefined> = [];
    expect(await commandsSent(async () => reads.push(await b.get(id)))).toEqual([]);
    expect(reads).toEqual([session('alice')]);
  });

  it("drops a session another instance rewrote or ended, within the bench's 250 ms", async () => {
    const id = newId();
    await a.set(id, session('alice'), 60);
    expect(await b.get(id)).toEqual(session('alice'));
    await a.set(id, session('bob'), 60);
    expect(
      await within(
        250,
        () => b.get(id),
        (value) => value?.sub === 'bob',
      ),
    ).toEqual(session('bob'));
    await a.destroy(id);
    expect(
      await within(
        250,
        () => b.get(id),
        (value) => value === undefined,
      ),
    ).toBeUndefined();
  });

  it('drops every session of a user or an IdP session ended on another instance', async () => {
    const [first, second, third] = [newId(), newId(), newId()];
    await a.set(first, session('carol', 'sid-1'), 60);
    await a.set(second, session('carol', 'sid-2'), 60);
    await a.set(third, session('dave', 'sid-3'), 60);
    for (const id of [first, second, third]) expect(await b.get(id)).toBeDefined();
    expect(await a.destroyBy({ sub: 'carol' })).toBe(2);
    const both = async () => [await b.get(first), await b.get(second)];
    expect(await within(250, both, (values) => values.every((value) => !value))).toEqual([
      undefined,
      undefined,
    ]);
    expect(await a.destroyBy({ idpSid: 'sid-3' })).toBe(1);
    expect(
      await within(
        250,
        () => b.get(third),
        (value) => value === undefined,
      ),
    ).toBeUndefined();
  });

  it('its own writes are seen at once by the instance that made them', async () => {
    const id = newId();
    await a.set(id, session('erin'), 60);
    expect(await a.get(id)).toEqual(session('erin'));
    await a.set(id, session('frank'), 60);
    expect(await a.get(id)).toEqual(session('frank'));
    await a.destroy(id);
    expect(await a.get(id)).toBeUndefined();
  });

  it('keeps a session no longer than its ttl, even when no message comes', async () => {
    const short = await open({ ttl: 0.05 });
    const id = newId();
    await written(a.set(id, session('grace'), 60));
    expect(await short.get(id)).toEqual(session('grace'));
    await overwrite(id, session('mallory'));
    expect(await short.get(id)).toEqual(session('grace'));
    await sleep(80);
    expect(await short.get(id)).toEqual(session('mallory'));
  });

  it('holds at most maxEntries sessions, dropping the oldest', async () => {
    const small = await open({ maxEntries: 2 });
    const ids = [newId(), newId(), newId()];
    for (const id of ids) await written(a.set(id, session(`user-${id}`), 60));
    for (const id of ids) await small.get(id);
    for (const id of ids) await overwrite(id, session('mallory'));
    expect(await small.get(ids[0]!)).toEqual(session('mallory'));
    expect(await small.get(ids[2]!)).toEqual(session(`user-${ids[2]}`));
  });

  it('reads from Redis while its subscription is down, and caches again once it is back', async () => {
    const id = newId();
    await written(a.set(id, session('heidi'), 60));
    expect(await b.get(id)).toEqual(session('heidi'));
    await overwrite(id, session('mallory'));
    // Changes published while it is unsubscribed are lost to it: it must forget what it held.
    for (const master of mastersOf(admin)) await master.client('KILL', 'TYPE', 'pubsub');
    expect(
      await within(
        1000,
        () => b.get(id),
        (value) => value?.sub === 'mallory',
      ),
    ).toEqual(session('mallory'));
    await subscribed(stores);
    expect(await b.get(id)).toEqual(session('mallory'));
    await overwrite(id, session('ivan'));
    expect(await b.get(id)).toEqual(session('mallory'));
  });

  it('reads from Redis while it holds a lock, so a refresh sees what the last holder wrote', async () => {
    const id = newId();
    await written(a.set(id, session('judy'), 60));
    expect(await b.get(id)).toEqual(session('judy'));
    await overwrite(id, session('rotated'));
    const release = await b.lock(`refresh:${id}`, 5000);
    expect(release).toBeDefined();
    expect(await b.get(id)).toEqual(session('rotated'));
    await overwrite(id, session('again'));
    expect(await b.get(id)).toEqual(session('again'));
    await release!();
    // Released: it caches again.
    expect(await b.get(id)).toEqual(session('again'));
    await overwrite(id, session('later'));
    expect(await b.get(id)).toEqual(session('again'));
  });

  it('does not keep a read that was in flight when an invalidation arrived', async () => {
    // The cache alone, as the store uses it: the reply of a read and the message of another
    // instance's change come over two connections, so either may land first.
    const own = `${prefix}invalidate:own`;
    const cache = new ReadCache<string>(admin, own, { ttlMs: 5000, maxEntries: 10 });
    closers.push(() => cache.close());
    await subscribed(1, own);
    let land: (value: string) => void = () => {};
    const read = cache.get('k', () => new Promise<string>((resolve) => (land = resolve)));
    cache.forget(['some-other-key']);
    land('before the change');
    expect(await read).toBe('before the change');
    expect(await cache.get('k', async () => 'from Redis')).toBe('from Redis');
    // Without an invalidation meanwhile, a read is kept.
    expect(await cache.get('k', async () => 'not asked')).toBe('from Redis');
  });
}
