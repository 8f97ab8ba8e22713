import { randomBytes } from 'node:crypto';
import type { SessionFilter, SessionStore, StoredSession } from '@latchkey/core';
import type { Redis } from 'ioredis';
import { Connection, type RedisStoreOptions, wholePositive } from './connection';
import { DESTROY_BY, DESTROY_SESSION, RELEASE_LOCK, SET_SESSION } from './scripts';

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
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string.`);
  return value;
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

  /** Connects to `url` (or uses your `client`); see {@link RedisStoreOptions}. */
  constructor(options: RedisStoreOptions) {
    this.#redis = new Connection(options, 'RedisSessionStore', [
      SET_SESSION,
      DESTROY_SESSION,
      DESTROY_BY,
      RELEASE_LOCK,
    ]);
  }

  /** The ioredis client in use, e.g. for a health check (`await store.client.ping()`). */
  get client(): Redis {
    return this.#redis.client;
  }

  /** The session, or undefined when absent, expired, ended or unreadable. One round trip. */
  async get(sessionId: string): Promise<StoredSession | undefined> {
    const key = this.#redis.key('session', checkId('sessionId', sessionId));
    const raw = await this.#redis.run((client) => client.get(key));
    return raw === null ? undefined : parseSession(raw);
  }

  /**
   * Creates or replaces a session expiring in `ttlSeconds` (rounded up to whole seconds), and
   * indexes it by `sub` and `idpSid`. A session ended by `destroy` or `destroyBy` stays ended: a
   * later `set` of the same id (a refresh that was in flight) is ignored for the rest of the
   * lifetime the session had.
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
    const ttl = wholePositive('ttlSeconds', ttlSeconds);
    const json = JSON.stringify(idpSid === undefined ? { sub, data } : { sub, idpSid, data });
    const redis = this.#redis;
    const keys = [
      redis.key('session', sessionId),
      redis.key('ended', sessionId),
      redis.key('sub', sub),
    ];
    if (idpSid !== undefined) keys.push(redis.key('sid', idpSid));
    const args = [json, String(ttl), sessionId, ...this.#namespaces()];
    await redis.run((client) => SET_SESSION.run(client, keys, args));
  }

  /** Ends one session (and removes it from its index sets). */
  async destroy(sessionId: string): Promise<void> {
    checkId('sessionId', sessionId);
    const redis = this.#redis;
    const keys = [redis.key('session', sessionId), redis.key('ended', sessionId)];
    const [, sub, sid] = this.#namespaces();
    await redis.run((client) => DESTROY_SESSION.run(client, keys, [sessionId, sub, sid]));
  }

  /**
   * Ends every session of a user (`{ sub }`) or of an IdP session (`{ idpSid }`); resolves how many
   * ended. Reads only that user's index set, never SCAN or KEYS. One atomic script: every matching
   * session present when it runs ends, a session created after it is untouched, and a later `set`
   * of an ended session is ignored (see {@link RedisSessionStore.set}).
   */
  async destroyBy(filter: SessionFilter): Promise<number> {
    if (!isRecord(filter)) throw new TypeError('filter must be { sub } or { idpSid }.');
    const [field, namespace] = 'sub' in filter ? ['sub', 'sub'] : ['idpSid', 'sid'];
    const value = checkId(`filter.${field}`, (filter as Record<string, unknown>)[field]);
    const redis = this.#redis;
    const [session, sub, sid] = this.#namespaces();
    const args = [session, redis.key('ended', ''), sub, sid, field, value];
    const ended = await redis.run((client) =>
      DESTROY_BY.run(client, [redis.key(namespace, value)], args),
    );
    return Number(ended);
  }

  /**
   * Takes the lock `key` for at most `ttlMs` (`SET NX PX` with a random token). Resolves its
   * release, or undefined when another holder has it. The release deletes the lock only while
   * it still holds this token, and rejects like any method when Redis is away (the lock then
   * lapses after `ttlMs`).
   */
  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lockKey = this.#redis.key('lock', checkId('key', key));
    const ttl = wholePositive('ttlMs', ttlMs);
    const token = randomBytes(18).toString('base64url');
    const taken = await this.#redis.run((client) => client.set(lockKey, token, 'PX', ttl, 'NX'));
    if (taken !== 'OK') return undefined;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await this.#redis.run((client) => RELEASE_LOCK.run(client, [lockKey], [token]));
    };
  }

  /** Records `key` for `ttlSeconds`: true the first time, false on a replay (`SET NX EX`). */
  markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return this.#redis.markSeen(key, ttlSeconds);
  }

  /** Stops using Redis: disconnects a client created from `url`, leaves yours connected. */
  close(): Promise<void> {
    return this.#redis.close();
  }

  /** Key prefixes of sessions, sub index sets and idpSid index sets, for the scripts. */
  #namespaces(): [session: string, sub: string, sid: string] {
    const redis = this.#redis;
    return [redis.key('session', ''), redis.key('sub', ''), redis.key('sid', '')];
  }
}
