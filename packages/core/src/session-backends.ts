import { type Awaitable, andThen, isPromiseLike } from './awaitable';
import type { ResolvedConfig } from './config';
import {
  type CookieReader,
  clearChunkedCookie,
  readChunkedCookie,
  writeChunkedCookie,
} from './cookies';
import { CredentialCache } from './credential-cache';
import { timed } from './debug';
import { ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
import type { RevocationList } from './revocation';
import type { Keyring } from './seal';
import { expiryOf, logoutSubjectOf, readRecord, type SessionRecord } from './session-record';
import type { SessionFilter, SessionStore, StoredSession } from './store';

/** Outcome of reading a request's session. */
export type ReadResult =
  | { record: SessionRecord; problem?: undefined }
  | { record?: undefined; problem: LatchkeyError | undefined };

/**
 * Where sessions live: sealed in the cookie (stateless) or in a {@link SessionStore} with only an
 * opaque id in the cookie. Everything else in latchkey is the same for both.
 */
export interface SessionBackend {
  /**
   * The request's session, checked for seal, expiry and revocation. Never throws for bad input.
   * Synchronous when memory can answer (a cached cookie session and an in-memory revocation list).
   */
  read(cookies: CookieReader, now: number): Awaitable<ReadResult>;
  /** Saves the record; resolves the `Set-Cookie` lines the response must carry. */
  save(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]>;
  /**
   * Saves a session that exists already (a rolling session made active again); one that ended
   * meanwhile stays ended. Resolves the `Set-Cookie` lines.
   */
  touch(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]>;
  /** The `Set-Cookie` lines for a record already saved (by {@link coordinateRefresh}). */
  cookiesFor(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]>;
  /** Ends one session (logout); resolves the `Set-Cookie` lines that clear it. */
  end(record: SessionRecord | undefined, cookies: CookieReader, now: number): Promise<string[]>;
  /** Ends every session of an IdP session or user (back-channel logout). */
  endBy(filter: SessionFilter, now: number): Promise<void>;
  /** Records a back-channel logout token's `jti`; false when it was seen before. */
  markSeen(key: string, ttlSeconds: number): Promise<boolean>;
  /** Forgets a `jti` recorded by {@link markSeen}, whose logout then failed. */
  forgetSeen(key: string): Promise<void>;
  /**
   * Runs `refresh` so that only one instance refreshes a session at a time, and saves its result
   * where other instances see it. Resolves the refreshed record, or the record another instance
   * refreshed meanwhile.
   */
  coordinateRefresh(
    record: SessionRecord,
    refresh: (current: SessionRecord) => Promise<SessionRecord>,
  ): Promise<SessionRecord>;
  /** `Set-Cookie` lines that delete the session cookie. */
  clear(cookies: CookieReader): string[];
}

const invalidCookie = () =>
  new LatchkeyError(
    ErrorCodes.sessionInvalid,
    'The session cookie could not be read: it was altered, truncated or sealed with an unknown secret.',
  );
const expired = () =>
  new LatchkeyError(ErrorCodes.sessionExpired, 'The session has expired; sign in again.');
const revoked = () =>
  new LatchkeyError(ErrorCodes.sessionRevoked, 'The session was signed out; sign in again.');
const unreadableRecord = () =>
  new LatchkeyError(
    ErrorCodes.sessionInvalid,
    'The stored session could not be opened: it was altered, moved or sealed with an unknown secret.',
  );

/** A store failure as `store_unavailable` (latchkey's own errors pass through). */
function storeFailure(cause: unknown): never {
  if (isLatchkeyError(cause)) throw cause;
  throw new LatchkeyError(
    ErrorCodes.storeUnavailable,
    'The session store is unavailable; try again shortly.',
    { cause },
  );
}

/** Runs a store call (synchronous or not); a failure becomes `store_unavailable`. */
function viaStore<T>(operation: () => Awaitable<T>): Awaitable<T> {
  try {
    const result = operation();
    return isPromiseLike(result) ? Promise.resolve(result).catch(storeFailure) : result;
  } catch (cause) {
    storeFailure(cause);
  }
}

/** `Set-Cookie` lines that delete the session cookie, whichever shape the request sent it in. */
const clearSessionCookie = (config: ResolvedConfig, cookies: CookieReader) =>
  clearChunkedCookie(config.sessionCookie, cookies, config.secure, config.sessionCookieChunks);

const maxAgeOf = (record: SessionRecord, config: ResolvedConfig, now: number) =>
  Math.floor((expiryOf(record, config) - now) / 1000);

/**
 * When a session's seal expires (epoch seconds): a minute after the session can last, so that
 * expiry is reported as such, not as tampering.
 */
const sealExpiry = (record: SessionRecord, config: ResolvedConfig) =>
  Math.floor(record.createdAt / 1000) + config.absoluteTimeout + 60;

/** Seconds a revocation or a seen `jti` must be remembered: as long as any session can live. */
const rememberFor = (config: ResolvedConfig) => config.absoluteTimeout + 60;

/** Most unsealed sessions kept in memory, so a busy session is decrypted once, not per request. */
const UNSEALED_CACHE_SIZE = 10_000;

/**
 * Sessions sealed (JWE) in chunked cookies; sign-outs kept in a revocation list. Unsealed records
 * are cached by sealed value (the same bytes always open to the same record); every read still
 * checks expiry and revocation, and an entry never outlives its seal.
 */
export class CookieSessions implements SessionBackend {
  private readonly unsealed = new CredentialCache<SessionRecord>(UNSEALED_CACHE_SIZE);

  constructor(
    private readonly config: ResolvedConfig,
    private readonly keyring: Keyring,
    private readonly revocations: RevocationList,
  ) {}

  private async unseal(sealed: string, now: number): Promise<SessionRecord | null> {
    const opened = await this.keyring.unseal<unknown>('session', sealed, Math.floor(now / 1000));
    const record = readRecord(opened?.value);
    if (!opened || !record) return null;
    this.unsealed.set(sealed, record, opened.expiresAt * 1000);
    return record;
  }

  read(cookies: CookieReader, now: number): Awaitable<ReadResult> {
    const sealed = readChunkedCookie(
      this.config.sessionCookie,
      cookies,
      this.config.sessionCookieChunks,
    );
    if (sealed === undefined) return { problem: undefined };
    if (sealed === null) return { problem: invalidCookie() };
    const cached = this.unsealed.get(sealed, now);
    if (cached) return this.check(cached, now);
    return this.unseal(sealed, now).then((record) =>
      record ? this.check(record, now) : { problem: invalidCookie() },
    );
  }

  /** Expiry and revocation, checked on every read. */
  private check(record: SessionRecord, now: number): Awaitable<ReadResult> {
    if (expiryOf(record, this.config) <= now) return { problem: expired() };
    const isRevoked = viaStore(() =>
      this.revocations.isRevoked({
        sessionId: record.sessionId,
        ...logoutSubjectOf(record),
        createdAt: record.createdAt,
      }),
    );
    return andThen(isRevoked, (revokedNow) => (revokedNow ? { problem: revoked() } : { record }));
  }

  save(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]> {
    return this.cookiesFor(record, cookies, now);
  }

  touch(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]> {
    return this.cookiesFor(record, cookies, now);
  }

  async cookiesFor(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]> {
    const sealUntil = sealExpiry(record, this.config);
    const sealed = await this.keyring.seal('session', record, sealUntil);
    if (sealed.length > this.config.maxSessionSize) {
      throw new LatchkeyError(
        ErrorCodes.sessionTooLarge,
        `The sealed session is ${sealed.length} bytes, over session.maxSize (${this.config.maxSessionSize}); ` +
          'ask the IdP for fewer claims or use a session store.',
      );
    }
    return writeChunkedCookie(
      this.config.sessionCookie,
      sealed,
      { secure: this.config.secure, maxAge: maxAgeOf(record, this.config, now) },
      cookies,
      this.config.sessionCookieChunks,
    );
  }

  async end(
    record: SessionRecord | undefined,
    cookies: CookieReader,
    now: number,
  ): Promise<string[]> {
    if (record) {
      await viaStore(() =>
        this.revocations.revoke({ sessionId: record.sessionId }, now, rememberFor(this.config)),
      );
    }
    return this.clear(cookies);
  }

  async endBy(filter: SessionFilter, now: number): Promise<void> {
    await viaStore(() => this.revocations.revoke(filter, now, rememberFor(this.config)));
  }

  async markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return viaStore(() => this.revocations.markSeen(key, ttlSeconds));
  }

  async forgetSeen(key: string): Promise<void> {
    await viaStore(() => this.revocations.forgetSeen(key));
  }

  coordinateRefresh(
    record: SessionRecord,
    refresh: (current: SessionRecord) => Promise<SessionRecord>,
  ): Promise<SessionRecord> {
    // Stateless sessions have nothing shared to lock: one refresh per process (see TokenRefresher).
    return refresh(record);
  }

  clear(cookies: CookieReader): string[] {
    return clearSessionCookie(this.config, cookies);
  }
}

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const LOCK_MS = 10_000;
const LOCK_POLL_MS = 50;

