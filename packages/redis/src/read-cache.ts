import { Cluster, type Redis } from 'ioredis';
import { failFastRedisOptions, type RedisClient } from './connection';

/** Options of the local read cache of {@link RedisSessionStore} (its `cache` option). */
export interface SessionCacheOptions {
  /**
   * Longest time, in seconds, an instance answers a session from its memory without asking Redis.
   * Changes made anywhere reach it sooner, through Redis pub/sub; this only bounds how long a
   * change whose message was lost can go unseen. Default 5; 0.05 to 60.
   */
  ttl?: number | undefined;
  /** Most sessions held per instance; the oldest is dropped first. Default 10,000; 1 to 1,000,000. */
  maxEntries?: number | undefined;
}

const DEFAULT_TTL_SECONDS = 5;
const DEFAULT_MAX_ENTRIES = 10_000;

/** A cache's checked settings. */
export interface CacheSettings {
  ttlMs: number;
  maxEntries: number;
}

/**
 * The settings of a store's `cache` option (undefined when it is off); throws on anything else
 * than `true`, `false`, or options in range.
 */
export function cacheSettings(cache: unknown): CacheSettings | undefined {
  if (cache === undefined || cache === false) return undefined;
  if (cache !== true && (typeof cache !== 'object' || cache === null)) {
    throw new TypeError('RedisSessionStore: `cache` must be true, false or { ttl, maxEntries }.');
  }
  const options: SessionCacheOptions = cache === true ? {} : cache;
  const ttl = options.ttl ?? DEFAULT_TTL_SECONDS;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (typeof ttl !== 'number' || !(ttl >= 0.05 && ttl <= 60)) {
    throw new RangeError('cache.ttl must be 0.05 to 60 seconds.');
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 1_000_000) {
    throw new RangeError('cache.maxEntries must be a whole number from 1 to 1,000,000.');
  }
  return { ttlMs: ttl * 1000, maxEntries };
}

/**
 * A connection for the subscription whose drops the cache sees: a duplicate of a standalone or
 * Sentinel client; for a cluster, a plain client of one of its masters (a PUBLISH on any node
 * reaches the subscribers of every node), reconnecting to it as latchkey's clients do, or
 * undefined while the cluster knows no node yet. (A `Cluster`'s own subscriber reports no drop.)
 */
function subscriberFor(client: RedisClient): Redis | undefined {
  if (!(client instanceof Cluster)) return client.duplicate();
  const node = client.nodes('master')[0];
  if (!node) return undefined;
  return node.duplicate({
    connectionName: 'latchkey-cache',
    lazyConnect: false,
    retryStrategy: failFastRedisOptions.retryStrategy,
  });
}

/**
 * Store reads held in memory for a few seconds (bench row `express-latchkey-redis-cached`: a busy
 * session costs no round trip), kept honest by a Redis pub/sub channel: every
 * write or end of a session, on any instance, names its key there, and every instance drops it.
 * Answers from memory only while its subscription is live: when the subscriber connection drops,
 * everything is forgotten and reads go to Redis until it is subscribed again (changes published
 * meanwhile were missed).
 *
 * A read that was in flight when any invalidation arrived is not kept: its answer may predate the
 * change (the reply and the message come over two connections, in no set order).
 */
export class ReadCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  #subscriber: Redis | undefined;
  readonly #channel: string;
  /** Counts invalidations: a read started under another epoch is not kept. */
  #epoch = 0;
  #live = false;
  #closed = false;
  /** Locks this instance holds: while any is held, reads go to Redis (see {@link bypass}). */
  #held = 0;

  /**
   * @param client the store's client: a connection of the cache's own subscribes to `channel`
   *   next to it (see {@link subscriberFor}), and is closed by {@link close}
   */
  constructor(client: RedisClient, channel: string, settings: CacheSettings) {
    ({ ttlMs: this.#ttlMs, maxEntries: this.#maxEntries } = settings);
    this.#channel = channel;
    this.#attach(client);
  }

  /** Starts the subscriber, once a cluster knows its nodes. */
  #attach(client: RedisClient): void {
    if (this.#closed) return;
    const subscriber = subscriberFor(client);
    if (!subscriber) {
      client.once('ready', () => this.#attach(client));
      return;
    }
    this.#subscriber = subscriber;
    subscriber.on('error', () => {
      // Reported by the store's own client; here a failure only turns the cache off (below).
    });
    subscriber.on('message', (_channel: string, message: string) => this.#onMessage(message));
    // Subscribed (again) on every connection, so that `#live` follows the subscription.
    subscriber.on('ready', () => this.#subscribe());
    for (const event of ['close', 'end', 'reconnecting']) {
      subscriber.on(event, () => this.#forgetAll());
    }
    if (subscriber.status === 'ready') this.#subscribe();
  }

  #subscribe(): void {
    this.#subscriber?.subscribe(this.#channel).then(
      () => {
        if (this.#closed) return;
        this.#forgetAll();
        this.#live = true;
      },
      () => this.#forgetAll(),
    );
  }

  /** The subscription is down or new: what was held may have missed changes. */
  #forgetAll(): void {
    this.#live = false;
    this.#clear();
  }

  #clear(): void {
    this.#epoch += 1;
    this.#entries.clear();
  }

  #onMessage(message: string): void {
    let keys: unknown;
    try {
      keys = JSON.parse(message);
    } catch {
      keys = undefined;
    }
    if (!Array.isArray(keys)) {
      // Not ours, or damaged: forgetting everything is always safe.
      this.#clear();
      return;
    }
    this.forget(keys.filter((key): key is string => typeof key === 'string'));
  }

  /**
   * The value of `key`: from memory when held and fresh, else from `load`, kept when the
   * subscription is live and no invalidation arrived while it loaded.
   */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    if (this.#live && this.#held === 0) {
      const entry = this.#entries.get(key);
      if (entry && entry.until > Date.now()) return entry.value;
    }
    const epoch = this.#epoch;
    const value = await load();
    if (this.#live && epoch === this.#epoch) this.#keep(key, value);
    return value;
  }

  #keep(key: string, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, until: Date.now() + this.#ttlMs });
  }

  /**
   * Sends every read to Redis (and keeps what it reads) until the returned function is called:
   * for as long as this instance holds a lock, whose holder must read what the last holder wrote
   * (a refresh under the lock must see the refresh token another instance just rotated, whether
   * or not its message came).
   */
  bypass(): () => void {
    this.#held += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#held -= 1;
    };
  }

  /** Drops `keys` here, and stops reads in flight from being kept. */
  forget(keys: readonly string[]): void {
    this.#epoch += 1;
    for (const key of keys) this.#entries.delete(key);
  }

  /** Drops `keys` here and on every instance: call after the write that changed them. */
  async publish(client: RedisClient, keys: readonly string[]): Promise<void> {
    this.forget(keys);
    if (keys.length > 0) await client.publish(this.#channel, JSON.stringify(keys));
  }

  /** Unsubscribes and disconnects the subscriber. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#forgetAll();
    this.#subscriber?.disconnect();
  }
}
