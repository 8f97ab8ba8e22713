import { ErrorCodes, LatchkeyError } from '@latchkey/core';

/**
 * The user's profile claims kept for passkey sign-in (`name`, `email`, `picture`, roles, ...): the
 * caller chooses them at registration, so a later passkey sign-in can rebuild a session without the
 * IdP. Plain JSON.
 */
export type PasskeyProfile = Record<string, unknown>;

/** A registered passkey, as the server keeps it. No attestation object is kept. */
export interface PasskeyCredential {
  /** The credential id (base64url, at most 1023 bytes decoded). Unique across all users. */
  id: string;
  /** The user it belongs to: the IdP's `sub`. */
  sub: string;
  /** The user handle the authenticator stored with it (base64url): random, stable per `sub`. */
  userHandle: string;
  /** The credential's public key, COSE-encoded. */
  publicKey: Uint8Array;
  /** The authenticator's signature counter at the last verified use (0 for most synced passkeys). */
  counter: number;
  /** How the browser can reach the authenticator (`'internal'`, `'hybrid'`, `'usb'`, ...). */
  transports: string[];
  /** `'multiDevice'` when the passkey can be synced (backup eligible), else `'singleDevice'`. */
  deviceType: 'singleDevice' | 'multiDevice';
  /** Whether the passkey was backed up (synced) at its last use. */
  backedUp: boolean;
  /** The authenticator model's AAGUID (all zeros when the authenticator does not say). */
  aaguid: string;
  /** The name the user gave it, or a readable default. */
  name: string;
  /** When it was registered, in epoch milliseconds. */
  createdAt: number;
  /** When it last signed the user in or stepped them up, in epoch milliseconds; null before. */
  lastUsedAt: number | null;
}

/** What a verified sign-in with a passkey changes on it. */
export interface CredentialUse {
  /** The signature counter the authenticator reported. */
  counter: number;
  /** Whether the authenticator reports the passkey backed up now. */
  backedUp: boolean;
  /** When, in epoch milliseconds. */
  usedAt: number;
}

/**
 * The counter rule (WebAuthn §6.1.1 and §7.2): a reported counter must be greater than the
 * stored one, except that a passkey which always reports 0 (most synced passkeys) stays at 0.
 */
export function counterAdvances(stored: number, reported: number): boolean {
  return reported > stored || (reported === 0 && stored === 0);
}

/**
 * Where passkeys live, with each user's handle and stored profile. Every method rejects when the
 * backing service is unreachable. `@latchkey/redis` will implement it for several instances; the
 * memory version serves one process.
 */
export interface CredentialStore {
  /**
   * The user handle of `sub`. When `sub` has none yet, stores `candidate` (fresh random bytes) and
   * resolves it. Atomic: concurrent calls for one `sub` all resolve the same handle.
   */
  userHandleOf(sub: string, candidate: string): Promise<string>;
  /**
   * Stores a new passkey unless a passkey with its id is already registered, to this or any other
   * user: then it resolves false and changes nothing. Atomic across instances.
   */
  create(credential: PasskeyCredential): Promise<boolean>;
  /** The passkey with this credential id, or undefined. */
  get(id: string): Promise<PasskeyCredential | undefined>;
  /** The passkeys of `sub`, oldest first. */
  listByUser(sub: string): Promise<PasskeyCredential[]>;
  /**
   * Records a verified use, atomically: when {@link counterAdvances} from the stored counter to
   * `use.counter`, stores the counter, `backedUp` and `lastUsedAt` and resolves the updated passkey;
   * otherwise changes nothing and resolves `'regressed'`. Resolves undefined when the passkey is
   * gone.
   */
  recordUse(id: string, use: CredentialUse): Promise<PasskeyCredential | 'regressed' | undefined>;
  /** Renames the passkey `id` of `sub`; resolves false when `sub` has no such passkey. */
  rename(id: string, sub: string, name: string): Promise<boolean>;
  /** Deletes the passkey `id` of `sub`; resolves false when `sub` has no such passkey. */
  delete(id: string, sub: string): Promise<boolean>;
  /** Stores (replaces) the profile of `sub`. */
  setProfile(sub: string, profile: PasskeyProfile): Promise<void>;
  /** The stored profile of `sub`, or undefined. */
  getProfile(sub: string): Promise<PasskeyProfile | undefined>;
  /**
   * Forgets a user: their passkeys, user handle and profile (account deletion). Resolves how many
   * passkeys were deleted.
   */
  deleteUser(sub: string): Promise<number>;
}

