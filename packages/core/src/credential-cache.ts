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
    // An exact copy: the credential is often a slice of a larger header string, kept alive by it.
    const copy = Buffer.from(credential, 'utf16le').toString('utf16le');
    this.entries.set(key, { credential: copy, value, expiresAt });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

const lastSegment = (credential: string) => credential.slice(credential.lastIndexOf('.') + 1);
