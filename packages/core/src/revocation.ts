import type { Awaitable } from './awaitable';
import type { ReplayCache } from './store';

/** What a revocation entry matches: one session of ours, an IdP session, or every session of a user. */
export type RevocationTarget =
  | {
      /**
       * latchkey's id of one session to revoke: signed out, failed to refresh, or replaced by a new
       * sign-in or a passkey step-up.
       */
      sessionId: string;
    }
  | {
      /** The IdP's session id (`sid` of a back-channel logout token): its sessions are revoked. */
      idpSid: string;
    }
  | {
      /** A user's `sub` (a logout token without `sid`): all their sessions are revoked. */
      sub: string;
    };

/** The parts of a session a revocation entry is matched against. */
export interface RevocationSubject {
  /** latchkey's own session id. */
  sessionId: string;
  /** The IdP's session id (`sid` claim of the ID token), if it has one. */
  idpSid: string | undefined;
  /** The user's subject identifier (`sub` claim). */
  sub: string;
  /** When the session was created, epoch milliseconds. */
  createdAt: number;
}

/**
 * Revocations for stateless cookie sessions, so that a signed-out session's cookie is refused.
 * Entries carry `revokedAt` and only match sessions created at or before it, so the user's next
 * sign-in works at once; they live as long as the longest session could.
 */
export interface RevocationList extends ReplayCache {
  /** Revokes matching sessions created at or before `revokedAt` (epoch ms), for `ttlSeconds`. */
  revoke(target: RevocationTarget, revokedAt: number, ttlSeconds: number): Promise<void>;
  /**
   * True when an entry matches `subject`. Asked on every request with a cookie session: a list in
   * memory answers synchronously, so that a cached session is read without any await.
   */
  isRevoked(subject: RevocationSubject): Awaitable<boolean>;
  /**
   * Forgets a key of `markSeen`, so that it counts as not seen: latchkey calls it when a
   * back-channel logout could not end its sessions, so that the IdP's retry is no replay.
   */
  forgetSeen(key: string): Promise<void>;
}
