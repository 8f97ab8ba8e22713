import type { AuditLog } from './audit-log';
import type { Awaitable } from './awaitable';
import {
  type ClientAssertionKey,
  type ClientAuthMethod,
  type ResolvedClientAuth,
  resolveClientAuth,
} from './client-auth';
import { chunkLimit } from './cookies';
import { type DebugLog, debugLog } from './debug';
import { type DpopOption, resolveDpop } from './dpop';
import { ErrorCodes, LatchkeyError } from './errors';
import type { LatchkeyEvent } from './events';
import type { PasskeyService } from './passkey-routes';
import { type Policy, type RoleMapper, roleMappers } from './rbac';
import type { HttpRequest } from './request';
import type { ErrorPage } from './responses';
import type { RevocationList } from './revocation';
import type { StepUpRequirement } from './step-up';
import type { StepUpKey } from './step-up-assertion';
import type { SessionStore } from './store';

/** Options of {@link createLatchkey}. Every field documents its default. */
export interface LatchkeyOptions {
  /** The IdP's issuer identifier, exactly as in its discovery document. Required unless `providers`. */
  issuer?: string;
  /** The client id registered at the IdP. Required unless `providers`. */
  clientId?: string;
  /**
   * Several identity providers, by name (letters, digits, `-` and `_`): each with its own issuer,
   * client credentials, discovery and JWKS, and its own scopes, presets and role mapping. The
   * login route then takes `?provider=<name>`, and each session keeps to the provider it signed in
   * with: refresh, sign-out and back-channel logout go to that provider only. Instead of `issuer`
   * and `clientId` at the top. Default: none.
   */
  providers?: Readonly<Record<string, ProviderOptions>>;
  /**
   * Providers loaded from the app's own records when needed, for apps with many (one issuer per
   * customer): see {@link ProviderResolver}. Instead of `issuer`, `clientId` and `providers`.
   * Default: none.
   */
  resolveProvider?: ProviderResolver;
  /**
   * The client secret registered at the IdP, for `client_secret_basic` and `client_secret_post`
   * (and HS256 ID tokens). Not for `private_key_jwt` or a public client (`clientAuth: 'none'`).
   */
  clientSecret?: string;
  /**
   * How the app authenticates at the token endpoint, for the code exchange and every refresh:
   * `'client_secret_basic'` (the default with a `clientSecret`), `'client_secret_post'`,
   * `'private_key_jwt'` (a JWT signed with `clientAssertionKey`, RFC 7523; the default with a key)
   * or `'none'` (a public client: PKCE only).
   */
  clientAuth?: ClientAuthMethod;
  /**
   * The private key of `private_key_jwt` (ES256, PS256 or RS256): a private JWK with its `kid`, or
   * `{ key, alg, kid }` with a PKCS#8 PEM or a `CryptoKey`. Register its public half at the IdP.
   */
  clientAssertionKey?: ClientAssertionKey;
  /**
   * The app's public origin (and optional path prefix), e.g. `https://app.example.com`. Redirect
   * URIs and the Origin check derive from it, never from the `Host` header. `http:` only on
   * loopback.
   */
  baseUrl: string;
  /**
   * Secrets of at least 32 characters that seal cookies. The first seals; all of them unseal, so a
   * new secret can be put first without signing anybody out.
   */
  secrets: string | readonly string[];
  /** Where latchkey's routes are mounted. Default `'/auth'`. */
  basePath?: string;
  /**
   * Paths of latchkey's routes below `basePath`, each replaceable or turned off with `false`
   * (the app then answers that path itself; for `callback`, by calling `latchkey.callback()`).
   * Defaults: `/login`, `/callback`, `/session`, `/logout`, `/step-up`, `/backchannel-logout`,
   * `/signed-out`. With `signedOut: false`, the IdP sends the browser back after sign-out straight
   * to `postLogoutRedirectPath`, and the end-session request carries no `state`.
   */
  routes?: Partial<Readonly<Record<RouteName, string | false>>>;
  /**
   * Runs after a callback is validated, before its session is saved: return `false` to refuse
   * the sign-in (403 `access_denied`, no session written), or an object kept as the session's
   * `data` on the server (never sent to the browser). Throwing refuses the sign-in too.
   */
  afterCallback?: AfterCallback;
  /**
   * Pushes the parameters of each sign-in and step-up to the IdP first (PAR, RFC 9126), so the
   * browser's redirect carries only `client_id` and a `request_uri`. Used without being asked for
   * when the IdP's discovery document says `require_pushed_authorization_requests`. Default `false`.
   */
  pushedAuthorizationRequests?: boolean;
  /**
   * Binds the tokens latchkey obtains to a key (DPoP, RFC 9449): the code exchange (`dpop_jkt` on
   * the authorization request), every refresh, and `fetchWithToken()` / `forward()` calls to APIs,
   * each with a proof of possession. `true` makes a fresh ES256 key per session, kept sealed with
   * it (in the session cookie: about 260 bytes more); a `CryptoKeyPair` (public key extractable)
   * is used for every session instead. A `use_dpop_nonce` answer is retried once with the server's
   * nonce. Default `false`.
   */
  dpop?: DpopOption;
  /**
   * For an IdP whose discovery document names a per-tenant issuer template, as Microsoft Entra
   * ID's `common` and `organizations` endpoints do (`https://login.microsoftonline.com/{tenantid}/v2.0`):
   * the tenant ids (`tid`) allowed to sign in, or a function deciding. An ID token is accepted
   * only once its signature verified, when its `tid` is allowed and its `iss` is the template
   * with that `tid`. Without it, such an IdP is refused. Default: none.
   */
  tenants?: readonly string[] | ((tenantId: string) => boolean);
  /** Scopes asked for at sign-in. Default `['openid', 'profile', 'email', 'offline_access']`. */
  scopes?: readonly string[];
  /** A resource indicator (RFC 8707) sent with sign-in and refresh, for JWT access tokens. */
  resource?: string;
  /**
   * More parameters for every authorization request, e.g. Auth0's `audience`. The protocol's own
   * (`client_id`, `redirect_uri`, `state`, `nonce`, PKCE, `scope`) cannot be replaced.
   */
  authorizationParams?: Readonly<Record<string, string>>;
  /**
   * The authorization parameters of a step-up, in the IdP's vocabulary. Default
   * `{ acr_values: acr }`; Entra ID asks through the `claims` request (see `idpPresets.entra`).
   */
  stepUpParams?: (requirement: StepUpRequirement) => Record<string, string>;
  /**
   * Authorization parameters the login route passes on from its query, by name: the standard
   * `prompt`, `login_hint` and `ui_locales`, or your IdP's own (`screen_hint`, `organization`,
   * ...). `GET /auth/login?prompt=login&login_hint=alice` then asks the IdP for them. A protocol
   * parameter (`client_id`, `redirect_uri`, `scope`, `state`, `nonce`, PKCE, `acr_values`,
   * `max_age`, `claims`, `request`, ...) is refused here: the route never lets one through.
   * Default none (the route reads `returnTo` only).
   */
  loginParams?: readonly string[];
  /**
   * More of the user's claims for the session's `user` (the browser's `/auth/session`, and
   * `session.user` here), beside `sub`, `name`, `email` and `picture`. Claim names, each under its
   * camelCase name (`tenant_id` becomes `tenantId`); or a function from the session's claims to
   * the fields to add. Nothing else of the claims, and never a token, leaves the server. Type them
   * through `Register` (`user: { tenantId: string }`). Default none.
   */
  sessionClaims?:
    | readonly string[]
    | ((claims: Readonly<Record<string, unknown>>) => Record<string, unknown>);
  /** Session lifetime settings. */
  session?: SessionOptions;
  /**
   * Path (on the base URL) the user lands on after sign-out. Default `'/'`. The IdP sends the
   * browser back to the `signedOut` route (`/auth/signed-out`, the `post_logout_redirect_uri` to
   * register), which checks the end-session `state` and redirects here.
   */
  postLogoutRedirectPath?: string;
  /** How sign-out ends the IdP session (RP-Initiated Logout). */
  logout?: LogoutOptions;
  /** Milliseconds to wait for any IdP request before failing with `idp_unreachable`. Default 5000. */
  idpTimeout?: number;
  /** Milliseconds `forward()` waits for the API before answering 502 `api_unreachable` (default 5000). */
  apiTimeout?: number;
  /**
   * Milliseconds a client may take to send the body of a POST to latchkey's routes (or of a
   * forwarded API call) before it is answered 408 `request_timeout`. Default 10000.
   */
  bodyTimeout?: number;
  /** Seconds of clock skew tolerated when checking token times, at most 300. Default 30. */
  clockTolerance?: number;
  /**
   * ID token signature algorithms accepted. Default `['RS256', 'ES256', 'PS256', 'EdDSA']`. `none`
   * is always refused. HMAC (`HS256`, `HS384`, `HS512`: ID tokens signed with the client secret,
   * OIDC Core 10.1) is accepted only when named here, and only with a client secret at least as
   * long as the hash (32, 48 or 64 bytes).
   */
  idTokenAlgorithms?: readonly string[];
  /**
   * Keeps sessions on the server (e.g. `@latchkey/redis`): the cookie then holds only a random
   * session id, tokens stay server-side, and refreshes are locked across instances. Default: none,
   * the session is sealed in the cookie.
   */
  store?: SessionStore;
  /**
   * Where sign-outs of stateless cookie sessions are remembered (and seen logout-token `jti`s).
   * Default: this process's memory; use `@latchkey/redis` to share them across instances.
   */
  revocations?: RevocationList;
  /**
   * Authentication levels (`acr` values) from lowest to highest; a higher level satisfies a lower
   * requirement. The step-up route accepts only these. Default `[]`.
   */
  acrLevels?: readonly string[];
  /** Which permissions each role grants (see `definePolicy`). Default: none. */
  policy?: Policy;
  /** Maps validated ID token claims to role names. Default: the `roles` claim when it is a string array. */
  roles?: RoleMapper;
  /**
   * Renders the app's own page for an error answered to a page navigation (a failed sign-in, a
   * refused role): return a Response, or undefined for latchkey's page. API calls always get
   * latchkey's JSON `{ error, message }`.
   */
  errorPage?: ErrorPage;
  /** Receives audit events (`login`, `logout`, `refresh`, ...). Must not throw. */
  onEvent?: (event: LatchkeyEvent) => void;
  /**
   * A tamper-evident audit log of the same events (`createAuditLog({ sink, key })`): hash-chained,
   * MACed, pseudonymous records with signed checkpoints. Default: none.
   */
  audit?: AuditLog;
  /**
   * Passkeys for signed-in users (`createPasskeys(...)` from `@latchkey/passkeys`): adds the
   * routes `GET /auth/passkeys`, `POST /auth/passkeys/register/options|verify` and
   * `PATCH|DELETE /auth/passkeys/:id`, and passkey sign-in and step-up
   * (`POST /auth/passkeys/authenticate/options|verify`). Default: none.
   */
  passkeys?: PasskeyService;
  /** Step-up by other means than the IdP. Default: none. */
  stepUp?: {
    /**
     * Step-up with a passkey of the `passkeys` service. Without it, a passkey sign-in has no `acr`
     * and passkey step-up is refused.
     */
    passkey?: {
      /**
       * The authentication level (`acr`) a passkey proves, e.g. `'urn:latchkey:acr:mfa'`. A fresh
       * passkey assertion then satisfies step-up guards at or below that level (within their
       * `maxAge`), and a passkey sign-in starts its session at it. Must be one of `acrLevels` when
       * those are set.
       */
      acr: string;
      /**
       * A private EC P-256 or Ed25519 JWK with which `forward()` signs a step-up assertion for the
       * API (the `Latchkey-Step-Up` header), so an API that trusts the matching public key
       * (`createBearerVerifier({ stepUpAssertions })`) accepts a passkey step-up that the IdP's
       * access token cannot show.
       */
      assertionKey?: StepUpKey;
    };
  };
  /**
   * Logs each protocol step: discovery, the authorization redirect, the callback and code exchange,
   * refresh, logout, JWKS fetches and cache hits, store calls, DPoP nonce retries, each event, and
   * each failed sign-in with its code and what to fix. No line holds a token, a code, a cookie, a
   * secret or a claim's value: claims are named, URLs lose their query, and whatever is shaped like
   * a credential or an email address is replaced by `[redacted]`. `true` writes to
   * `console.error`, a function receives each line. Default off.
   */
  debug?: boolean | ((line: string) => void);
  /** Current time in epoch milliseconds. Default `Date.now`; tests pass a fake clock. */
  now?: () => number;
}

