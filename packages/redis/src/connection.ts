import { createHash } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Longest delay between two reconnection attempts, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 500;

/** How long a call made before the first connection is ready waits for it, in milliseconds. */
const STARTUP_WAIT_MS = 1000;

/**
 * Reconnects forever: 100, 200, 400, then 500 ms between attempts, each shortened by up to 20% so
 * a fleet of instances does not reconnect in lockstep.
 */
function reconnectDelay(attempt: number): number {
  const delay = Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS);
  return Math.round(delay * (0.8 + 0.2 * Math.random()));
}

/**
 * The ioredis options latchkey sets on the clients it creates, so that an outage fails requests
 * fast (503 `store_unavailable`) instead of queueing them, and recovery is quick. Spread them into
 * your own client's options when you pass `client`:
 *
 * @example
 * const client = new Redis(process.env.REDIS_URL!, { ...failFastRedisOptions });
 * client.on('error', (error) => logger.warn({ error }, 'redis'));
 */
export const failFastRedisOptions = Object.freeze({
  /** Commands sent while disconnected fail at once instead of waiting for a reconnection. */
  enableOfflineQueue: false,
  /** Commands in flight when the connection drops fail at once; they are never re-sent. */
  maxRetriesPerRequest: 0,
  /** Commands still unanswered when the client reconnects are not re-sent on the new connection. */
  autoResendUnfulfilledCommands: false,
  /** A command without a reply after 1 s fails. */
  commandTimeout: 1000,
  /** A connection attempt that is not established after 1 s is abandoned (and retried). */
  connectTimeout: 1000,
  /** A socket that owes replies but receives nothing for 2 s is dead: it is closed and replaced. */
  socketTimeout: 2000,
  /** Reconnects forever, at most 500 ms apart. */
  retryStrategy: reconnectDelay,
  /** After a failover, a connection to a former primary (now read-only) is replaced. */
  reconnectOnError: (error: Error): boolean => error.message.startsWith('READONLY'),
}) satisfies RedisOptions;

/** An ioredis client: a standalone or Sentinel `Redis`, or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Options of {@link RedisSessionStore} and {@link RedisRevocationList}. */
export interface RedisStoreOptions {
  /**
   * A Redis URL (`redis://`, `rediss://` for TLS, with optional user, password and database
   * number). latchkey creates the client with {@link failFastRedisOptions}, owns it, and
   * `close()` disconnects it. Give either `url` or `client`.
   */
  url?: string | undefined;
  /**
   * An ioredis client you created and own (`close()` leaves it connected). Create it with
   * {@link failFastRedisOptions}: with ioredis's defaults (`enableOfflineQueue: true`,
   * `maxRetriesPerRequest: 20`) a request waits for Redis during an outage instead of failing at
   * once. Attach an `'error'` listener; when it has none, latchkey adds one that reports to
   * `onError`. A `Cluster` works too (create it with `{ enableOfflineQueue: false, redisOptions:
   * failFastRedisOptions }`): every script touches keys of one hash slot. A client with a
   * `keyPrefix` is refused: use `prefix`.
   */
  client?: RedisClient | undefined;
  /**
   * Prepended to every key. Default `'latchkey:'`. Apps sharing one Redis database need distinct
   * prefixes, neither a prefix of the other.
   */
  prefix?: string | undefined;
  /**
   * More ioredis options for the client created from `url` (TLS certificates, `db`,
   * `connectionName`, ...; for Sentinel pass your own `client`). Auto-pipelining is on unless you
   * set `enableAutoPipelining: false`. The fail-fast options apply on
   * top, except `commandTimeout`, `connectTimeout` and `socketTimeout`, which you may change here.
   * `keyPrefix` is ignored: use `prefix`.
   */
  redisOptions?: RedisOptions | undefined;
  /**
   * Receives every connection error the client reports (a few per second during an outage).
   * Default: one `console.warn` per outage. With your own `client`, only used when that client had
   * no `'error'` listener.
   */
  onError?: ((error: Error) => void) | undefined;
}