const sealedOf = (data: Record<string, unknown> | undefined) =>
  typeof data?.jwe === 'string' ? data.jwe : undefined;

const foundOrNot = (stored: StoredSession | undefined) => (stored ? 'found one' : 'found none');
const firstOrReplay = (first: boolean) => (first ? 'first use' : 'replay');
const takenOrNot = (release: unknown) => (release ? 'taken' : 'held elsewhere');

/**
 * Sessions in a {@link SessionStore}; the cookie holds only a random 256-bit session id. The store
 * sees no secret and no personal data: each record is sealed (JWE, a key of its own purpose) and
 * opens only under the session id it was written for, and the store's keys and indexes are HMACs
 * of the session id, `sub` and IdP `sid`. Under rotated secrets, records written with an older
 * secret are still found, and sign-outs end them.
 */
export class StoreSessions implements SessionBackend {
  private readonly unsealed = new CredentialCache<SessionRecord>(UNSEALED_CACHE_SIZE);
  /** Store names of recently seen session ids (see {@link names}). */
  private readonly sessionNames = new CredentialCache<string[]>(UNSEALED_CACHE_SIZE);

  constructor(
    private readonly config: ResolvedConfig,
    private readonly store: SessionStore,
    private readonly keyring: Keyring,
  ) {}