/** One identity provider of {@link LatchkeyOptions.providers}. */
export interface ProviderOptions
  extends Pick<
    LatchkeyOptions,
    | 'clientSecret'
    | 'clientAuth'
    | 'clientAssertionKey'
    | 'pushedAuthorizationRequests'
    | 'dpop'
    | 'scopes'
    | 'resource'
    | 'authorizationParams'
    | 'stepUpParams'
    | 'idTokenAlgorithms'
    | 'roles'
    | 'tenants'
  > {
  /** The provider's issuer identifier, exactly as in its discovery document. */
  issuer: string;
  /** The client id registered at this provider. */
  clientId: string;
}

/**
 * Identity providers an app loads from its own records, for many tenants. A sign-in's provider is
 * named by its request ({@link ProviderResolver.nameOf}); a callback, a session and a back-channel
 * logout name theirs in the path or the session, and {@link ProviderResolver.load} gives its
 * settings. Each loaded provider (its discovery, JWKS and client) is kept for five minutes, then
 * loaded again. Register each provider's callback as `<baseUrl>/auth/callback/<name>` and its
 * back-channel logout URI as `<baseUrl>/auth/backchannel-logout/<name>`.
 */
export interface ProviderResolver {
  /**
   * The name of the provider a sign-in or a signed-out step-up at this request is for, e.g. from
   * its host or path. Default: the login route's `?provider=`. Undefined refuses the sign-in with
   * 400 `invalid_request`.
   */
  nameOf?: (request: HttpRequest) => Awaitable<string | null | undefined>;
  /**
   * The settings of the provider called `name` (letters, digits, `-` and `_`), from the app's
   * records; undefined when there is none (a sign-in is refused, a session of it ends). `name`
   * may come from a request: look it up, never build an issuer from it.
   */
  load: (name: string) => Awaitable<ProviderOptions | undefined>;
  /**
   * The issuers a loaded provider may have: a provider whose issuer is not one of them is refused
   * (`config_invalid`) before anything is fetched from it. A list, or a function.
   */
  trustedIssuers: readonly string[] | ((issuer: string) => boolean);
}

