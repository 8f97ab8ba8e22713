import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Models whose artefacts belong to a grant and die with it. */
const GRANT_MEMBERS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/** How many writes between two sweeps of expired entries. */
const SWEEP_EVERY = 500;

/**
 * In-memory storage for every oidc-provider model of one dev IdP. It outlives
 * provider instances, which is what lets {@link DevIdp.rotateKeys} swap the
 * provider without losing sessions, grants, codes or tokens. Unlike
 * oidc-provider's built-in development adapter it is not shared between dev IdPs
 * running in the same process and has no size cap.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  /** Secondary index: session `uid` or `userCode` to the entry key. */
  readonly #lookups = new Map<string, string>();
  /** Grant id to the keys of the artefacts issued under it. */
  readonly #grants = new Map<string, Set<string>>();
  #writes = 0;

  /** The adapter oidc-provider uses for `model` (pass `(name) => store.adapterFor(name)` as `adapter`). */
  adapterFor(model: string): Adapter {
    const key = (id: string): string => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        this.#set(key(id), payload, expiresIn);
        if (model === 'Session' && typeof payload.uid === 'string') {
          this.#lookups.set(`uid:${payload.uid}`, key(id));
        }
        if (typeof payload.userCode === 'string') {
          this.#lookups.set(`userCode:${payload.userCode}`, key(id));
        }
        if (GRANT_MEMBERS.has(model) && typeof payload.grantId === 'string') {
          const members = this.#grants.get(payload.grantId) ?? new Set<string>();
          members.add(key(id));
          this.#grants.set(payload.grantId, members);
        }
      },
      find: async (id) => this.#get(key(id)),
      findByUid: async (uid) => this.#lookup(`uid:${uid}`),
      findByUserCode: async (userCode) => this.#lookup(`userCode:${userCode}`),
      consume: async (id) => {
        const payload = this.#get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const member of this.#grants.get(grantId) ?? []) this.#entries.delete(member);
        this.#grants.delete(grantId);
      },
    };
  }

  #set(key: string, payload: AdapterPayload, expiresIn: number): void {
    const ttl = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : Infinity;
    this.#entries.set(key, { payload, expiresAt: Date.now() + ttl });
    this.#writes += 1;
    if (this.#writes % SWEEP_EVERY === 0) this.#sweep();
  }

  #get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  #lookup(lookupKey: string): AdapterPayload | undefined {
    const key = this.#lookups.get(lookupKey);
    return key === undefined ? undefined : this.#get(key);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
    for (const [lookupKey, key] of this.#lookups) {
      if (!this.#entries.has(key)) this.#lookups.delete(lookupKey);
    }
    for (const [grantId, members] of this.#grants) {
      for (const member of members) if (!this.#entries.has(member)) members.delete(member);
      if (members.size === 0) this.#grants.delete(grantId);
    }
  }
}
