import { decodeJwt } from 'jose';
import { type Awaitable, andThen, isPromiseLike } from './awaitable';
import { OidcClient } from './client';
import type { ResolvedConfig, ResolvedProviderResolver } from './config';
import { ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
import type { HttpRequest } from './request';

/** Milliseconds a provider `resolveProvider` loaded is kept before it is loaded again. */
const LOADED_PROVIDER_TTL = 300_000;

/** One identity provider of the app: its configuration and its OpenID Connect client. */
export interface Provider {
  /** Its name in `providers`; undefined for the one provider of an app configured without them. */
  readonly name: string | undefined;
  /** The app's configuration with this provider's issuer, client, scopes and role mapping. */
  readonly config: ResolvedConfig;
  /** Its client: discovery, JWKS cache and credentials of its own. */
  readonly client: OidcClient;
}

/**
 * The identity providers of an app: the one of `issuer` and `clientId`, each of `providers`, or
 * those `resolveProvider` loads. A sign-in names its provider; its transaction and then its
 * session remember it, so refresh, sign-out and back-channel logout use that provider's client
 * and nothing else.
 */
export class Providers {
  readonly #named = new Map<string, Provider>();
  readonly #resolver: ResolvedProviderResolver | undefined;
  /** When each provider the resolver gave was loaded, and the loads under way, by name. */
  readonly #loadedAt = new Map<string, number>();
  readonly #loading = new Map<string, Promise<Provider | undefined>>();
  /**
   * The first provider: the only one, or the first of `providers`. With `resolveProvider`, the
   * app-wide configuration, for sessions a passkey began (they have no IdP).
   */
  readonly default: Provider;

  constructor(private readonly config: ResolvedConfig) {
    this.#resolver = config.providerResolver;
    for (const [name, own] of config.providers ?? []) {
      this.#named.set(name, { name, config: own, client: new OidcClient(own) });
    }
    this.default = this.#named.values().next().value ?? {
      name: undefined,
      config,
      client: new OidcClient(config),
    };
  }

  /**
   * The provider a sign-in at `request` is for. With `resolveProvider`, the one its `nameOf`
   * names (default `name`, the `?provider=` of the login route); else {@link forSignIn}.
   */
  async forRequest(request: HttpRequest, name: string | null | undefined): Promise<Provider> {
    if (!this.#resolver) return this.forSignIn(name);
    const wanted = this.#resolver.nameOf ? await this.#resolver.nameOf(request) : name;
    const provider = wanted ? await this.find(wanted) : undefined;
    if (!provider) {
      throw new LatchkeyError(
        ErrorCodes.invalidRequest,
        wanted
          ? 'This app has no identity provider by that name.'
          : 'Sign in with the provider parameter naming your organisation’s identity provider.',
      );
    }
    return provider;
  }

  /**
   * The provider a transaction names, loaded first when `resolveProvider` gives it; throws
   * `session_invalid` as {@link of} does when there is none.
   */
  load(name: string | undefined): Awaitable<Provider> {
    if (name === undefined) return this.of(name);
    return andThen(this.find(name), (loaded) => loaded ?? this.of(name));
  }

  /**
   * Provider `name`, or undefined when the app has none by that name. With `resolveProvider`,
   * loaded by the app's `load` when not loaded within the last five minutes.
   */
  find(name: string): Awaitable<Provider | undefined> {
    const loaded = this.#named.get(name);
    if (!this.#resolver) return loaded;
    const at = this.#loadedAt.get(name);
    if (loaded && at !== undefined && this.config.now() - at < LOADED_PROVIDER_TTL) return loaded;
    return this.#load(name);
  }

  /** Loads provider `name` with the app's resolver, one load per name at a time. */
  #load(name: string): Promise<Provider | undefined> {
    let loading = this.#loading.get(name);
    if (!loading) {
      loading = this.#fetch(name).finally(() => this.#loading.delete(name));
      this.#loading.set(name, loading);
    }
    return loading;
  }

  async #fetch(name: string): Promise<Provider | undefined> {
    const resolver = this.#resolver!;
    let config: ResolvedConfig | undefined;
    try {
      config = await withinTime(resolver.load(name), this.config.idpTimeout);
    } catch (error) {
      if (isLatchkeyError(error)) {
        this.#forget(name);
        throw error;
      }
      // The app's records cannot be read (a database outage): the provider loaded before goes on
      // serving while its issuer is trusted, and the next use tries again; without one, the
      // request fails as when the session store is down (503, the session kept).
      const stale = this.#named.get(name);
      if (stale && resolver.trusts(stale.config.issuer.href)) return stale;
      throw new LatchkeyError(
        ErrorCodes.storeUnavailable,
        'The identity provider could not be loaded (resolveProvider.load failed); try again shortly.',
        { cause: error },
      );
    }
    if (!config) {
      this.#forget(name);
      return undefined;
    }
    if (!resolver.trusts(config.issuer.href)) {
      this.#forget(name);
      const refusal = new LatchkeyError(
        ErrorCodes.configInvalid,
        `resolveProvider: provider ${name} has the issuer ${config.issuer.href}, which trustedIssuers does not trust.`,
      );
      untrustedRefusals.add(refusal);
      throw refusal;
    }
    const provider = { name, config, client: new OidcClient(config) };
    this.#named.set(name, provider);
    this.#loadedAt.set(name, this.config.now());
    return provider;
  }

  #forget(name: string): void {
    this.#named.delete(name);
    this.#loadedAt.delete(name);
  }

  /**
   * The provider a sign-in asks for (`?provider=` of the login route): one of `providers` by
   * name, required when there are several; none may be named when the app has just one.
   */
  forSignIn(name: string | null | undefined): Provider {
    if (this.#named.size <= 1 && !name) return this.default;
    const provider = name ? this.#named.get(name) : undefined;
    if (!provider) {
      const names = [...this.#named.keys()];
      throw new LatchkeyError(
        ErrorCodes.invalidRequest,
        names.length === 0
          ? 'This app has one identity provider: sign in without a provider parameter.'
          : `Sign in with provider set to one of: ${names.join(', ')}.`,
      );
    }
    return provider;
  }

  /**
   * The provider a transaction or session was made with (its `provider` name; none: the first,
   * as for a passkey session or one from before `providers`). A provider no longer configured
   * makes the session invalid.
   */
  of(name: string | undefined): Provider {
    const provider = name === undefined ? this.default : this.#named.get(name);
    if (!provider) {
      throw new LatchkeyError(
        ErrorCodes.sessionInvalid,
        'The session was made with an identity provider this app no longer has; sign in again.',
      );
    }
    return provider;
  }

  /**
   * The provider of a session in use: {@link of} its `provider`, and with `resolveProvider` the
   * issuer it signed in at (a provider reloaded since with another issuer ends the session).
   */
  ofRecord(record: { pv?: string | undefined; pi?: string | undefined; idt?: unknown }): Provider {
    const provider = this.of(record.pv);
    if (this.#resolver && record.idt !== undefined && record.pi !== provider.config.issuer.href) {
      throw new LatchkeyError(
        ErrorCodes.sessionInvalid,
        "The session's identity provider has another issuer now; sign in again.",
      );
    }
    return provider;
  }

  /**
   * The provider of a session read back, loaded first if need be (see {@link ofRecord}). A
   * session from an IdP sign-in must name its provider when the app has several: one from before
   * `providers` could belong to any of them.
   */
  ofSession(record: {
    pv?: string | undefined;
    pi?: string | undefined;
    idt?: unknown;
  }): Awaitable<Provider> {
    if (
      record.pv === undefined &&
      record.idt !== undefined &&
      (this.#named.size > 0 || this.#resolver)
    ) {
      throw new LatchkeyError(
        ErrorCodes.sessionInvalid,
        'The session does not say which identity provider it signed in with; sign in again.',
      );
    }
    const loaded = this.load(record.pv);
    return isPromiseLike(loaded)
      ? Promise.resolve(loaded).then(() => this.ofRecord(record), untrusted)
      : this.ofRecord(record);
  }

  /**
   * The provider whose issuer a JWT names (a logout token, before it is verified: its provider's
   * keys and issuer check it next), or undefined.
   */
  issuing(jwt: string): Provider | undefined {
    let iss: unknown;
    try {
      iss = decodeJwt(jwt).iss;
    } catch {
      return undefined;
    }
    const issuer = normalizeIssuer(iss);
    const all = this.#named.size > 0 ? this.#named.values() : [this.default];
    return [...all].find((provider) => provider.config.issuer.href === issuer);
  }
}

/** Refusals of a provider whose issuer `trustedIssuers` does not trust (see {@link untrusted}). */
const untrustedRefusals = new WeakSet<object>();

/**
 * A provider `resolveProvider` refuses to load because its issuer is no longer trusted, as the
 * end of the sessions made with it; any other failure passes on.
 */
function untrusted(error: unknown): never {
  if (isLatchkeyError(error) && untrustedRefusals.has(error)) {
    throw new LatchkeyError(
      ErrorCodes.sessionInvalid,
      "The session's identity provider is not trusted any more; sign in again.",
      { cause: error },
    );
  }
  throw error;
}

/** `promise`, or a rejection once `ms` milliseconds passed without it settling. */
function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** An issuer as `URL.href` writes it, so that `https://idp` and `https://idp/` compare equal. */
function normalizeIssuer(iss: unknown): string | undefined {
  return typeof iss === 'string' && URL.canParse(iss) ? new URL(iss).href : undefined;
}