/** Session lifetime settings (all in seconds). */
export interface SessionOptions {
  /** A session unused for this long ends. Default 86400 (1 day). */
  idleTimeout?: number;
  /** A session ends this long after sign-in, used or not. Default 604800 (7 days). */
  absoluteTimeout?: number;
  /** A rolling session is re-sealed at most once per this interval. Default 300 (5 minutes). */
  touchInterval?: number;
  /** Cookie name, `__Host-` prefixed on https. Default `'lk_session'`. */
  cookieName?: string;
  /** Largest sealed session in bytes, across all its cookie chunks. Default 14000. */
  maxSize?: number;
}

/** How sign-out ends the IdP session. */
export interface LogoutOptions {
  /**
   * Send the ID token as `id_token_hint` to the IdP's end-session endpoint. It travels in the
   * browser's redirect URL (and in the `{ redirectTo }` JSON of a script's sign-out), so the
   * browser sees the ID token at sign-out. With `false`, latchkey sends `client_id` plus a
   * `logout_hint` instead (the ID token's `login_hint` claim, as Entra ID issues it, else its
   * `sid`); IdPs that need the hint to skip their confirmation page then ask the user to confirm.
   * Default `true`.
   */
  idTokenHint?: boolean;
}

/** Validated configuration with every default applied. */
export interface ResolvedConfig extends ResolvedClientAuth {
  issuer: URL;
  clientId: string;
  /**
   * With `providers`: each provider's own configuration by name (this one is the first's); else
   * undefined.
   */
  providers: ReadonlyMap<string, ResolvedConfig> | undefined;
  /** With `resolveProvider`: how a sign-in names its provider, and each provider's configuration. */
  providerResolver: ResolvedProviderResolver | undefined;
  baseUrl: URL;
  secure: boolean;
  secrets: readonly string[];
  basePath: string;
  /** The path of each route below `basePath`, or false when the app answers it. */
  routes: Readonly<Record<RouteName, string | false>>;
  afterCallback: AfterCallback | undefined;
  redirectUri: string;
  scopes: readonly string[];
  pushedAuthorizationRequests: boolean;
  /** The tenants allowed to sign in at a multi-tenant IdP (`tenants`), if any. */
  tenantAllowed: ((tenantId: string) => boolean) | undefined;
  /** `true`: a DPoP key per session; a key pair: the app's; undefined: no DPoP. */
  dpop: true | CryptoKeyPair | undefined;
  resource: string | undefined;
  authorizationParams: Readonly<Record<string, string>>;
  stepUpParams: (requirement: StepUpRequirement) => Record<string, string>;
  /** The query parameters the login route passes on to the IdP (`loginParams`). */
  loginParams: readonly string[];
  /** The fields `sessionClaims` adds to the session's user. */
  sessionClaims:
    | ((claims: Readonly<Record<string, unknown>>) => Record<string, unknown>)
    | undefined;
  idleTimeout: number;
  absoluteTimeout: number;
  touchInterval: number;
  sessionCookie: string;
  /** The most chunks the session cookie can take at `maxSessionSize` (4 at the defaults). */
  sessionCookieChunks: number;
  transactionCookiePrefix: string;
  maxSessionSize: number;
  postLogoutRedirectUri: string;
  /**
   * The `post_logout_redirect_uri` sent to the IdP: the `signedOut` route, or with that route
   * turned off, `postLogoutRedirectUri`.
   */
  endSessionReturnUri: string;
  /** The cookie holding the `state` of a sign-out in progress at the IdP. */
  logoutStateCookie: string;
  logoutIdTokenHint: boolean;
  idpTimeout: number;
  apiTimeout: number;
  bodyTimeout: number;
  clockTolerance: number;
  idTokenAlgorithms: readonly string[];
  store: SessionStore | undefined;
  acrLevels: readonly string[];
  policy: Policy | undefined;
  revocations: RevocationList | undefined;
  roles: RoleMapper;
  onEvent: (event: LatchkeyEvent) => void;
  audit: AuditLog | undefined;
  errorPage: ErrorPage | undefined;
  passkeys: PasskeyService | undefined;
  /** The `acr` a passkey proves (`stepUp.passkey.acr`), if set. */
  passkeyAcr: string | undefined;
  /** The private key that signs step-up assertions for APIs (`stepUp.passkey.assertionKey`). */
  passkeyAssertionKey: StepUpKey | undefined;
  /** Where `debug` lines go, redacted, if anywhere. */
  log: DebugLog | undefined;
  now: () => number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True when `url` is on this machine (`localhost`, `127.0.0.1`, `[::1]`). */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

function invalid(message: string): never {
  throw new LatchkeyError(ErrorCodes.configInvalid, message);
}

function parseUrl(name: string, value: string | undefined): URL {
  if (!value) invalid(`${name} is required.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    invalid(`${name} must be an absolute URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    invalid(`${name} must start with https:// (or http:// on localhost): got '${value}'.`);
  }
  if (url.protocol !== 'https:' && !isLoopback(url)) {
    invalid(`${name} must use https (http is accepted only on localhost, 127.0.0.1 and [::1]).`);
  }
  if (url.search || url.hash) invalid(`${name} must not have a query or fragment.`);
  return url;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) invalid(`${name} must be a positive number.`);
  return value;
}