/** Options of {@link MemoryCredentialStore}. */
export interface MemoryCredentialStoreOptions {
  /** Most passkeys kept; registering more is refused. Default 100000. */
  maxCredentials?: number;
  /** Most users (user handles and profiles) kept; more are refused. Default 100000. */
  maxUsers?: number;
}

/**
 * Passkeys in this process's memory, for tests and development: they are gone when the process
 * ends. Bounded: past its limits it refuses new passkeys and users (`store_unavailable`) rather
 * than forget anyone's. Everything goes in and out as a copy.
 */
export class MemoryCredentialStore implements CredentialStore {
  private readonly credentials = new Map<string, PasskeyCredential>();
  private readonly users = new Map<
    string,
    { userHandle?: string; profile?: PasskeyProfile; ids: Set<string> }
  >();
  private readonly maxCredentials: number;
  private readonly maxUsers: number;

  constructor(options: MemoryCredentialStoreOptions = {}) {
    this.maxCredentials = options.maxCredentials ?? 100_000;
    this.maxUsers = options.maxUsers ?? 100_000;
  }

  private user(sub: string) {
    let user = this.users.get(sub);
    if (!user) {
      if (this.users.size >= this.maxUsers) full(`maxUsers ${this.maxUsers}`);
      user = { ids: new Set() };
      this.users.set(sub, user);
    }
    return user;
  }

  async userHandleOf(sub: string, candidate: string): Promise<string> {
    const user = this.user(sub);
    user.userHandle ??= candidate;
    return user.userHandle;
  }

  async create(credential: PasskeyCredential): Promise<boolean> {
    if (this.credentials.has(credential.id)) return false;
    if (this.credentials.size >= this.maxCredentials) full(`maxCredentials ${this.maxCredentials}`);
    this.user(credential.sub).ids.add(credential.id);
    this.credentials.set(credential.id, structuredClone(credential));
    return true;
  }

  async get(id: string): Promise<PasskeyCredential | undefined> {
    const credential = this.credentials.get(id);
    return credential && structuredClone(credential);
  }

  async listByUser(sub: string): Promise<PasskeyCredential[]> {
    const ids = this.users.get(sub)?.ids ?? [];
    return [...ids]
      .map((id) => structuredClone(this.credentials.get(id)!))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async recordUse(
    id: string,
    use: CredentialUse,
  ): Promise<PasskeyCredential | 'regressed' | undefined> {
    const credential = this.credentials.get(id);
    if (!credential) return undefined;
    if (!counterAdvances(credential.counter, use.counter)) return 'regressed';
    credential.counter = use.counter;
    credential.backedUp = use.backedUp;
    credential.lastUsedAt = use.usedAt;
    return structuredClone(credential);
  }

  async rename(id: string, sub: string, name: string): Promise<boolean> {
    const credential = this.credentials.get(id);
    if (credential?.sub !== sub) return false;
    credential.name = name;
    return true;
  }

  async delete(id: string, sub: string): Promise<boolean> {
    if (this.credentials.get(id)?.sub !== sub) return false;
    this.credentials.delete(id);
    this.users.get(sub)?.ids.delete(id);
    return true;
  }

  async setProfile(sub: string, profile: PasskeyProfile): Promise<void> {
    this.user(sub).profile = structuredClone(profile);
  }

  async getProfile(sub: string): Promise<PasskeyProfile | undefined> {
    const profile = this.users.get(sub)?.profile;
    return profile && structuredClone(profile);
  }

  async deleteUser(sub: string): Promise<number> {
    const ids = this.users.get(sub)?.ids ?? new Set<string>();
    for (const id of ids) this.credentials.delete(id);
    this.users.delete(sub);
    return ids.size;
  }
}

const full = (limit: string): never => {
  throw new LatchkeyError(
    ErrorCodes.storeUnavailable,
    `MemoryCredentialStore is full (${limit}): use a persistent credential store.`,
  );
};
