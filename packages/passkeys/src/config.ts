import { ErrorCodes, Keyring, LatchkeyError } from '@latchkey/core';
import { type ChallengeStore, MemoryChallengeStore } from './challenges';
import type { CredentialStore } from './credential-store';
import { SealedCredentials } from './sealed-credentials';

/** Options of {@link createPasskeys}. */
export interface PasskeyOptions {
  /**
   * The app's base URL, the same as core's `baseUrl` (`https://app.example.com`, or
   * `http://localhost:3000` in development). The relying-party ID defaults to its host name and
   * the allowed origins to its origin. Never read from a request's `Host` or `Origin` header.
   */
  baseUrl: string | URL;
  /**
   * The relying-party ID passkeys are scoped to: the base URL's host name (default) or a parent
   * domain of it (`example.com` for `https://app.example.com`, so that sibling subdomains can use
   * the same passkeys). Never an IP address. Changing it later orphans every registered passkey.
   */
  rpID?: string;
  /**
   * Origins a ceremony may come from (the `origin` in the browser's `clientDataJSON`). Default:
   * the base URL's origin. Each is `https://` (or `http://` on `localhost`), with a host that is
   * the relying-party ID or one of its subdomains.
   */
  origins?: readonly string[];
  /** The relying party's name, shown by some authenticators. Default: the relying-party ID. */
  rpName?: string;
  /**
   * Where passkeys, user handles and stored profiles live. Required: a {@link MemoryCredentialStore}
   * forgets every passkey when the process ends, which suits tests and development only.
   */
  credentials: CredentialStore;
  /**
   * Secrets of at least 32 characters (the same as core's `secrets` will do), the first in use and
   * the others still read, as in core. The credential store never sees a user's `sub`, only an HMAC
   * of it, and each passkey's name and each stored profile reach it sealed (encrypted and
   * authenticated) with these. Required.
   */
  secrets: string | readonly string[];
  /**
   * Where pending challenges live until they are used. Default: a {@link MemoryChallengeStore},
   * right for one process; several instances need one store they share.
   */
  challenges?: ChallengeStore;
  /**
   * Whether the authenticator must verify the user (PIN, biometrics). `'required'` (default) makes a
   * passkey a complete sign-in on its own; `'preferred'` also accepts mere presence (a touch), and
   * the `amr` of such a sign-in then lacks `'user'`.
   */
  userVerification?: 'required' | 'preferred';
  /**
   * Whether new passkeys must be discoverable (usable without typing a user name first, and in the
   * browser's autofill). `'required'` (default) or `'preferred'`.
   */
  residentKey?: 'required' | 'preferred';
  /**
   * Most passkeys one user may have, 1 to 1000. Default 20. A registration beyond it is refused
   * with `passkey_limit_reached` (409), so that one account cannot fill the credential store.
   */
  maxPerUser?: number;
  /** Current time in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** The options of {@link PasskeyOptions}, validated, with their defaults applied. */
export interface PasskeyConfig {
  /** The relying-party ID. */
  readonly rpID: string;
  /** The relying party's display name. */
  readonly rpName: string;
  /** The origins ceremonies may come from, normalised. */
  readonly origins: readonly string[];
  /** Whether user verification is required. */
  readonly userVerification: 'required' | 'preferred';
  /** Whether new passkeys must be discoverable. */
  readonly residentKey: 'required' | 'preferred';
  /** Where passkeys, user handles and profiles live. */
  readonly credentials: CredentialStore;
  /** Where pending challenges live. */
  readonly challenges: ChallengeStore;
  /** Most passkeys one user may have. */
  readonly maxPerUser: number;
  /** The clock, in epoch milliseconds. */
  readonly now: () => number;
}

const invalid = (message: string): never => {
  throw new LatchkeyError(ErrorCodes.configInvalid, `passkeys: ${message}`);
};

/** `localhost` and its subdomains: the only hosts where WebAuthn works over plain http. */
const isLocalhost = (hostname: string) =>
  hostname === 'localhost' || hostname.endsWith('.localhost');

/** True when `hostname` is `rpID` or a subdomain of it (WebAuthn's "registrable domain suffix"). */
const withinRpID = (hostname: string, rpID: string) =>
  hostname === rpID || hostname.endsWith(`.${rpID}`);

function parseOrigin(value: string, name: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url) return invalid(`${name} is not a URL: '${value}'.`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLocalhost(url.hostname))) {
    invalid(`${name} must use https (http only on localhost): got '${value}'.`);
  }
  return url;
}

/** Validates the options and applies their defaults; throws `config_invalid` on a mistake. */
export function resolvePasskeyConfig(options: PasskeyOptions): PasskeyConfig {
  const base = parseOrigin(String(options.baseUrl), 'baseUrl');
  const rpID = options.rpID ?? base.hostname;
  // WebAuthn: an RP ID is a domain, never an IP address (a browser refuses the ceremony).
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(rpID) || /^[0-9.]+$/.test(rpID)) {
    invalid(
      `rpID must be a lower-case domain name such as 'example.com' or 'localhost', not an IP address: got '${rpID}'.`,
    );
  }
  if (!withinRpID(base.hostname, rpID)) {
    invalid(
      `rpID '${rpID}' must be the base URL's host '${base.hostname}' or a parent domain of it.`,
    );
  }
  const origins = (options.origins ?? [base.origin]).map((value) => {
    const url = parseOrigin(value, 'origins');
    if (url.origin !== value) {
      invalid(
        `origins must be bare origins such as '${url.origin}' (no path or slash): got '${value}'.`,
      );
    }
    if (!withinRpID(url.hostname, rpID)) {
      invalid(`origin '${value}' is outside rpID '${rpID}': its host must be rpID or a subdomain.`);
    }
    return url.origin;
  });
  if (origins.length === 0) invalid('origins must list at least one origin.');
  if (!options.credentials) invalid('a credential store is required (`credentials`).');
  const secrets =
    typeof options.secrets === 'string' ? [options.secrets] : [...(options.secrets ?? [])];
  if (
    secrets.length === 0 ||
    secrets.some((secret) => typeof secret !== 'string' || secret.length < 32)
  ) {
    invalid(
      "`secrets` must be one or more secrets of at least 32 characters (core's `secrets` will do).",
    );
  }
  const userVerification = options.userVerification ?? 'required';
  const residentKey = options.residentKey ?? 'required';
  for (const [name, value] of [
    ['userVerification', userVerification],
    ['residentKey', residentKey],
  ] as const) {
    if (value !== 'required' && value !== 'preferred') {
      invalid(`${name} must be 'required' or 'preferred': got '${String(value)}'.`);
    }
  }
  const maxPerUser = options.maxPerUser ?? 20;
  if (!Number.isInteger(maxPerUser) || maxPerUser < 1 || maxPerUser > 1000) {
    invalid(`maxPerUser must be a whole number from 1 to 1000: got ${String(maxPerUser)}.`);
  }
  const now = options.now ?? Date.now;
  return {
    rpID,
    rpName: options.rpName ?? rpID,
    origins,
    userVerification,
    residentKey,
    credentials: new SealedCredentials(options.credentials, new Keyring(secrets)),
    challenges: options.challenges ?? new MemoryChallengeStore({ now }),
    maxPerUser,
    now,
  };
}