/** JWS algorithms an ID token may be signed with (RFC 7518 section 3.1, RFC 8037). */
const SIGNATURE_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]);

/** The ID token algorithms, checked: asymmetric ones, or HMAC named explicitly with a long enough secret. */
function idTokenAlgorithms(options: LatchkeyOptions): readonly string[] {
  const algorithms = options.idTokenAlgorithms ?? ['RS256', 'ES256', 'PS256', 'EdDSA'];
  if (algorithms.length === 0) invalid('idTokenAlgorithms needs at least one algorithm.');
  for (const alg of algorithms) {
    const hmac = /^HS(256|384|512)$/.exec(alg);
    if (hmac) {
      // RFC 7518 section 3.2: the key must be at least as long as the hash.
      const bytes = Number(hmac[1]) / 8;
      if (Buffer.byteLength(options.clientSecret ?? '') < bytes) {
        invalid(
          `idTokenAlgorithms names ${alg}, which verifies ID tokens with the client secret: it needs a clientSecret of at least ${bytes} bytes.`,
        );
      }
    } else if (!SIGNATURE_ALGORITHMS.has(alg)) {
      invalid(
        alg.toLowerCase() === 'none'
          ? "idTokenAlgorithms must not contain 'none': an unsigned ID token proves nothing."
          : `idTokenAlgorithms contains '${alg}', which is not a JWS signature algorithm (RS256, PS256, ES256, EdDSA, ...).`,
      );
    }
  }
  return [...algorithms];
}