/** Why a Redis call failed, in words that carry no data, keys or credentials. */
function reasonOf(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : '';
  if (message === 'Command timed out') return 'command timed out';
  if (message.startsWith("Stream isn't writeable")) return 'not connected';
  if (
    name === 'MaxRetriesPerRequestError' ||
    name === 'AbortError' ||
    message === 'Connection is closed.'
  ) {
    return 'connection lost';
  }
  if (name === 'ReplyError') return `server replied ${replyCode(message)}`;
  return 'client error';
}

/** The error code a Redis error reply starts with (`OOM`, `READONLY`, `NOAUTH`, ...). */
function replyCode(message: string): string {
  return /^[A-Z][A-Z_-]*/.exec(message)?.[0] ?? 'an error';
}

/**
 * A copy of a client error without its extra properties: ioredis attaches the failed command's
 * arguments (session records, tokens) to some errors, and a logged `cause` must not carry them.
 */
function scrubbed(error: unknown): Error {
  if (!(error instanceof Error)) return new Error('non-error thrown');
  const copy = new Error(
    error.name === 'ReplyError' ? replyCode(error.message) : error.message.slice(0, 200),
  );
  copy.name = error.name;
  return copy;
}

/**
 * What every method rejects with when Redis cannot answer (down, unreachable, too slow, or
 * refusing the command). latchkey answers it with 503 `store_unavailable` and a generic message,
 * keeping this error as the `cause` for your logs. The message says why, without data, keys or
 * credentials.
 */
export class RedisUnavailableError extends Error {
  /** Always `'RedisUnavailableError'`. */
  override readonly name = 'RedisUnavailableError';

  constructor(reason: string, cause?: unknown) {
    super(
      `Redis is unavailable (${reason}); try again shortly.`,
      cause === undefined ? undefined : { cause: scrubbed(cause) },
    );
  }
}

