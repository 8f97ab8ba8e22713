/**
 * A bounded map from a credential in JOSE compact form (a JWS or a JWE) to what checking it
 * produced. An entry is found by the credential's last segment (the signature or the
 * authentication tag, which the issuer's key binds to every other byte) and returned only for
 * the identical credential, so a lookup costs a string comparison instead of a hash of the whole
 * credential. Entries expire at the time given to `set`; beyond `maxEntries` the oldest go first.
 * Only successes belong here: a failure must never be cached.
 */
export class CredentialCache<V> {
  private readonly entries = new Map<string, { credential: string; value: V; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  /** What `credential` (exactly) checked out as, unless that expired at or before `now` (epoch ms). */
  get(credential: string, now: number): V | undefined {
    const key = lastSegment(credential);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.credential !== credential) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers what `credential` checked out as, until `expiresAt` (epoch ms). */
  set(credential: string, value: V, expiresAt: number): void {
    const key = lastSegment(credential);
    this.entries.delete(key);
    this.entries.set(key, { credential: detached(credential), value, expiresAt });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

const lastSegment = (credential: string) => credential.slice(credential.lastIndexOf('.') + 1);

/**
 * A copy of `text` that shares no memory with it. V8 may keep a slice (the credential cut out of
 * an `Authorization` or `Cookie` header) as a view of the whole header string, so a cached slice
 * would pin every header it came from: bench/RESULTS.md, "Bounded memory" (1,000,000 distinct
 * tokens within 50 MB). A UTF-16 round trip is the cheapest copy that V8 cannot turn into a view.
 */
const detached = (text: string) => Buffer.from(text, 'utf16le').toString('utf16le');