/** latchkey's routes, by the name the `routes` option uses. */
export type RouteName =
  | 'login'
  | 'callback'
  | 'session'
  | 'logout'
  | 'stepUp'
  | 'backchannelLogout'
  | 'signedOut';

/** What a sign-in looks like to {@link LatchkeyOptions.afterCallback}. */
export interface CompletedSignIn {
  /** The validated ID token's claims. */
  claims: Readonly<Record<string, unknown>>;
  /** The callback request. */
  request: HttpRequest;
}

/** See {@link LatchkeyOptions.afterCallback}. */
export type AfterCallback = (
  signIn: CompletedSignIn,
) => Awaitable<Record<string, unknown> | false | undefined>;

export const DEFAULT_ROUTES: Readonly<Record<RouteName, string>> = {
  login: '/login',
  callback: '/callback',
  session: '/session',
  logout: '/logout',
  stepUp: '/step-up',
  backchannelLogout: '/backchannel-logout',
  signedOut: '/signed-out',
};

/** The `routes` option with its defaults: paths of one segment or more, each used once. */
function routePaths(
  given: LatchkeyOptions['routes'] = {},
): Readonly<Record<RouteName, string | false>> {
  const routes = { ...DEFAULT_ROUTES, ...given };
  const used = new Set<string>();
  for (const [name, path] of Object.entries(routes)) {
    if (path === false) continue;
    if (typeof path !== 'string' || !/^(\/[\w.~-]+)+$/.test(path)) {
      invalid(`routes.${name} must be false or a path below basePath such as '/sign-in'.`);
    }
    if (used.has(path)) invalid(`routes.${name} uses '${path}', which another route uses too.`);
    used.add(path);
  }
  return routes;
}

/** A provider's name: what the login route's `?provider=` and the session carry. */
const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** {@link ProviderResolver} resolved: `load` gives a provider's checked configuration. */
export interface ResolvedProviderResolver {
  nameOf: ((request: HttpRequest) => Awaitable<string | null | undefined>) | undefined;
  /**
   * The configuration of provider `name`, undefined when the app has none by that name; throws
   * `config_invalid` for a record that is no valid provider, and what the app's `load` throws.
   */
  load: (name: string) => Promise<ResolvedConfig | undefined>;
  /** Whether `trustedIssuers` trusts an issuer (its `href`); a throwing function trusts nothing. */
  trusts: (issuer: string) => boolean;
}

/**
 * The issuer a configuration with `resolveProvider` names at the top: an app-wide configuration
 * has no IdP of its own, and nothing is ever fetched from this reserved name (RFC 2606).
 */
const NO_ISSUER = 'https://no-issuer.invalid/';

