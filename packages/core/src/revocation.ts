/** What a revocation entry matches: one session of ours, an IdP session, or every session of a user. */
export type RevocationTarget = { sessionId: string } | { idpSid: string } | { sub: string };

/** The parts of a session a revocation entry is matched against. */
export interface RevocationSubject {
  sessionId: string;
  idpSid: string | undefined;
  sub: string;
  /** Epoch seconds. */
  createdAt: number;
}

/**
 * A list of revoked sessions, so that a copied cookie of a signed-out session is refused. Entries
 * carry `revokedAt` and only match sessions created at or before it, so the user's next sign-in
 * works at once; they expire with the longest session lifetime.
 */
export interface RevocationList {
  /** Revokes matching sessions created at or before `revokedAt` (epoch seconds), until `expiresAt`. */
  revoke(target: RevocationTarget, revokedAt: number, expiresAt: number): Promise<void>;
  /** True when a live entry matches `subject` at `now` (epoch seconds). */
  isRevoked(subject: RevocationSubject, now: number): Promise<boolean>;
}

interface Entry {
  revokedAt: number;
  expiresAt: number;
}

const keyOf = (target: RevocationTarget): string =>
  'sessionId' in target
    ? `s:${target.sessionId}`
    : 'idpSid' in target
      ? `i:${target.idpSid}`
      : `u:${target.sub}`;

/** A revocation list in this process's memory, bounded to `maxEntries` (oldest dropped first). */
export class MemoryRevocationList implements RevocationList {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  async revoke(target: RevocationTarget, revokedAt: number, expiresAt: number): Promise<void> {
    const key = keyOf(target);
    this.entries.delete(key);
    this.entries.set(key, { revokedAt, expiresAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  async isRevoked(subject: RevocationSubject, now: number): Promise<boolean> {
    if (this.entries.size === 0) return false;
    const keys = [`s:${subject.sessionId}`, `u:${subject.sub}`];
    if (subject.idpSid) keys.push(`i:${subject.idpSid}`);
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        continue;
      }
      if (subject.createdAt <= entry.revokedAt) return true;
    }
    return false;
  }
}