  /** A store call, its failure as `store_unavailable`; with `debug`, logged and timed. */
  private call<T>(what: string, operation: () => Promise<T>, outcome?: (result: T) => string) {
    return timed(this.config.log, `store: ${what}`, async () => viaStore(operation), outcome);
  }

  /** The store's names of a session id, a `sub` or a `sid`: current secret first. */
  private tags(value: string): string[] {
    return this.keyring.tags('store-key', value);
  }

  /**
   * A session id's store names, remembered: its HMACs cost more than the cached store read they
   * lead to (bench row `express-latchkey-redis-cached`). They never change for a given id and
   * secrets.
   */
  private names(sessionId: string): string[] {
    let names = this.sessionNames.get(sessionId, 0);
    if (names === undefined) {
      names = this.tags(sessionId);
      this.sessionNames.set(sessionId, names, Number.POSITIVE_INFINITY);
    }
    return names;
  }

  /**
   * The session's record and the key it is stored under (the first of its names the store holds:
   * every instance finds the same one, whichever secret it lists first). `record` is null when the
   * stored record does not open to this session; undefined when none is stored (it ended).
   */
  private async find(
    sessionId: string,
  ): Promise<{ key: string; record: SessionRecord | null } | undefined> {
    for (const key of this.names(sessionId)) {
      const stored = await this.call('get', () => this.store.get(key), foundOrNot);
      if (stored) return { key, record: await this.open(sealedOf(stored.data), sessionId) };
    }
    return undefined;
  }

  /** {@link find}'s record, or the session's problem: it ended, or its record does not open. */
  private async load(sessionId: string): Promise<{ key: string; record: SessionRecord }> {
    const found = await this.find(sessionId);
    if (!found) throw revoked();
    if (!found.record) throw unreadableRecord();
    return found as { key: string; record: SessionRecord };
  }

  private async open(jwe: string | undefined, sessionId: string): Promise<SessionRecord | null> {
    if (jwe === undefined) return null;
    const now = this.config.now();
    let record = this.unsealed.get(jwe, now);
    if (!record) {
      const opened = await this.keyring.unseal<unknown>('store', jwe, Math.floor(now / 1000));
      const read = readRecord(opened?.value);
      if (!opened || !read) return null;
      this.unsealed.set(jwe, read, opened.expiresAt * 1000);
      record = read;
    }
    // A record moved to another session's key opens, but is not that session's.
    return record.sessionId === sessionId ? record : null;
  }