/** Validates options and applies defaults; throws `config_invalid` with what to fix. */
export function resolveConfig(options: LatchkeyOptions): ResolvedConfig {
  const { providers: given, resolveProvider: resolver, ...shared } = options;
  if (resolver !== undefined) return withResolver(resolver, options);
  if (given === undefined) return resolveOne(options);
  if (options.issuer !== undefined || options.clientId !== undefined) {
    invalid(
      'With providers, give each provider its issuer and clientId (providers.<name>.issuer), not the top-level options.',
    );
  }
  const entries = Object.entries(given);
  if (entries.length === 0) invalid('providers needs at least one provider.');
  refusePasskeys(options, 'providers');
  const providers = new Map<string, ResolvedConfig>();
  const issuers = new Set<string>();
  for (const [name, provider] of entries) {
    if (!PROVIDER_NAME.test(name)) {
      invalid(`providers.${name}: a provider's name is 1 to 32 letters, digits, '-' or '_'.`);
    }
    const config = providerConfig(shared, name, provider, `providers.${name}`);
    if (issuers.has(config.issuer.href)) {
      invalid(`providers.${name} has the issuer of another provider: each issuer once.`);
    }
    issuers.add(config.issuer.href);
    providers.set(name, config);
  }
  return redacted({ ...providers.values().next().value!, providers });
}

/**
 * The configuration of provider `name`: the app's options with the provider's own. `label` names
 * it in configuration errors.
 */
function providerConfig(
  shared: LatchkeyOptions,
  name: string,
  provider: ProviderOptions,
  label: string,
): ResolvedConfig {
  let config: ResolvedConfig;
  try {
    config = resolveOne({ ...shared, ...providerOptionsOf(provider) });
  } catch (error) {
    invalid(`${label}: ${(error as Error).message}`);
  }
  // A callback of its own per provider: a code one IdP sent cannot be taken for another's
  // (the mix-up attack, RFC 9700 section 4.4), even from IdPs that send no `iss`.
  return redacted({ ...config, redirectUri: `${config.redirectUri}/${name}` });
}

/** The configuration of an app whose providers `resolver` loads when they are needed. */
function withResolver(resolver: ProviderResolver, options: LatchkeyOptions): ResolvedConfig {
  const { resolveProvider: _, clientSecret, clientAssertionKey, ...shared } = options;
  if (clientSecret !== undefined || clientAssertionKey !== undefined) {
    invalid('With resolveProvider, its load() gives each provider its own client credentials.');
  }
  if (options.issuer !== undefined || options.clientId !== undefined || options.providers) {
    invalid(
      'With resolveProvider, its load() gives each provider its issuer and clientId: leave out issuer, clientId and providers.',
    );
  }
  refusePasskeys(options, 'resolveProvider');
  if (typeof resolver?.load !== 'function') {
    invalid(
      'resolveProvider.load must be a function that gives the settings of a provider by name.',
    );
  }
  const trusted = issuerAllowList(resolver.trustedIssuers);
  const appWide = resolveOne({
    ...shared,
    issuer: NO_ISSUER,
    clientId: 'none',
    clientAuth: 'none',
  });
  const load = async (name: string): Promise<ResolvedConfig | undefined> => {
    if (!PROVIDER_NAME.test(name)) return undefined;
    const provider = await resolver.load(name);
    if (provider === undefined) return undefined;
    return providerConfig(shared, name, provider, `resolveProvider: provider ${name}`);
  };
  return redacted({
    ...appWide,
    providerResolver: { nameOf: resolver.nameOf, load, trusts: trusted },
  });
}

/**
 * Passkeys belong to a user by `sub`, and two IdPs can each have a user with the same `sub`: a
 * user of one could then take over the passkeys, and so the account, of the other's.
 */
function refusePasskeys(options: LatchkeyOptions, beside: string): void {
  if (options.passkeys) {
    invalid(
      `passkeys cannot be used with ${beside} yet: a passkey belongs to a user by sub, and two identity providers may each have a user with the same sub.`,
    );
  }
}

/** `trustedIssuers` as a test of an issuer's `href`. */
function issuerAllowList(given: ProviderResolver['trustedIssuers']): (issuer: string) => boolean {
  if (typeof given === 'function') {
    return (issuer) => {
      try {
        return given(issuer) === true;
      } catch {
        return false;
      }
    };
  }
  if (!Array.isArray(given) || given.length === 0) {
    invalid(
      'resolveProvider.trustedIssuers must list the issuers its providers may have, or be a function.',
    );
  }
  const hrefs = new Set(
    given.map((issuer) => parseUrl('resolveProvider.trustedIssuers', issuer).href),
  );
  return (issuer) => hrefs.has(issuer);
}

/**
 * Parameters a login route must never take from a visitor's query: the protocol's own, those that
 * decide the authentication level or the claims, and the route's own.
 */
const PROTOCOL_PARAMS = new Set([
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code',
  'code_challenge',
  'code_challenge_method',
  'code_verifier',
  'grant_type',
  'request',
  'request_uri',
  'acr_values',
  'max_age',
  'claims',
  'id_token_hint',
  'dpop_jkt',
  'resource',
  'authorization_details',
  'registration',
  'returnTo',
  'provider',
]);

