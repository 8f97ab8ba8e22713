/**
 * Server-side state shared by every instance of an app: sessions (when a store is configured),
 * revocations (stateless cookie sessions) and the seen-`jti` set of back-channel logout.
 * `@latchkey/redis` implements these on Redis; the memory versions serve one process.
 */

/**
 * What a store keeps per session: the indexes it needs plus the record, opaque to it. latchkey
 * hands a store no secret and no personal data: the session ids it passes, and these indexes, are
 * HMACs under the app's secrets, and the record is sealed (encrypted and authenticated).
 */
export interface StoredSession {
  /** The user (an HMAC of `sub`), indexed for `destroyBy({ sub })`. */
  sub: string;
  /** The IdP session (an HMAC of the `sid` claim), indexed for `destroyBy({ idpSid })`. */
  idpSid?: string | undefined;
  /** The sealed session record: plain JSON, opaque to the store. */
  data: Record<string, unknown>;
}

/**
 * Which sessions `destroyBy` ends: those of one IdP session, or every session of a user. A
 * {@link SessionStore} receives the same HMACs it was given in {@link StoredSession}.
 */
export type SessionFilter =
  | {
      /** The IdP's session id (`sid` claim): the sessions of that IdP session. */
      idpSid: string;
    }
  | {
      /** A user's subject identifier: every session of that user. */
      sub: string;
    };

/** Remembers one-time values (a logout token's `jti`) so a replay is detected. */
export interface ReplayCache {
  /**
   * Records `key` for `ttlSeconds`. Resolves true when it was not seen before, false on a replay.
   * Must be atomic across instances.
   */
  markSeen(key: string, ttlSeconds: number): Promise<boolean>;
}

/**
 * Where sessions live when they do not live in the cookie. The cookie then carries only an opaque
 * random session id, and the tokens stay on the server. Every method rejects when the backing
 * service is unreachable; latchkey answers `store_unavailable` (503) and never hangs on it.
 */
export interface SessionStore extends ReplayCache {
  /** The session, or undefined when absent or expired. */
  get(sessionId: string): Promise<StoredSession | undefined>;
  /**
   * Creates or replaces a session that expires after `ttlSeconds`. latchkey never reuses a session
   * id, so a `set` of an id that was destroyed (a refresh finishing after a logout) must be
   * ignored rather than bring the session back.
   */
  set(sessionId: string, session: StoredSession, ttlSeconds: number): Promise<void>;
  /** Ends one session. */
  destroy(sessionId: string): Promise<void>;
  /**
   * Forgets a key of `markSeen`, so that it counts as not seen: latchkey calls it when a
   * back-channel logout could not end its sessions, so that the IdP's retry is no replay.
   */
  forgetSeen(key: string): Promise<void>;
  /** Ends every session matching the filter; resolves how many ended. */
  destroyBy(filter: SessionFilter): Promise<number>;
  /**
   * Takes a short exclusive lock (across instances) named `key`, held at most `ttlMs`. Resolves a
   * release function, or undefined when someone else holds it.
   */
  lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}
