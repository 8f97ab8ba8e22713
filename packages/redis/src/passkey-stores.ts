/**
 * `@latchkey/redis/passkeys`: the passkey stores, apart from the main entry so that apps that keep
 * only sessions in Redis do not load `@latchkey/passkeys` (an optional peer dependency).
 *
 * @module @latchkey/redis/passkeys
 */
import {
  type ChallengeRecord,
  type ChallengeStore,
  type CredentialStore,
  type CredentialUse,
  counterAdvances,
  type PasskeyCredential,
  type PasskeyProfile,
} from '@latchkey/passkeys';
import {
  Connection,
  type RedisClient,
  type RedisStoreOptions,
  RedisUnavailableError,
  wholePositive,
} from './connection';
import {
  CONSUME_CHALLENGE,
  DELETE_HASH,
  FIELD_OR_SET,
  RELEASE_LOCK,
  REPLACE_FIELD,
} from './scripts';

/** Hash field of a passkey in its user's hash. */
const PASSKEY_FIELD = 'passkey:';
/** Attempts of a read-modify-write before giving up under contention. */
const MAX_ATTEMPTS = 50;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string.`);
  return value;
}

/** A passkey as stored: JSON with the public key in base64url. */
function serialise(credential: PasskeyCredential): string {
  return JSON.stringify({
    ...credential,
    publicKey: Buffer.from(credential.publicKey).toString('base64url'),
  });
}

/** Reads a stored passkey; anything malformed counts as none. */
function parseCredential(raw: string | null): PasskeyCredential | undefined {
  if (raw === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (
    !isRecord(value) ||
    typeof value.id !== 'string' ||
    typeof value.sub !== 'string' ||
    typeof value.publicKey !== 'string' ||
    typeof value.counter !== 'number' ||
    !Array.isArray(value.transports)
  ) {
    return undefined;
  }
  return {
    ...(value as unknown as PasskeyCredential),
    publicKey: new Uint8Array(Buffer.from(value.publicKey, 'base64url')),
  };
}

/**
 * Passkeys in Redis, shared by every instance of the app: each user's passkeys, user handle and
 * stored profile in one hash per user, and a claim per credential id that makes ids unique across
 * all users (`SET NX`). Nothing expires.
 *
 * Every method rejects with a `RedisUnavailableError` (latchkey answers 503
 * `store_unavailable`) when Redis cannot answer, within about a second.
 *
 * @example
 * const passkeys = createPasskeys({
 *   baseUrl: 'https://app.example.com',
 *   credentials: new RedisCredentialStore({ url: process.env.REDIS_URL }),
 *   challenges: new RedisChallengeStore({ url: process.env.REDIS_URL }),
 *   secrets: [process.env.SESSION_SECRET!],
 * });
 */
export class RedisCredentialStore implements CredentialStore {
  readonly #redis: Connection;

  /** Connects to `url` (or uses your `client`); see {@link RedisStoreOptions}. */
  constructor(options: RedisStoreOptions) {
    this.#redis = new Connection(options, 'RedisCredentialStore', [
      REPLACE_FIELD,
      FIELD_OR_SET,
      DELETE_HASH,
      RELEASE_LOCK,
    ]);
  }

  /** The ioredis client in use, e.g. for a health check. */
  get client(): RedisClient {
    return this.#redis.client;
  }

  /** The hash of a user: `handle`, `profile` and `passkey:<id>` fields. */
  #user(sub: string): string {
    return this.#redis.key('passkey-user', checkString('sub', sub));
  }

  /** The claim of a credential id: its owner's `sub`. */
  #claim(id: string): string {
    return this.#redis.key('passkey-id', checkString('id', id));
  }

  /** The handle of `sub`, or `candidate` once stored (one atomic script). */
  async userHandleOf(sub: string, candidate: string): Promise<string> {
    const key = this.#user(sub);
    checkString('candidate', candidate);
    const handle = await this.#redis.run((client) =>
      FIELD_OR_SET.run(client, [key], ['handle', candidate]),
    );
    return String(handle);
  }

  /**
   * Claims the credential id (`SET NX`: exactly one of concurrent creates wins, across instances),
   * then stores the passkey in its user's hash. When that second write fails, the claim is
   * released before rejecting.
   */
  async create(credential: PasskeyCredential): Promise<boolean> {
    if (!isRecord(credential) || !(credential.publicKey instanceof Uint8Array)) {
      throw new TypeError('credential must be a PasskeyCredential.');
    }
    const claim = this.#claim(credential.id);
    const user = this.#user(credential.sub);
    const value = serialise(credential);
    const redis = this.#redis;
    const claimed = await redis.run((client) => client.set(claim, credential.sub, 'NX'));
    if (claimed !== 'OK') return false;
    try {
      await redis.run((client) => client.hset(user, PASSKEY_FIELD + credential.id, value));
    } catch (error) {
      await this.#release(claim, credential.sub).catch(() => {});
      throw error;
    }
    return true;
  }

  async get(id: string): Promise<PasskeyCredential | undefined> {
    const found = await this.#find(id);
    return found && parseCredential(found.raw);
  }

  async listByUser(sub: string): Promise<PasskeyCredential[]> {
    const key = this.#user(sub);
    const fields = await this.#redis.run((client) => client.hgetall(key));
    const credentials: PasskeyCredential[] = [];
    for (const [field, raw] of Object.entries(fields)) {
      if (!field.startsWith(PASSKEY_FIELD)) continue;
      const credential = parseCredential(raw);
      if (credential) credentials.push(credential);
    }
    return credentials.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /**
   * Stores the use when {@link counterAdvances} (the rule of the memory store), by compare-and-set
   * on the stored passkey: a concurrent change makes it read again and decide afresh, so of two
   * concurrent uses reporting the same counter exactly one is recorded.
   */
  async recordUse(
    id: string,
    use: CredentialUse,
  ): Promise<PasskeyCredential | 'regressed' | undefined> {
    const found = await this.#find(id);
    if (!found) return undefined;
    return this.#update<'regressed'>(found.user, id, found.raw, (credential) => {
      if (!counterAdvances(credential.counter, use.counter)) return 'regressed';
      return {
        ...credential,
        counter: use.counter,
        backedUp: use.backedUp,
        lastUsedAt: use.usedAt,
      };
    });
  }

  async rename(id: string, sub: string, name: string): Promise<boolean> {
    checkString('name', name);
    const user = this.#user(sub);
    const raw = await this.#redis.run((client) => client.hget(user, PASSKEY_FIELD + id));
    if (raw === null) return false;
    const renamed = await this.#update<never>(user, id, raw, (credential) => ({
      ...credential,
      name,
    }));
    return renamed !== undefined;
  }

  /** Deletes the passkey from its owner's hash (`HDEL`), then releases its id. */
  async delete(id: string, sub: string): Promise<boolean> {
    const user = this.#user(sub);
    const claim = this.#claim(id);
    const removed = await this.#redis.run((client) => client.hdel(user, PASSKEY_FIELD + id));
    if (removed === 0) return false;
    await this.#release(claim, sub);
    return true;
  }

  async setProfile(sub: string, profile: PasskeyProfile): Promise<void> {
    const key = this.#user(sub);
    if (!isRecord(profile)) throw new TypeError('profile must be an object.');
    const json = JSON.stringify(profile);
    await this.#redis.run((client) => client.hset(key, 'profile', json));
  }

  async getProfile(sub: string): Promise<PasskeyProfile | undefined> {
    const key = this.#user(sub);
    const raw = await this.#redis.run((client) => client.hget(key, 'profile'));
    if (raw === null) return undefined;
    try {
      const profile: unknown = JSON.parse(raw);
      return isRecord(profile) ? profile : undefined;
    } catch {
      return undefined;
    }
  }

  /** Deletes the user's hash in one script, then releases the ids of the passkeys it held. */
  async deleteUser(sub: string): Promise<number> {
    const key = this.#user(sub);
    const fields = (await this.#redis.run((client) =>
      DELETE_HASH.run(client, [key], [PASSKEY_FIELD]),
    )) as string[];
    const ids = fields.map((field) => field.slice(PASSKEY_FIELD.length));
    await Promise.all(ids.map((id) => this.#release(this.#claim(id), sub)));
    return ids.length;
  }

  /** Stops using Redis: disconnects a client created from `url`, leaves yours connected. */
  close(): Promise<void> {
    return this.#redis.close();
  }

  /** The owner's hash and the stored value of passkey `id`, or undefined. */
  async #find(id: string): Promise<{ user: string; raw: string } | undefined> {
    const claim = this.#claim(id);
    const sub = await this.#redis.run((client) => client.get(claim));
    if (sub === null) return undefined;
    const user = this.#user(sub);
    const raw = await this.#redis.run((client) => client.hget(user, PASSKEY_FIELD + id));
    return raw === null ? undefined : { user, raw };
  }

  /** Releases a credential id while it is still claimed by `sub` (compare-and-delete). */
  async #release(claim: string, sub: string): Promise<void> {
    await this.#redis.run((client) => RELEASE_LOCK.run(client, [claim], [sub]));
  }

  /**
   * Read-modify-write of one passkey by compare-and-set: `change` returns the new passkey or a
   * refusal; resolves the stored result, the refusal, or undefined when the passkey is gone.
   */
  async #update<R extends string>(
    user: string,
    id: string,
    raw: string,
    change: (credential: PasskeyCredential) => PasskeyCredential | R,
  ): Promise<PasskeyCredential | R | undefined> {
    const field = PASSKEY_FIELD + id;
    let current = raw;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const credential = parseCredential(current);
      if (!credential) return undefined;
      const next = change(credential);
      if (typeof next === 'string') return next;
      const value = serialise(next);
      const replaced = await this.#redis.run((client) =>
        REPLACE_FIELD.run(client, [user], [field, current, value]),
      );
      if (replaced === 1) return next;
      if (replaced === -1) return undefined;
      const reread = await this.#redis.run((client) => client.hget(user, field));
      if (reread === null) return undefined;
      current = reread;
    }
    throw new RedisUnavailableError('the passkey kept changing concurrently');
  }
}

/**
 * Pending passkey challenges in Redis, shared by every instance: each under its key with the TTL
 * it was given, taken once by an atomic script that leaves `'consumed'` in its place until the
 * TTL ends.
 *
 * Every method rejects with a `RedisUnavailableError` (latchkey answers 503
 * `store_unavailable`) when Redis cannot answer, within about a second.
 */
export class RedisChallengeStore implements ChallengeStore {
  readonly #redis: Connection;

  /** Connects to `url` (or uses your `client`); see {@link RedisStoreOptions}. */
  constructor(options: RedisStoreOptions) {
    this.#redis = new Connection(options, 'RedisChallengeStore', [CONSUME_CHALLENGE]);
  }

  /** The ioredis client in use, e.g. for a health check. */
  get client(): RedisClient {
    return this.#redis.client;
  }

  /** Keeps `record` for `ttlMs` (rounded up to whole milliseconds), replacing any entry. */
  async put(key: string, record: ChallengeRecord, ttlMs: number): Promise<void> {
    const redisKey = this.#redis.key('passkey-challenge', checkString('key', key));
    if (!isRecord(record)) throw new TypeError('record must be a ChallengeRecord.');
    const ttl = wholePositive('ttlMs', ttlMs);
    const json = JSON.stringify(record);
    await this.#redis.run((client) => client.set(redisKey, json, 'PX', ttl));
  }

  /**
   * The record, the first time; `'consumed'` on later calls while the entry lives; undefined for an
   * unknown or expired key (or an unreadable value). One atomic script.
   */
  async consume(key: string): Promise<ChallengeRecord | 'consumed' | undefined> {
    const redisKey = this.#redis.key('passkey-challenge', checkString('key', key));
    const raw = await this.#redis.run((client) => CONSUME_CHALLENGE.run(client, [redisKey], []));
    if (typeof raw !== 'string') return undefined;
    if (raw === 'consumed') return 'consumed';
    try {
      const record: unknown = JSON.parse(raw);
      return isRecord(record) ? (record as ChallengeRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops using Redis: disconnects a client created from `url`, leaves yours connected. */
  close(): Promise<void> {
    return this.#redis.close();
  }
}
