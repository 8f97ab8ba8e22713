import type { Keyring } from '@latchkey/core';
import type {
  CredentialStore,
  CredentialUse,
  PasskeyCredential,
  PasskeyProfile,
} from './credential-store';

/** Seals never expire on their own: a passkey lives until it is removed (epoch seconds, year 9999). */
const NEVER = 253_402_300_799;

/** What a passkey's `name` holds in the store: its owner and its name, sealed together. */
interface SealedName {
  sub: string;
  name: string;
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
 * another user opens to nothing. Public keys, counters and user handles (random) stay as they are.
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

  /** A stored passkey as its owner knows it; undefined when it does not open under its owner. */
  async #open(stored: PasskeyCredential | undefined): Promise<PasskeyCredential | undefined> {
    if (!stored) return undefined;
    const named = await this.#unseal<SealedName>(stored.name, stored.sub);
    return named && { ...stored, sub: named.sub, name: named.name };
  }

  async userHandleOf(sub: string, candidate: string): Promise<string> {
    return this.inner.userHandleOf(await this.#user(sub), candidate);
  }

  async create(credential: PasskeyCredential): Promise<boolean> {
    const { sub, name } = credential;
    return this.inner.create({
      ...credential,
      sub: await this.#user(sub),
      name: await this.#seal({ sub, name }),
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
    return this.inner.rename(id, await this.#user(sub), await this.#seal({ sub, name }));
  }

  async delete(id: string, sub: string): Promise<boolean> {
    return this.inner.delete(id, await this.#user(sub));
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
    return this.inner.deleteUser(await this.#user(sub));
  }
}
