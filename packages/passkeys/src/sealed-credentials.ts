import { createHash } from 'node:crypto';
import type { Keyring } from '@latchkey/core';
import type {
  CredentialStore,
  CredentialUse,
  PasskeyCredential,
  PasskeyProfile,
} from './credential-store';

/** SHA-256 of a public key, base64url. */
const digest = (publicKey: Uint8Array) =>
  createHash('sha256').update(publicKey).digest('base64url');

/** Seals never expire on their own: a passkey lives until it is removed (epoch seconds, year 9999). */
const NEVER = 253_402_300_799;

/**
 * What a passkey's `name` holds in the store: its owner and its name, sealed together with what
 * makes it that passkey (its id, a digest of its public key, its user handle), so that none of
 * those can be swapped under it.
 */
interface SealedName {
  sub: string;
  name: string;
  id: string;
  key: string;
  userHandle: string;
}

/** What a profile holds in the store: its owner and the claims, sealed together. */
interface SealedProfile {
  sub: string;
  profile: PasskeyProfile;
}

/**
 * A {@link CredentialStore} as the app's secrets let the store see it: users are named by an HMAC
 * of their `sub`, and each passkey's name and each profile (the claims a passkey sign-in rebuilds a
 * session from) are sealed (JWE) together with the `sub` they belong to, so a record moved to
 * another user, or given another public key or user handle, opens to nothing. Public keys, counters
 * and user handles (random) are stored as they are.
 * Under rotated secrets, users stored under an older secret are still found.
 */
export class SealedCredentials implements CredentialStore {
  constructor(
    private readonly inner: CredentialStore,
    private readonly keyring: Keyring,
  ) {}

  /** The name the store knows `sub` by: the first secret's, or an older one it was stored under. */
  async #user(sub: string): Promise<string> {
    const [current, ...older] = this.keyring.tags('passkey-key', sub);
    for (const tag of older) {
      const known =
        (await this.inner.getProfile(tag)) !== undefined ||
        (await this.inner.listByUser(tag)).length > 0;
      if (known) return tag;
    }
    return current!;
  }

  #seal(value: SealedName | SealedProfile): Promise<string> {
    return this.keyring.seal('passkey', value, NEVER);
  }

  async #unseal<T extends { sub: string }>(sealed: unknown, tag: string): Promise<T | undefined> {
    if (typeof sealed !== 'string') return undefined;
    const opened = await this.keyring.unseal<T>('passkey', sealed, Math.floor(Date.now() / 1000));
    const value = opened?.value;
    return typeof value?.sub === 'string' &&
      this.keyring.tags('passkey-key', value.sub).includes(tag)
      ? value
      : undefined;
  }

  /** The sealed `name` of `credential` (its real owner and name). */
  #sealName(credential: PasskeyCredential, sub: string, name: string): Promise<string> {
    const { id, publicKey, userHandle } = credential;
    return this.#seal({ sub, name, id, key: digest(publicKey), userHandle });
  }

  /**
   * A stored passkey as its owner knows it; undefined when it does not open under its owner, or
   * its id, public key or user handle is not the one sealed with it.
   */
  async #open(stored: PasskeyCredential | undefined): Promise<PasskeyCredential | undefined> {
    if (!stored) return undefined;
    const named = await this.#unseal<SealedName>(stored.name, stored.sub);
    const intact =
      named?.id === stored.id &&
      named.key === digest(stored.publicKey) &&
      named.userHandle === stored.userHandle;
    return intact ? { ...stored, sub: named.sub, name: named.name } : undefined;
  }

  async userHandleOf(sub: string, candidate: string): Promise<string> {
    return this.inner.userHandleOf(await this.#user(sub), candidate);
  }

  async create(credential: PasskeyCredential): Promise<boolean> {
    const { sub, name } = credential;
    return this.inner.create({
      ...credential,
      sub: await this.#user(sub),
      name: await this.#sealName(credential, sub, name),
    });
  }

  async get(id: string): Promise<PasskeyCredential | undefined> {
    return this.#open(await this.inner.get(id));
  }

  async listByUser(sub: string): Promise<PasskeyCredential[]> {
    const opened = await Promise.all(
      (await this.inner.listByUser(await this.#user(sub))).map((stored) => this.#open(stored)),
    );
    return opened.filter((credential) => credential !== undefined);
  }

  async recordUse(
    id: string,
    use: CredentialUse,
  ): Promise<PasskeyCredential | 'regressed' | undefined> {
    const used = await this.inner.recordUse(id, use);
    return used === 'regressed' ? used : this.#open(used);
  }

  async rename(id: string, sub: string, name: string): Promise<boolean> {
    const credential = await this.get(id);
    if (credential?.sub !== sub) return false;
    return this.inner.rename(
      id,
      await this.#user(sub),
      await this.#sealName(credential, sub, name),
    );
  }

  async delete(id: string, sub: string): Promise<boolean> {
    // Under every name of the user: records a rolling rotation split between them go too.
    let deleted = false;
    for (const tag of this.keyring.tags('passkey-key', sub)) {
      deleted = (await this.inner.delete(id, tag)) || deleted;
    }
    return deleted;
  }

  async setProfile(sub: string, profile: PasskeyProfile): Promise<void> {
    const sealed = await this.#seal({ sub, profile });
    await this.inner.setProfile(await this.#user(sub), { sealed });
  }

  async getProfile(sub: string): Promise<PasskeyProfile | undefined> {
    const tag = await this.#user(sub);
    const stored = await this.inner.getProfile(tag);
    return (await this.#unseal<SealedProfile>(stored?.sealed, tag))?.profile;
  }

  async deleteUser(sub: string): Promise<number> {
    let deleted = 0;
    for (const tag of this.keyring.tags('passkey-key', sub)) {
      deleted += await this.inner.deleteUser(tag);
    }
    return deleted;
  }
}