/** The checked `loginParams`: names only, and never a protocol parameter. */
function loginParamsOf(names: readonly string[] | undefined): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names)) invalid('loginParams must be an array of parameter names.');
  for (const name of names) {
    if (typeof name !== 'string' || !/^[A-Za-z][\w.-]{0,63}$/.test(name)) {
      invalid(`loginParams: ${JSON.stringify(name)} is not a parameter name.`);
    }
    if (PROTOCOL_PARAMS.has(name)) {
      invalid(`loginParams must not pass on '${name}': it is the protocol's, not the visitor's.`);
    }
  }
  return Object.freeze([...names]);
}

/** The user's fields of their own, which `sessionClaims` cannot name. */
const STANDARD_USER = new Set(['sub', 'name', 'email', 'picture']);

/** `tenant_id` as `tenantId`. */
const camelCase = (name: string) =>
  name.replace(/_([a-z0-9])/g, (_, next: string) => next.toUpperCase());

/** The checked `sessionClaims`, as a function of the claims. */
function sessionClaimsOf(
  option: LatchkeyOptions['sessionClaims'],
): ResolvedConfig['sessionClaims'] {
  if (option === undefined || typeof option === 'function') return option;
  if (!Array.isArray(option)) invalid('sessionClaims must be claim names or a function.');
  const names = option.map((name: unknown) => {
    if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) {
      invalid(
        `sessionClaims: ${JSON.stringify(name)} is not a plain claim name; map such claims with a function.`,
      );
    }
    if (STANDARD_USER.has(camelCase(name))) {
      invalid(`sessionClaims: '${name}' is already part of the session's user.`);
    }
    return [name, camelCase(name)] as const;
  });
  return (claims) => {
    const fields: Record<string, unknown> = {};
    for (const [claim, field] of names) {
      if (claims[claim] !== undefined) fields[field] = claims[claim];
    }
    return fields;
  };
}

/** The options a provider sets for itself: a preset spread into it sets nothing app-wide. */
const PROVIDER_KEYS = [
  'issuer',
  'clientId',
  'clientSecret',
  'clientAuth',
  'clientAssertionKey',
  'pushedAuthorizationRequests',
  'dpop',
  'scopes',
  'resource',
  'authorizationParams',
  'stepUpParams',
  'idTokenAlgorithms',
  'roles',
  'tenants',
] as const satisfies readonly (keyof ProviderOptions)[];

function providerOptionsOf(provider: ProviderOptions): Partial<LatchkeyOptions> {
  return Object.fromEntries(
    PROVIDER_KEYS.filter((key) => provider[key] !== undefined).map((key) => [key, provider[key]]),
  );
}

