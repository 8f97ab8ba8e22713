import type { RevocationList, RevocationSubject, RevocationTarget } from '@latchkey/core';
import { Connection, type RedisClient, type RedisStoreOptions, wholePositive } from './connection';
import { REVOKE } from './scripts';

/**
 * Revocations of stateless cookie sessions in Redis, shared by every instance of the app: a
 * signed-out session's cookie is refused everywhere. Also the replay cache of back-channel logout.
 * Sessions stay in their encrypted cookies; Redis holds only `revokedAt` per revoked session id,
 * IdP session and user.
 *
 * Every method rejects with a `RedisUnavailableError` (latchkey answers 503
 * `store_unavailable`) when Redis cannot answer, within about a second, and works again once
 * Redis is back.
 *
 * @example
 * const revocations = new RedisRevocationList({ url: process.env.REDIS_URL });
 * const auth = createLatchkey({ ...options, revocations });
 */
export class RedisRevocationList implements RevocationList {
  readonly #redis: Connection;

  /** Connects to `url` (or uses your `client`); see {@link RedisStoreOptions}. */
  constructor(options: RedisStoreOptions) {
    this.#redis = new Connection(options, 'RedisRevocationList', [REVOKE]);
  }

  /** The ioredis client in use, e.g. for a health check (`await revocations.client.ping()`). */
  get client(): RedisClient {
    return this.#redis.client;
  }

  #key(target: RevocationTarget): string {
    if (typeof target !== 'object' || target === null) {
      throw new TypeError('target must be { sessionId }, { idpSid } or { sub }.');
    }
    const [kind, value] =
      'sessionId' in target
        ? ['session', target.sessionId]
        : 'idpSid' in target
          ? ['sid', target.idpSid]
          : ['sub', target.sub];
    if (typeof value !== 'string') throw new TypeError(`target's ${kind} must be a string.`);
    return this.#redis.key('revoked', `${kind}:${value}`);
  }

  /**
   * Revokes the target's sessions created at or before `revokedAt` (epoch ms), remembered for
   * `ttlSeconds`. An entry already there keeps the later `revokedAt` and the longer lifetime.
   */
  async revoke(target: RevocationTarget, revokedAt: number, ttlSeconds: number): Promise<void> {
    const key = this.#key(target);
    if (typeof revokedAt !== 'number' || !Number.isFinite(revokedAt)) {
      throw new RangeError('revokedAt must be a finite number (epoch milliseconds).');
    }
    const ttlMs = wholePositive('ttlSeconds', ttlSeconds) * 1000;
    await this.#redis.run((client) =>
      REVOKE.run(client, [key], [String(revokedAt), String(ttlMs)]),
    );
  }

  /**
   * True when the session, its IdP session or its user was revoked at or after the session's
   * `createdAt`. One GET per entry, sent together (one round trip with auto-pipelining). An entry
   * that is not a number counts as revoking.
   */
  async isRevoked(subject: RevocationSubject): Promise<boolean> {
    if (typeof subject.createdAt !== 'number' || !Number.isFinite(subject.createdAt)) {
      throw new TypeError('subject.createdAt must be a finite number (epoch milliseconds).');
    }
    const keys = [this.#key({ sessionId: subject.sessionId }), this.#key({ sub: subject.sub })];
    if (subject.idpSid) keys.push(this.#key({ idpSid: subject.idpSid }));
    // One GET per key (auto-pipelined into one write): on Redis Cluster they live in other slots.
    const values = await this.#redis.run((client) =>
      Promise.all(keys.map((key) => client.get(key))),
    );
    return values.some((value) => {
      if (value === null) return false;
      const revokedAt = Number(value);
      return !Number.isFinite(revokedAt) || subject.createdAt <= revokedAt;
    });
  }

  /** Records `key` for `ttlSeconds`: true the first time, false on a replay (`SET NX EX`). */
  markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return this.#redis.markSeen(key, ttlSeconds);
  }

  /** Forgets a key recorded by `markSeen` (`DEL`): a failed logout's retry is no replay. */
  forgetSeen(key: string): Promise<void> {
    return this.#redis.forgetSeen(key);
  }

  /** Stops using Redis: disconnects a client created from `url`, leaves yours connected. */
  close(): Promise<void> {
    return this.#redis.close();
  }
}
