import type { RevocationList, RevocationSubject, RevocationTarget } from './revocation';
import type { ReplayCache, SessionFilter, SessionStore, StoredSession } from './store';

/**
 * A map whose entries expire, bounded to `maxEntries` (the entry written longest ago is dropped
 * first, and handed to `onEvict` when it had not expired yet). Time is read from `now` (epoch ms)
 * so tests can use a fake clock.
 */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
    private readonly onEvict?: (value: V) => void,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const [oldest, entry] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      if (entry.expiresAt > this.now()) this.onEvict?.(entry.value);
    }
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** True when `maxEntries` live entries are held (expired ones are dropped, oldest first). */
  full(): boolean {
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.maxEntries || entry.expiresAt > this.now()) break;
      this.entries.delete(key);
    }
    return this.entries.size >= this.maxEntries;
  }

  /** Values of live entries that match. */
  *filter(predicate: (value: V) => boolean): Generator<[string, V]> {
    for (const [key] of this.entries) {
      const value = this.get(key);
      if (value !== undefined && predicate(value)) yield [key, value];
    }
  }
}

/**
 * One-time values (logout-token and DPoP-proof `jti`s) seen by this process, until they expire.
 * Bounded: while it holds `maxEntries` values that have not expired, it refuses new ones (as
 * seen) rather than forget one that could then be replayed.
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly seen: ExpiringMap<true>;

  constructor(options: MemoryStoreOptions = {}) {
    this.seen = new ExpiringMap(options.maxEntries ?? 100_000, options.now ?? Date.now);
  }

  async markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    if (this.seen.get(key) || this.seen.full()) return false;
    this.seen.set(key, true, ttlSeconds * 1000);
    return true;
  }

  /** Forgets `key`, so that it counts as not seen (see `SessionStore.forgetSeen`). */
  async forgetSeen(key: string): Promise<void> {
    this.seen.delete(key);
  }
}

/** How long a destroyed session id is remembered (longer than any refresh can take). */
const ENDED_TTL_MS = 10 * 60 * 1000;

/** Options of the memory stores. */
export interface MemoryStoreOptions {
  /** Most entries kept; the oldest are dropped beyond it. Default 100000. */
  maxEntries?: number;
  /** Current time in epoch ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * Sessions in this process's memory: bounded and expiring, for a single instance (sessions end
 * when it restarts). Use `@latchkey/redis` for several instances.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions: ExpiringMap<StoredSession>;
  /** Ids of destroyed sessions, so a late `set` cannot bring one back. */
  private readonly ended: ExpiringMap<true>;
  private readonly seen: MemoryReplayCache;
  private readonly locks: ExpiringMap<symbol>;

  constructor(options: MemoryStoreOptions = {}) {
    const now = options.now ?? Date.now;
    const max = options.maxEntries ?? 100_000;
    this.sessions = new ExpiringMap(max, now);
    this.ended = new ExpiringMap(max, now);
    this.seen = new MemoryReplayCache({ maxEntries: max, now });
    this.locks = new ExpiringMap(max, now);
  }

  async get(sessionId: string): Promise<StoredSession | undefined> {
    return this.sessions.get(sessionId);
  }

  async set(sessionId: string, session: StoredSession, ttlSeconds: number): Promise<void> {
    if (this.ended.get(sessionId)) return;
    this.sessions.set(sessionId, structuredClone(session), ttlSeconds * 1000);
  }

  async destroy(sessionId: string): Promise<void> {
    this.end(sessionId);
  }

  private end(sessionId: string): void {
    if (this.sessions.delete(sessionId)) this.ended.set(sessionId, true, ENDED_TTL_MS);
  }

  async destroyBy(filter: SessionFilter): Promise<number> {
    const matches =
      'sub' in filter
        ? (session: StoredSession) => session.sub === filter.sub
        : (session: StoredSession) => session.idpSid === filter.idpSid;
    const ids = [...this.sessions.filter(matches)].map(([id]) => id);
    for (const id of ids) this.end(id);
    return ids.length;
  }

  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    if (this.locks.get(key)) return undefined;
    const token = Symbol(key);
    this.locks.set(key, token, ttlMs);
    return async () => {
      if (this.locks.get(key) === token) this.locks.delete(key);
    };
  }

  markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return this.seen.markSeen(key, ttlSeconds);
  }

  forgetSeen(key: string): Promise<void> {
    return this.seen.forgetSeen(key);
  }
}

/**
 * A revocation list (and seen-`jti` set) in this process's memory, bounded and expiring. It never
 * forgets a revocation before it expires: when `maxEntries` is reached, the oldest entries make
 * way for a watermark, and every session created at or before the newest `revokedAt` they held is
 * revoked too. Past the bound this signs out more users than asked (it fails closed); a busy app,
 * or more than one instance, wants `@latchkey/redis`'s list, which has no such bound.
 */
export class MemoryRevocationList implements RevocationList {
  /** `revokedAt` by what the entry targets: a session, an IdP session or a user. */
  private readonly bySessionId: ExpiringMap<number>;
  private readonly byIdpSid: ExpiringMap<number>;
  private readonly bySub: ExpiringMap<number>;
  private readonly seen: MemoryReplayCache;
  private readonly now: () => number;
  /** Sessions created at or before this (epoch ms) are revoked: what evicted entries stood for. */
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    const maxEntries = options.maxEntries ?? 100_000;
    const raise = (revokedAt: number) => {
      this.watermark = Math.max(this.watermark, revokedAt);
    };
    this.bySessionId = new ExpiringMap(maxEntries, this.now, raise);
    this.byIdpSid = new ExpiringMap(maxEntries, this.now, raise);
    this.bySub = new ExpiringMap(maxEntries, this.now, raise);
    this.seen = new MemoryReplayCache({ maxEntries, now: this.now });
  }

  async revoke(target: RevocationTarget, revokedAt: number, ttlSeconds: number): Promise<void> {
    if ('sessionId' in target) this.bySessionId.set(target.sessionId, revokedAt, ttlSeconds * 1000);
    else if ('idpSid' in target) this.byIdpSid.set(target.idpSid, revokedAt, ttlSeconds * 1000);
    else this.bySub.set(target.sub, revokedAt, ttlSeconds * 1000);
  }

  isRevoked(subject: RevocationSubject): boolean {
    const covers = (revokedAt: number | undefined) => subject.createdAt <= (revokedAt ?? -Infinity);
    return (
      subject.createdAt <= this.watermark ||
      covers(this.bySessionId.get(subject.sessionId)) ||
      covers(this.bySub.get(subject.sub)) ||
      (subject.idpSid !== undefined && covers(this.byIdpSid.get(subject.idpSid)))
    );
  }

  markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return this.seen.markSeen(key, ttlSeconds);
  }

  forgetSeen(key: string): Promise<void> {
    return this.seen.forgetSeen(key);
  }
}