/** A Lua script run by EVALSHA, falling back to EVAL once after Redis forgot it (a restart). */
export class LuaScript {
  private readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `keys` (KEYS) and `args` (ARGV); resolves its reply. */
  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return await client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Validates a lifetime and rounds it up to a whole number, as EX and PX need. */
export function wholePositive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number.`);
  }
  return Math.ceil(value);
}

/**
 * The client behind a store or revocation list, and the rules every call follows: fail fast with
 * {@link RedisUnavailableError}, never queue while disconnected, never let an `'error'` event go
 * unhandled.
 */
export class Connection {
  /** The ioredis client. */
  readonly client: RedisClient;
  /** Prepended to every key. */
  readonly prefix: string;
  private readonly owned: boolean;
  private readonly detach: Array<() => void> = [];
  private wasReady: boolean;
  private closed = false;
  private starting: Promise<void> | undefined;

  /**
   * @param owner Class name, for messages.
   * @param scripts Loaded into Redis on every (re)connection, so the first call after a restart of
   * Redis needs no extra round trip.
   */
  constructor(options: RedisStoreOptions, owner: string, scripts: readonly LuaScript[]) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`${owner} needs options with \`url\` or \`client\`.`);
    }
    const { client, url } = options;
    if (client !== undefined && url !== undefined) {
      throw new TypeError(`${owner}: give either \`url\` or \`client\`, not both.`);
    }
    if (client === undefined && (typeof url !== 'string' || url === '')) {
      throw new TypeError(
        `${owner} needs \`url\` (e.g. redis://localhost:6379) or an ioredis \`client\`.`,
      );
    }
    const prefix = options.prefix ?? 'latchkey:';
    if (typeof prefix !== 'string') throw new TypeError(`${owner}: \`prefix\` must be a string.`);
    this.prefix = prefix;

    if (client instanceof Cluster && prefix.includes('{')) {
      throw new TypeError(
        `${owner}: on Redis Cluster, \`prefix\` must not hold '{': it would decide the hash slot of every key.`,
      );
    }
    if (client !== undefined) {
      // ioredis would prefix the keys it sees but not those the scripts derive from stored data.
      if (client.options.keyPrefix) {
        throw new TypeError(
          `${owner}: the client has a \`keyPrefix\`; use the \`prefix\` option instead.`,
        );
      }
      this.client = client;
      this.owned = false;
    } else {
      const { commandTimeout, connectTimeout, socketTimeout } = failFastRedisOptions;
      this.client = new Redis(url as string, {
        connectionName: 'latchkey',
        // The commands of concurrent requests leave in one write (one GET each per request).
        enableAutoPipelining: true,
        commandTimeout,
        connectTimeout,
        socketTimeout,
        ...options.redisOptions,
        enableOfflineQueue: failFastRedisOptions.enableOfflineQueue,
        maxRetriesPerRequest: failFastRedisOptions.maxRetriesPerRequest,
        autoResendUnfulfilledCommands: failFastRedisOptions.autoResendUnfulfilledCommands,
        retryStrategy: failFastRedisOptions.retryStrategy,
        reconnectOnError: failFastRedisOptions.reconnectOnError,
        keyPrefix: '',
        lazyConnect: false,
      });
      this.owned = true;
    }
    this.wasReady = this.client.status === 'ready';

    let reported = false;
    const report =
      options.onError ??
      ((error: Error) => {
        if (reported) return;
        reported = true;
        console.warn(
          `[@latchkey/redis] Redis connection failed (${error.message}); reconnecting. ` +
            'Requests that need Redis answer 503 store_unavailable until it is back.',
        );
      });
    const load = (): void => {
      for (const script of scripts) this.client.script('LOAD', script.source).catch(() => {});
    };
    this.on('ready', () => {
      this.wasReady = true;
      reported = false;
      load();
    });
    if (this.wasReady) load();
    if (this.owned || this.client.listenerCount('error') === 0) {
      this.on('error', (error: unknown) => {
        try {
          report(error instanceof Error ? error : new Error(String(error)));
        } catch {
          // A throwing onError must not turn into an unhandled exception of the client.
        }
      });
    }
  }

  private on(event: string, listener: (error: unknown) => void): void {
    this.client.on(event, listener);
    this.detach.push(() => this.client.off(event, listener));
  }

  /**
   * Before the client's first connection is ready, a call waits for it (at most 1 s, and only
   * until the first connection error), so the first requests after start-up do not fail.
   * Afterwards nothing waits: while Redis is away, calls fail at once.
   */
  private waitForFirstConnection(): Promise<void> {
    const { client } = this;
    if (this.wasReady || client.status === 'ready' || client.status === 'end') {
      return Promise.resolve();
    }
    if (!this.starting) {
      this.starting = new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          for (const event of ['ready', 'error', 'end']) client.off(event, done);
          this.starting = undefined;
          resolve();
        };
        const timer = setTimeout(done, STARTUP_WAIT_MS);
        timer.unref();
        for (const event of ['ready', 'error', 'end']) client.once(event, done);
      });
      if (client.status === 'wait') client.connect().catch(() => {});
    }
    return this.starting;
  }

  /** Runs Redis calls; any failure rejects with {@link RedisUnavailableError}. */
  async run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new RedisUnavailableError('the store was closed');
    await this.waitForFirstConnection();
    try {
      return await operation(this.client);
    } catch (error) {
      throw new RedisUnavailableError(reasonOf(error), error);
    }
  }

  /** Key of a name in a namespace: `prefix + namespace + ':' + name`. */
  key(namespace: string, name: string): string {
    return `${this.prefix}${namespace}:${name}`;
  }

  /** `SET key 1 NX EX ttl`: true when the key was not there. */
  async markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    if (typeof key !== 'string') throw new TypeError('markSeen: key must be a string.');
    const ttl = wholePositive('ttlSeconds', ttlSeconds);
    const reply = await this.run((client) =>
      client.set(this.key('seen', key), '1', 'EX', ttl, 'NX'),
    );
    return reply === 'OK';
  }

  /** `DEL` of a key that {@link markSeen} recorded. */
  async forgetSeen(key: string): Promise<void> {
    if (typeof key !== 'string') throw new TypeError('forgetSeen: key must be a string.');
    await this.run((client) => client.del(this.key('seen', key)));
  }

  /** Stops using the client; disconnects it when latchkey created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) {
      if (this.client.status === 'ready') {
        try {
          await this.client.quit();
        } catch {
          this.client.disconnect();
        }
      } else {
        this.client.disconnect();
      }
    }
    // A client we created keeps our listeners, so an 'error' it reports while closing is handled;
    // a client of yours gets its listeners back as they were.
    if (!this.owned) for (const off of this.detach.splice(0)) off();
  }
}