  async read(cookies: CookieReader, now: number): Promise<ReadResult> {
    const sessionId = cookies.get(this.config.sessionCookie);
    if (sessionId === undefined) return { problem: undefined };
    if (!SESSION_ID_PATTERN.test(sessionId)) return { problem: invalidCookie() };
    const found = await this.find(sessionId);
    if (!found) return { problem: revoked() };
    if (!found.record) return { problem: unreadableRecord() };
    if (expiryOf(found.record, this.config) <= now) return { problem: expired() };
    return { record: found.record };
  }

  /** Writes `record` under `key`; a session ended meanwhile stays ended (see `SessionStore.set`). */
  private async persist(record: SessionRecord, now: number, key: string): Promise<void> {
    const { sub, idpSid } = logoutSubjectOf(record);
    const sealUntil = sealExpiry(record, this.config);
    const session: StoredSession = {
      sub: this.tags(sub)[0]!,
      ...(idpSid === undefined ? {} : { idpSid: this.tags(idpSid)[0]! }),
      data: { jwe: await this.keyring.seal('store', record, sealUntil) },
    };
    const ttl = Math.max(1, maxAgeOf(record, this.config, now));
    await this.call('set', () => this.store.set(key, session, ttl));
  }

  async save(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]> {
    // A new session id: stored under the first secret's name.
    await this.persist(record, now, this.names(record.sessionId)[0]!);
    return this.cookiesFor(record, cookies, now);
  }

  async touch(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]> {
    // Where it is: under one secret, its only name (the store drops a write to an ended session);
    // under rotated ones, the name it is stored under, and no write when it is stored under none.
    const keys = this.names(record.sessionId);
    const key = keys.length === 1 ? keys[0] : (await this.find(record.sessionId))?.key;
    if (key) await this.persist(record, now, key);
    return this.cookiesFor(record, cookies, now);
  }

  async cookiesFor(record: SessionRecord, cookies: CookieReader, now: number): Promise<string[]> {
    return writeChunkedCookie(
      this.config.sessionCookie,
      record.sessionId,
      { secure: this.config.secure, maxAge: maxAgeOf(record, this.config, now) },
      cookies,
      this.config.sessionCookieChunks,
    );
  }

  async end(record: SessionRecord | undefined, cookies: CookieReader): Promise<string[]> {
    if (record) {
      const keys = this.names(record.sessionId);
      await Promise.all(keys.map((key) => this.call('destroy', () => this.store.destroy(key))));
    }
    return this.clear(cookies);
  }

  async endBy(filter: SessionFilter): Promise<void> {
    const tagged: SessionFilter[] =
      'sub' in filter
        ? this.tags(filter.sub).map((sub) => ({ sub }))
        : this.tags(filter.idpSid).map((idpSid) => ({ idpSid }));
    await Promise.all(
      tagged.map((each) => this.call('destroyBy', () => this.store.destroyBy(each))),
    );
  }

  async markSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return this.call('markSeen', () => this.store.markSeen(key, ttlSeconds), firstOrReplay);
  }

  async forgetSeen(key: string): Promise<void> {
    await this.call('forgetSeen', () => this.store.forgetSeen(key));
  }

  /**
   * Takes the session's refresh lock in the store. Whoever waits for it re-reads the session
   * afterwards: when the refresh token changed, another instance already refreshed and its result
   * is used, so a rotated refresh token is never spent twice.
   */
  async coordinateRefresh(
    record: SessionRecord,
    refresh: (current: SessionRecord) => Promise<SessionRecord>,
  ): Promise<SessionRecord> {
    const deadline = this.config.now() + this.config.idpTimeout + LOCK_MS;
    // The lock is named after the key the session is stored under, the same on every instance.
    const lockKey = `refresh:${(await this.load(record.sessionId)).key}`;
    for (;;) {
      const release = await this.call('lock', () => this.store.lock(lockKey, LOCK_MS), takenOrNot);
      if (release) {
        try {
          const { key, record: current } = await this.load(record.sessionId);
          if (current.rt !== record.rt) return current;
          const refreshed = await refresh(current);
          await this.persist(refreshed, this.config.now(), key);
          return refreshed;
        } finally {
          await release().catch(() => {});
        }
      }
      const { record: current } = await this.load(record.sessionId);
      if (current.rt !== record.rt) return current;
      if (this.config.now() > deadline) {
        throw new LatchkeyError(
          ErrorCodes.storeUnavailable,
          'Timed out waiting for another instance to refresh the session.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }

  clear(cookies: CookieReader): string[] {
    return clearSessionCookie(this.config, cookies);
  }
}
