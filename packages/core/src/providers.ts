import { decodeJwt } from 'jose';
import { OidcClient } from './client';
import type { ResolvedConfig } from './config';
import { ErrorCodes, LatchkeyError } from './errors';

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
 * The identity providers of an app: the one of `issuer` and `clientId`, or each of `providers`.
 * A sign-in names its provider; its transaction and then its session remember it, so refresh,
 * sign-out and back-channel logout use that provider's client and nothing else.
 */
export class Providers {
  readonly #named = new Map<string, Provider>();
  /** The first provider: the only one, or the first of `providers`. */
  readonly default: Provider;

  constructor(config: ResolvedConfig) {
    for (const [name, own] of config.providers ?? []) {
      this.#named.set(name, { name, config: own, client: new OidcClient(own) });
    }
    this.default = this.#named.values().next().value ?? {
      name: undefined,
      config,
      client: new OidcClient(config),
    };
  }

  /** Every provider, in configuration order. */
  all(): Provider[] {
    return this.#named.size > 0 ? [...this.#named.values()] : [this.default];
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
   * The provider of a session read back. A session from an IdP sign-in must name its provider
   * when the app has several: one from before `providers` could belong to any of them.
   */
  ofSession(record: { pv?: string | undefined; idt?: unknown }): Provider {
    if (record.pv === undefined && record.idt !== undefined && this.#named.size > 0) {
      throw new LatchkeyError(
        ErrorCodes.sessionInvalid,
        'The session does not say which identity provider it signed in with; sign in again.',
      );
    }
    return this.of(record.pv);
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
    return this.all().find((provider) => provider.config.issuer.href === normalizeIssuer(iss));
  }
}

/** An issuer as `URL.href` writes it, so that `https://idp` and `https://idp/` compare equal. */
function normalizeIssuer(iss: unknown): string | undefined {
  return typeof iss === 'string' && URL.canParse(iss) ? new URL(iss).href : undefined;
}