/** The configuration of one provider (the only one, when `providers` is undefined). */
function resolveOne(options: LatchkeyOptions): ResolvedConfig {
  const issuer = parseUrl('issuer', options.issuer);
  if (issuer.pathname.includes('/.well-known/')) {
    invalid(
      'issuer is the issuer identifier, not the URL of its discovery document: drop /.well-known/... (e.g. https://login.microsoftonline.com/organizations/v2.0).',
    );
  }
  const baseUrl = parseUrl('baseUrl', options.baseUrl);
  if (!options.clientId) invalid('clientId is required.');
  const clientAuth = resolveClientAuth(options);
  const secrets =
    typeof options.secrets === 'string' ? [options.secrets] : [...(options.secrets ?? [])];
  if (secrets.length === 0) invalid('secrets needs at least one secret.');
  if (secrets.some((secret) => typeof secret !== 'string' || secret.length < 32)) {
    invalid('every secret must be at least 32 characters long (use `openssl rand -base64 32`).');
  }
  const basePath = (options.basePath ?? '/auth').replace(/\/+$/, '');
  if (!basePath.startsWith('/')) invalid("basePath must start with '/'.");
  const routes = routePaths(options.routes);
  const appPath = baseUrl.pathname.replace(/\/+$/, '');
  const secure = baseUrl.protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  const postLogoutPath = options.postLogoutRedirectPath ?? '/';
  if (!postLogoutPath.startsWith('/') || postLogoutPath.startsWith('//')) {
    invalid("postLogoutRedirectPath must be a path starting with a single '/'.");
  }
  const clockTolerance = options.clockTolerance ?? 30;
  if (!(clockTolerance >= 0 && clockTolerance <= 300))
    invalid('clockTolerance must be 0 to 300 seconds.');
  const idleTimeout = positive('session.idleTimeout', options.session?.idleTimeout, 86_400);
  const absoluteTimeout = positive(
    'session.absoluteTimeout',
    options.session?.absoluteTimeout,
    604_800,
  );
  const sessionCookie = `${prefix}${options.session?.cookieName ?? 'lk_session'}`;
  const maxSessionSize = positive('session.maxSize', options.session?.maxSize, 14_000);
  const acrLevels = options.acrLevels ?? [];
  const passkeyAcr = options.stepUp?.passkey?.acr;
  if (options.stepUp?.passkey && (typeof passkeyAcr !== 'string' || passkeyAcr === '')) {
    invalid("stepUp.passkey.acr must be an acr value such as 'urn:latchkey:acr:mfa'.");
  }
  if (passkeyAcr !== undefined && acrLevels.length > 0 && !acrLevels.includes(passkeyAcr)) {
    invalid(
      `stepUp.passkey.acr '${passkeyAcr}' must be one of acrLevels (${acrLevels.join(', ')}).`,
    );
  }
  return redacted({
    issuer,
    clientId: options.clientId,
    providers: undefined,
    providerResolver: undefined,
    ...clientAuth,
    baseUrl,
    secure,
    secrets,
    basePath,
    routes,
    afterCallback: options.afterCallback,
    redirectUri: `${baseUrl.origin}${appPath}${basePath}${routes.callback || DEFAULT_ROUTES.callback}`,
    scopes: options.scopes ?? ['openid', 'profile', 'email', 'offline_access'],
    pushedAuthorizationRequests: options.pushedAuthorizationRequests ?? false,
    dpop: resolveDpop(options.dpop),
    tenantAllowed: tenantCheck(options.tenants),
    resource: options.resource,
    authorizationParams: options.authorizationParams ?? {},
    stepUpParams:
      options.stepUpParams ??
      ((requirement) => (requirement.acr ? { acr_values: requirement.acr } : {})),
    loginParams: loginParamsOf(options.loginParams),
    sessionClaims: sessionClaimsOf(options.sessionClaims),
    idleTimeout,
    absoluteTimeout,
    touchInterval: Math.min(
      positive('session.touchInterval', options.session?.touchInterval, 300),
      idleTimeout,
    ),
    sessionCookie,
    sessionCookieChunks: chunkLimit(sessionCookie, maxSessionSize),
    transactionCookiePrefix: `${prefix}lk_tx.`,
    maxSessionSize,
    postLogoutRedirectUri: `${baseUrl.origin}${appPath}${postLogoutPath}`,
    endSessionReturnUri: routes.signedOut
      ? `${baseUrl.origin}${appPath}${basePath}${routes.signedOut}`
      : `${baseUrl.origin}${appPath}${postLogoutPath}`,
    logoutStateCookie: `${prefix}lk_logout`,
    logoutIdTokenHint: options.logout?.idTokenHint ?? true,
    idpTimeout: positive('idpTimeout', options.idpTimeout, 5000),
    apiTimeout: positive('apiTimeout', options.apiTimeout, 5000),
    bodyTimeout: positive('bodyTimeout', options.bodyTimeout, 10_000),
    clockTolerance,
    idTokenAlgorithms: idTokenAlgorithms(options),
    store: options.store,
    acrLevels,
    policy: options.policy,
    revocations: options.revocations,
    roles: options.roles ?? roleMappers.claim('roles'),
    onEvent: options.onEvent ?? (() => {}),
    audit: options.audit,
    errorPage: options.errorPage,
    passkeys: options.passkeys,
    passkeyAcr,
    passkeyAssertionKey: options.stepUp?.passkey?.assertionKey,
    log: options.debug
      ? debugLog(
          options.debug === true ? (line) => console.error(`[latchkey] ${line}`) : options.debug,
          [
            ...secrets,
            ...[options, ...Object.values(options.providers ?? {})].map(
              (provider) => provider.clientSecret ?? '',
            ),
          ],
        )
      : undefined,
    now: options.now ?? Date.now,
  });
}

/** The `tenants` option as a check of one tenant id. */
function tenantCheck(
  tenants: LatchkeyOptions['tenants'],
): ((tenantId: string) => boolean) | undefined {
  if (tenants === undefined || typeof tenants === 'function') return tenants;
  if (!Array.isArray(tenants) || tenants.length === 0) {
    invalid('tenants must list at least one tenant id, or be a function deciding.');
  }
  const allowed = new Set(tenants);
  return (tenantId) => allowed.has(tenantId);
}

const REDACTED = '[redacted]';

/**
 * The config, printed without its secrets: `util.inspect` and `JSON.stringify` show
 * `clientSecret`, `clientAssertionKey`, each of `secrets` and a step-up assertion key as `[redacted]`, so a log line or an error reporter that
 * serialises the config (or the instance holding it) leaks neither.
 */
function redacted(config: ResolvedConfig): ResolvedConfig {
  const view = () => ({
    ...config,
    ...(config.clientSecret ? { clientSecret: REDACTED } : {}),
    ...(config.clientAssertionKey ? { clientAssertionKey: REDACTED } : {}),
    secrets: config.secrets.map(() => REDACTED),
    ...(config.passkeyAssertionKey ? { passkeyAssertionKey: REDACTED } : {}),
    ...(config.dpop && config.dpop !== true ? { dpop: REDACTED } : {}),
  });
  return Object.defineProperties(config, {
    toJSON: { value: view },
    [Symbol.for('nodejs.util.inspect.custom')]: {
      value: (
        _depth: number,
        options: object,
        inspect: (value: unknown, options: object) => string,
      ) => inspect(view(), options),
    },
  });
}
