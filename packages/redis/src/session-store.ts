import { randomBytes } from 'node:crypto';
import type { SessionFilter, SessionStore, StoredSession } from '@latchkey/core';
import { Connection, type RedisClient, type RedisStoreOptions, wholePositive } from './connection';
import { cacheSettings, ReadCache, type SessionCacheOptions } from './read-cache';
import { END_SESSION, INDEX_SESSION, RELEASE_LOCK, WRITE_SESSION } from './scripts';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a stored session value; anything malformed counts as no session. */
function parseSession(raw: string): StoredSession | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.sub !== 'string' || !isRecord(value.data)) return undefined;
  const { sub, idpSid, data } = value;
  if (idpSid === undefined) return { sub, data };
  return typeof idpSid === 'string' ? { sub, idpSid, data } : undefined;
}

function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${name} must be a non-empty string.`);
  }
  return value;
}

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions extends RedisStoreOptions {
  /**
   * Keeps recent reads in this instance's memory, so that a busy session costs no round trip to
   * Redis. Every write and sign-out is published on a Redis pub/sub channel (`<prefix>invalidate`),
   * and every instance drops what it names: a session ended on one instance is refused on the
   * others within milliseconds instead of at once (`bench/RESULTS.md` measures it). Needs one more
   * connection per store (a subscriber) and Redis's PUBLISH and SUBSCRIBE. `true` for the defaults.
   * Off by default.
   */
  cache?: boolean | SessionCacheOptions | undefined;
}

/**
 * Sessions in Redis, shared by every instance of the app: the cookie holds only a random session
 * id and the tokens stay on the server. Also the refresh lock across instances and the replay
 * cache of back-channel logout.
 *
 * Every method rejects with a `RedisUnavailableError` (latchkey answers 503
 * `store_unavailable`) when Redis cannot answer, within about a second, and works again once
 * Redis is back.
 *
 * @example
 * const store = new RedisSessionStore({ url: process.env.REDIS_URL });
 * const auth = createLatchkey({ ...options, store });
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Connection;
  readonly #cache: ReadCache<StoredSession | undefined> | undefined;

  /** Connects to `url` (or uses your `client`); see {@link RedisSessionStoreOptions}. */
  constructor(options: RedisSessionStoreOptions) {
    const cache = cacheSettings(options.cache);
    this.#redis = new Connection(options, 'RedisSessionStore', [
      INDEX_SESSION,
      WRITE_SESSION,
      END_SESSION,
      RELEASE_LOCK,
    ]);
    this.#cache = cache
      ? new ReadCache(this.#redis.client, this.#redis.key('invalidate', 'sessions'), cache)
      : undefined;
  }

  /** The ioredis client in use, e.g. for a health check (`await store.client.ping()`). */
  get client(): RedisClient {
    return this.#redis.client;
  }

  /**
   * The session, or undefined when absent, expired, ended or unreadable. One round trip, or none
   * when the `cache` holds it.
   */
  async get(sessionId: string): Promise<StoredSession | undefined> {
    const [key] = this.#sessionKeys(checkId('sessionId', sessionId));
    const load = async () => {
      const raw = await this.#redis.run((client) => client.get(key));
      return raw === null ? undefined : parseSession(raw);
    };
    return this.#cache ? this.#cache.get(key, load) : load();
  }

  /** After a write or end: drops the sessions' keys from every instance's cache. */
  async #changed(client: RedisClient, sessionIds: readonly string[]): Promise<void> {
    if (this.#cache) {
      await this.#cache.publish(
        client,
        sessionIds.map((id) => this.#sessionKeys(id)[0]),
      );
    }
  }

  /**
   * Creates or replaces a session expiring in `ttlSeconds` (rounded up to whole seconds), and
   * indexes it by `sub` and `idpSid`. A session ended by `destroy` or `destroyBy` stays ended: a
   * later `set` of the same id (a refresh that was in flight) is ignored for the rest of the
   * lifetime the session had. Two round trips (the indexes, then the session).
   */
  async set(sessionId: string, session: StoredSession, ttlSeconds: number): Promise<void> {
    checkId('sessionId', sessionId);
    if (!isRecord(session) || typeof session.sub !== 'string' || !isRecord(session.data)) {
      throw new TypeError('session must be { sub: string, idpSid?: string, data: object }.');
    }
    const { sub, idpSid, data } = session;
    if (idpSid !== undefined && typeof idpSid !== 'string') {
      throw new TypeError('session.idpSid must be a string or undefined.');
    }
    const ttl = String(wholePositive('ttlSeconds', ttlSeconds));
    const json = JSON.stringify(idpSid === undefined ? { sub, data } : { sub, idpSid, data });
    const indexes = this.#indexesOf({ sub, idpSid });
    await this.#redis.run(async (client) => {
      // Indexed first: a destroyBy that starts from now on finds the id and ends what follows.
      await Promise.all(
        indexes.map((index) => INDEX_SESSION.run(client, [index], [sessionId, ttl])),
      );
      const [written, old] = (await WRITE_SESSION.run(client, this.#sessionKeys(sessionId), [
        json,
        ttl,
      ])) as [number, string?];
      if (written !== 1) return;
      await this.#changed(client, [sessionId]);
      if (old === undefined) return;
      // The session it replaced leaves the indexes of another user or IdP session.
      const previous = parseSession(old);
      const stale = previous
        ? this.#indexesOf(previous).filter((index) => !indexes.includes(index))
        : [];
      await Promise.all(stale.map((index) => client.zrem(index, sessionId)));
    });
  }

  /** Ends one session (and removes it from its indexes). */
  async destroy(sessionId: string): Promise<void> {
    checkId('sessionId', sessionId);
    await this.#redis.run(async (client) => {
      const ended = await END_SESSION.run(client, this.#sessionKeys(sessionId), ['', '', '0']);
      await this.#changed(client, [sessionId]);
      const session = typeof ended === 'string' ? parseSession(ended) : undefined;
      if (session) {
        await Promise.all(this.#indexesOf(session).map((index) => client.zrem(index, sessionId)));
      }
    });
  }

  /**
   * Ends every session of a user (`{ sub }`) or of an IdP session (`{ idpSid }`); resolves how many
   * ended. Reads only that index, never SCAN or KEYS. Every session indexed when it starts ends,
   * and a write of one of them still in flight is dropped (see {@link RedisSessionStore.set}); a
   * session indexed after it started is untouched.
   */
  async destroyBy(filter: SessionFilter): Promise<number> {
    if (!isRecord(filter)) throw new TypeError('filter must be { sub } or { idpSid }.');
    const field = 'sub' in filter ? 'sub' : 'idpSid';
    const value = checkId(`filter.${field}`, (filter as Record<string, unknown>)[field]);
    const index = this.#indexKey(field, value);
    return this.#redis.run(async (client) => {
      const scored = await client.zrange(index, 0, -1, 'WITHSCORES');
      const ids = scored.filter((_, i) => i % 2 === 0);
      // An id whose session is not written yet stays ended as long as its entry says the session
      // may live (its score: when it expires), and a minute at least.
      const now = Date.now();
      const ended = await Promise.all(
        ids.map((id, i) => {
          const fence = String(Math.max(Number(scored[2 * i + 1]) - now, 60_000));
          return END_SESSION.run(client, this.#sessionKeys(id), [field, value, fence]);
        }),
      );
      await this.#changed(client, ids);
      const unindex: Array<Promise<unknown>> = [];
      if (ids.length > 0) unindex.push(client.zrem(index, ...ids));
      ended.forEach((raw, i) => {
        const session = typeof raw === 'string' ? parseSession(raw) : undefined;
        if (!session) return;
        for (const other of this.#indexesOf(session)) {
          if (other !== index) unindex.push(client.zrem(other, ids[i]!));
        }
      });
      await Promise.all(unindex);
      return ended.filter((raw) => typeof raw === 'string').length;
    });
  }

  /**
   * Takes the lock `key` for at most `ttlMs` (`SET NX PX` with a random token). Resolves its
   * release, or undefined when another holder has it. The release deletes the lock only while
   * it still holds this token, and rejects like any method when Redis is away (the lock then
   * lapses after `ttlMs`). While this instance holds a lock, `get` skips the `cache`.
   */
  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lockKey = this.#redis.key('lock', checkId('key', key));
    const ttl = wholePositive('ttlMs', ttlMs);
    const token = randomBytes(18).toString('base64url');
    const taken = await this.#redis.run((client) => client.set(lockKey, token, 'PX', ttl, 'NX'));
    if (taken !== 'OK') return undefined;
    // The holder reads what the last holder wrote, not what this instance's cache remembers.
    const resume = this.#cache?.bypass();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      resume?.();
      await this.#redis.run((client) => RELEASE_LOCK.run(client, [lockKey], [token]));
    };
  }

  /** Records `key` for `ttlSeconds`: true the first time, false on a replay (`SET NX EX`). */
  markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return this.#redis.markSeen(key, ttlSeconds);
  }

  /** Forgets a key recorded by `markSeen` (`DEL`): a failed logout's retry is no replay. */
  forgetSeen(key: string): Promise<void> {
    return this.#redis.forgetSeen(key);
  }

  /**
   * Stops using Redis: disconnects a client created from `url` (and the cache's subscriber),
   * leaves yours connected.
   */
  async close(): Promise<void> {
    await this.#cache?.close();
    await this.#redis.close();
  }

  /** A session's key and its "ended" marker: one hash tag, so one Cluster slot. */
  #sessionKeys(sessionId: string): [session: string, ended: string] {
    return [
      this.#redis.key('session', `{${sessionId}}`),
      this.#redis.key('ended', `{${sessionId}}`),
    ];
  }

  /** The index of a user's sessions, or of an IdP session's. */
  #indexKey(field: 'sub' | 'idpSid', value: string): string {
    return this.#redis.key(field === 'sub' ? 'by-sub' : 'by-sid', value);
  }

  /** The indexes a session belongs to. */
  #indexesOf(session: { sub: string; idpSid?: string | undefined }): string[] {
    const indexes = [this.#indexKey('sub', session.sub)];
    if (session.idpSid !== undefined) indexes.push(this.#indexKey('idpSid', session.idpSid));
    return indexes;
  }
}
