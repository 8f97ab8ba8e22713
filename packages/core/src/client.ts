import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { clientAuthentication } from './client-auth';
import type { ResolvedConfig } from './config';
import { isLoopback } from './config';
import { loggedFetch } from './debug';
import { type DpopKey, DpopKeys, withDpopNonce } from './dpop';
import { ErrorCodes, LatchkeyError } from './errors';
import { type LogoutRequest, validateLogoutToken } from './logout-token';

/** Tokens from a successful code exchange or refresh, ID token already validated. */
export interface TokenSet {
  idToken: string | undefined;
  claims: oauth.IDToken | undefined;
  accessToken: string;
  /** Epoch seconds. */
  accessTokenExpiresAt: number | undefined;
  refreshToken: string | undefined;
  scope: string | undefined;
  /** `token_type`, lower-cased: `'bearer'`, or `'dpop'` for a token bound to the DPoP key. */
  tokenType: string;
}

/** What the login step hands to the callback step, sealed in the transaction cookie. */
export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Who is signing out, for the IdP's end-session endpoint. */
export interface EndSessionHint {
  /** The ID token, sent as `id_token_hint`. */
  idTokenHint?: string | undefined;
  /** Sent as `logout_hint` (IdP-specific: Entra's `login_hint` claim, Auth0's `sid`). */
  logoutHint?: string | undefined;
  /** Sent as `state`: the IdP hands it back on the `post_logout_redirect_uri`. */
  state?: string | undefined;
}

/** Extra parameters of one authorization request. */
export interface AuthorizationParams {
  /** Sent as `acr_values`: the authentication levels asked for, space-separated. */
  acrValues?: string;
  /**
   * Sent as `max_age`: the IdP re-authenticates the user when the last authentication is older
   * than this many seconds.
   */
  maxAge?: number | undefined;
  /** Sent as `prompt` (e.g. `'login'`, `'none'`); replaces a configured one. */
  prompt?: string;
  /** Scopes added to the configured ones. */
  scopes?: readonly string[];
  /** More parameters (an IdP's step-up vocabulary); they never replace the protocol's own. */
  extra?: Readonly<Record<string, string>>;
}

/** The client authentication methods `clientAuth` takes, for messages. */
const CLIENT_AUTH_METHODS = 'client_secret_basic, client_secret_post, private_key_jwt or none';

/** Parameters latchkey sets itself; configuration and callers cannot override them. */
const PROTECTED_PARAMS = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'request',
  'request_uri',
]);

const DISCOVERY_TTL_MS = 60 * 60 * 1000;

/** Oldest `iat` an ID token may have, seconds (oauth4webapi refuses older ones too). */
const ID_TOKEN_MAX_AGE = 3600;

/**
 * The OpenID Connect relying party: discovery, authorization requests, code exchange, refresh.
 * Protocol parsing and claim checks are oauth4webapi's; ID token signatures are checked again with
 * jose against the IdP's JWKS, because oauth4webapi skips them for token-endpoint responses.
 */
export class OidcClient {
  private metadata: { value: Promise<oauth.AuthorizationServer>; fetchedAt: number } | undefined;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly client: oauth.Client;
  #clientAuth: Promise<oauth.ClientAuth> | undefined;
  readonly #clientSecretKey: Uint8Array;
  /** With `debug`, the `fetch` that logs each call to the IdP. */
  readonly #fetch: ReturnType<typeof loggedFetch> | undefined;
  /** The DPoP keys the tokens are bound to (`dpop` option), if any. */
  readonly dpop: DpopKeys | undefined;

  constructor(private readonly config: ResolvedConfig) {
    this.client = {
      client_id: config.clientId,
      [oauth.clockTolerance]: config.clockTolerance,
    };
    this.#clientSecretKey = new TextEncoder().encode(config.clientSecret ?? '');
    this.#fetch = config.log && loggedFetch(config.log);
    this.dpop = config.dpop && new DpopKeys(this.client, config.dpop);
  }

  /** How the app authenticates at the token endpoint; the key is read once, at first use. */
  private clientAuth(): Promise<oauth.ClientAuth> {
    this.#clientAuth ??= clientAuthentication(this.config);
    return this.#clientAuth;
  }

  private requestOptions() {
    return {
      signal: AbortSignal.timeout(this.config.idpTimeout),
      [oauth.allowInsecureRequests]:
        this.config.issuer.protocol === 'http:' && isLoopback(this.config.issuer),
      ...(this.#fetch ? { [oauth.customFetch]: this.#fetch } : {}),
    };
  }

  /**
   * Token requests resend the resource indicator (RFC 8707 section 2.2), and prove the DPoP key
   * when the session has one.
   */
  private async tokenRequestOptions(dpopKey: DpopKey | undefined) {
    const dpop = await this.dpop?.handleFor(dpopKey);
    return {
      ...this.requestOptions(),
      ...(this.config.resource ? { additionalParameters: { resource: this.config.resource } } : {}),
      ...(dpop ? { DPoP: dpop } : {}),
    };
  }

  /** Runs a token or PAR request, again once if the IdP asks for a DPoP nonce. */
  private withNonce<T>(call: () => Promise<T>): Promise<T> {
    return withDpopNonce(call, this.config.log);
  }

  /** What a failure's message names: the URL tried, and how long latchkey waited. */
  private failureContext(url: string | undefined): FailureContext {
    const { idpTimeout, clockTolerance, clientAuth, clientId, clientSecret } = this.config;
    return {
      url,
      timeoutMs: idpTimeout,
      clockTolerance,
      now: Math.floor(this.config.now() / 1000),
      encodedBasicCredentials:
        clientAuth === 'client_secret_basic' && /[^A-Za-z0-9]/.test(`${clientId}${clientSecret}`),
    };
  }

  /** Runs a call to the IdP at `url`, its failures mapped to latchkey's typed errors. */
  private async withTypedErrors<T>(url: string | undefined, operation: () => Promise<T>) {
    try {
      return await operation();
    } catch (error) {
      throw toLatchkeyError(error, this.failureContext(url));
    }
  }

  /** The IdP's metadata, fetched once an hour; a failed fetch is not cached. */
  discover(): Promise<oauth.AuthorizationServer> {
    const now = this.config.now();
    if (!this.metadata || now - this.metadata.fetchedAt > DISCOVERY_TTL_MS) {
      const value = this.fetchMetadata();
      this.metadata = { value, fetchedAt: now };
      value.catch(() => {
        if (this.metadata?.value === value) this.metadata = undefined;
      });
    }
    return this.metadata.value;
  }

  private async fetchMetadata(): Promise<oauth.AuthorizationServer> {
    const issuer = this.config.issuer;
    const as = await this.withTypedErrors(discoveryUrl(issuer), async () => {
      const response = await oauth.discoveryRequest(issuer, this.requestOptions());
      return oauth.processDiscoveryResponse(await this.expectedIssuer(response), response);
    });
    if (isTenantTemplate(as.issuer)) {
      // oauth4webapi compares an ID token's iss before its signature is checked: the template with
      // the token's own tid passes that, and verifyIdTokenSignature decides once it verified.
      Object.assign(as, {
        [EXPECTED_ISSUER]: (result: { claims: oauth.IDToken }) =>
          as.issuer.replace(TENANT, () => String(result.claims.tid)),
      });
    }
    if (!as.jwks_uri) {
      throw new LatchkeyError(
        ErrorCodes.idpInvalidResponse,
        'The discovery document has no jwks_uri.',
      );
    }
    const jwksUri = new URL(as.jwks_uri);
    // An unknown kid in a logout token refetches the JWKS at most once a second; ID tokens
    // refetch at once (verifyIdTokenSignature).
    this.jwks = createRemoteJWKSet(jwksUri, {
      timeoutDuration: this.config.idpTimeout,
      cooldownDuration: 1000,
      ...(this.#fetch ? { [customFetch]: this.#fetch } : {}),
    });
    return as;
  }

  /**
   * The issuer the discovery document must name: the configured one, or, with `tenants`, the
   * per-tenant template of a multi-tenant IdP on the same origin (Entra ID's `{tenantid}`).
   */
  private async expectedIssuer(response: Response): Promise<URL> {
    const issuer = this.config.issuer;
    if (!this.config.tenantAllowed) return issuer;
    let named: unknown;
    try {
      named = ((await response.clone().json()) as { issuer?: unknown }).issuer;
    } catch {
      return issuer; // oauth4webapi reports what is wrong with the body
    }
    return isTenantTemplate(named) && new URL(named).origin === issuer.origin
      ? new URL(named)
      : issuer;
  }

  /**
   * Builds an authorization request with PKCE S256, `state` and `nonce`. With PAR (RFC 9126), on
   * when configured or when the IdP requires it, the parameters are pushed to the IdP first and
   * the URL carries only `client_id` and the `request_uri` it answered. With a DPoP key, the code
   * is bound to it (`dpop_jkt`, RFC 9449 section 10).
   */
  async authorizationRequest(
    params: AuthorizationParams,
    state: string,
    dpopKey?: DpopKey,
  ): Promise<AuthorizationRequest> {
    const as = await this.discover();
    if (!as.authorization_endpoint) {
      throw new LatchkeyError(
        ErrorCodes.idpInvalidResponse,
        'The discovery document has no authorization_endpoint.',
      );
    }
    const nonce = oauth.generateRandomNonce();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const search = new URLSearchParams();
    search.set('client_id', this.config.clientId);
    search.set('redirect_uri', this.config.redirectUri);
    search.set('response_type', 'code');
    search.set('scope', [...new Set([...this.config.scopes, ...(params.scopes ?? [])])].join(' '));
    search.set('state', state);
    search.set('nonce', nonce);
    search.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    search.set('code_challenge_method', 'S256');
    if (this.config.resource) search.set('resource', this.config.resource);
    for (const [name, value] of Object.entries({
      ...this.config.authorizationParams,
      ...params.extra,
    })) {
      if (!PROTECTED_PARAMS.has(name)) search.set(name, value);
    }
    if (params.prompt) search.set('prompt', params.prompt);
    if (params.acrValues) search.set('acr_values', params.acrValues);
    if (params.maxAge !== undefined) search.set('max_age', String(params.maxAge));
    const dpop = await this.dpop?.handleFor(dpopKey);
    if (dpop) search.set('dpop_jkt', await dpop.calculateThumbprint());
    const url = new URL(as.authorization_endpoint);
    const pushed =
      this.config.pushedAuthorizationRequests || as.require_pushed_authorization_requests === true;
    for (const [name, value] of pushed ? await this.push(as, search, dpop) : search) {
      url.searchParams.set(name, value);
    }
    return { url, state, nonce, codeVerifier };
  }

  /**
   * Pushes authorization parameters to the IdP (RFC 9126 section 2), authenticated as at the token
   * endpoint; what the authorization URL then carries instead of them.
   */
  private async push(
    as: oauth.AuthorizationServer,
    search: URLSearchParams,
    dpop: oauth.DPoPHandle | undefined,
  ): Promise<URLSearchParams> {
    const endpoint = as.pushed_authorization_request_endpoint;
    if (!endpoint) {
      throw new LatchkeyError(
        ErrorCodes.configInvalid,
        "Pushed authorization requests are on (pushedAuthorizationRequests, or require_pushed_authorization_requests in discovery), but the IdP's discovery document names no pushed_authorization_request_endpoint: enable PAR at the IdP, or turn pushedAuthorizationRequests off.",
      );
    }
    const clientAuth = await this.clientAuth();
    const pushed = await this.withTypedErrors(endpoint, () =>
      this.withNonce(async () =>
        oauth.processPushedAuthorizationResponse(
          as,
          this.client,
          await oauth.pushedAuthorizationRequest(as, this.client, clientAuth, search, {
            ...this.requestOptions(),
            ...(dpop ? { DPoP: dpop } : {}),
          }),
        ),
      ),
    );
    return new URLSearchParams({
      client_id: this.config.clientId,
      request_uri: pushed.request_uri,
    });
  }

  /**
   * Validates the authorization response (state, RFC 9207 `iss`, error), exchanges the code and
   * validates the ID token.
   */
  async exchangeCode(
    callbackUrl: URL,
    expected: {
      state: string;
      nonce: string;
      codeVerifier: string;
      maxAge: number | undefined;
      /** The DPoP key of the sign-in, which the tokens are bound to. */
      dpopKey?: DpopKey | undefined;
    },
  ): Promise<TokenSet> {
    const as = await this.discover();
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, this.client, callbackUrl, expected.state);
    } catch (error) {
      throw authorizationResponseError(error, as.issuer, this.failureContext(undefined));
    }
    const clientAuth = await this.clientAuth();
    const options = await this.tokenRequestOptions(expected.dpopKey);
    const result = await this.withTypedErrors(as.token_endpoint, () =>
      this.withNonce(async () =>
        oauth.processAuthorizationCodeResponse(
          as,
          this.client,
          await oauth.authorizationCodeGrantRequest(
            as,
            this.client,
            clientAuth,
            params,
            this.config.redirectUri,
            expected.codeVerifier,
            options,
          ),
          {
            expectedNonce: expected.nonce,
            maxAge: expected.maxAge ?? oauth.skipAuthTimeCheck,
            requireIdToken: true,
          },
        ),
      ),
    );
    return this.tokenSet(as, result);
  }

  /**
   * Refreshes the access token (RFC 6749 section 6), resending the resource indicator, with a
   * proof of the session's DPoP key when it has one.
   */
  async refresh(refreshToken: string, dpopKey?: DpopKey): Promise<TokenSet> {
    const as = await this.discover();
    const clientAuth = await this.clientAuth();
    const options = await this.tokenRequestOptions(dpopKey);
    const result = await this.withTypedErrors(as.token_endpoint, () =>
      this.withNonce(async () =>
        oauth.processRefreshTokenResponse(
          as,
          this.client,
          await oauth.refreshTokenGrantRequest(as, this.client, clientAuth, refreshToken, options),
        ),
      ),
    );
    return this.tokenSet(as, result);
  }

  /** Validates a back-channel logout token against the IdP's keys and metadata. */
  async validateLogoutToken(token: string): Promise<LogoutRequest> {
    const as = await this.discover();
    const jwks = this.jwks!;
    let outage: unknown;
    const keys: JWTVerifyGetKey = async (header, jws) => {
      try {
        return await jwks(header, jws);
      } catch (error) {
        if (isJwksOutage(error)) outage = error;
        throw error;
      }
    };
    try {
      return await validateLogoutToken(token, {
        keys,
        issuer: as.issuer,
        clientId: this.config.clientId,
        algorithms: this.config.idTokenAlgorithms,
        clockTolerance: this.config.clockTolerance,
      });
    } catch (error) {
      // Keys that could not be fetched are our outage, not a bad token: 503, so the IdP retries.
      if (outage) throw unreachable(outage, this.failureContext(as.jwks_uri), "The IdP's JWKS");
      throw error;
    }
  }

  /**
   * The RP-initiated logout URL (OpenID RP-Initiated Logout 1.0, section 2), or undefined when the
   * IdP has no end-session endpoint.
   */
  async endSessionUrl(hint: EndSessionHint = {}): Promise<URL | undefined> {
    const as = await this.discover();
    if (!as.end_session_endpoint) return undefined;
    const url = new URL(as.end_session_endpoint);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('post_logout_redirect_uri', this.config.endSessionReturnUri);
    if (hint.idTokenHint) url.searchParams.set('id_token_hint', hint.idTokenHint);
    if (hint.logoutHint) url.searchParams.set('logout_hint', hint.logoutHint);
    if (hint.state) url.searchParams.set('state', hint.state);
    return url;
  }

  private async tokenSet(
    as: oauth.AuthorizationServer,
    result: oauth.TokenEndpointResponse,
  ): Promise<TokenSet> {
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (result.id_token) await this.verifyIdTokenSignature(as, result.id_token);
    const now = Math.floor(this.config.now() / 1000);
    return {
      idToken: result.id_token,
      claims,
      accessToken: result.access_token,
      accessTokenExpiresAt:
        typeof result.expires_in === 'number' ? now + result.expires_in : undefined,
      refreshToken: result.refresh_token,
      scope: result.scope,
      tokenType: result.token_type,
    };
  }

  /** OIDC Core 3.1.3.7 step 6: the ID token is signed by a key of the IdP, with an allowed alg. */
  private async verifyIdTokenSignature(
    as: oauth.AuthorizationServer,
    idToken: string,
  ): Promise<void> {
    const jwks = this.jwks!;
    // HMAC ID tokens are signed with the client secret (OIDC Core 10.1); config only allows them
    // when the app named them. An ID token comes from the token endpoint in exchange for our own
    // code, so an unknown kid means the IdP has just rotated: refetch now, past the cooldown that
    // keeps logout tokens (which anyone can post) from driving fetches. jose shares one fetch.
    const key: JWTVerifyGetKey = async (header, token) => {
      if (header.alg?.startsWith('HS')) return this.#clientSecretKey;
      // Outside the cooldown, jose refetches by itself.
      const coolingDown = jwks.coolingDown;
      this.config.log?.(
        `jwks: ID token key ${jwks.fresh ? 'looked up in the cached keys' : 'needs the keys fetched'}`,
      );
      try {
        return await jwks(header, token);
      } catch (error) {
        const unknownKid = (error as { code?: unknown }).code === 'ERR_JWKS_NO_MATCHING_KEY';
        if (!coolingDown || !unknownKid) throw error;
        await jwks.reload();
        return jwks(header, token);
      }
    };
    const tenants = isTenantTemplate(as.issuer);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(idToken, key, {
        algorithms: [...this.config.idTokenAlgorithms],
        // A multi-tenant issuer is checked below, once the signature has verified.
        ...(tenants ? {} : { issuer: as.issuer }),
        audience: this.config.clientId,
        clockTolerance: this.config.clockTolerance,
        // Also makes jose refuse an `iat` in the future beyond clockTolerance.
        maxTokenAge: ID_TOKEN_MAX_AGE,
      }));
    } catch (cause) {
      // oauth4webapi checked `exp` before; jose's `iat` check is the one it does not make.
      if ((cause as { claim?: unknown }).claim === 'iat') {
        throw clockFailure(
          'iat',
          cause,
          this.failureContext(undefined),
          (cause as { payload?: unknown }).payload,
        );
      }
      if (isJwksOutage(cause)) {
        throw unreachable(cause, this.failureContext(as.jwks_uri), "The IdP's JWKS");
      }
      throw new LatchkeyError(
        ErrorCodes.idTokenInvalid,
        `The ID token signature could not be verified against the IdP's JWKS (${describe(cause)}).`,
        { cause },
      );
    }
    if (tenants) this.checkTenant(payload);
  }

  /**
   * A multi-tenant IdP's ID token, its signature verified: its `tid` is allowed by `tenants`.
   * oauth4webapi has compared its `iss` with the issuer template holding that same `tid` (see
   * fetchMetadata), so a token of one tenant cannot name another.
   */
  private checkTenant(claims: Record<string, unknown>): void {
    const { tid } = claims;
    if (typeof tid !== 'string' || !tid) {
      throw new LatchkeyError(
        ErrorCodes.idTokenInvalid,
        'The ID token of a multi-tenant issuer has no tenant id (tid).',
      );
    }
    if (!this.config.tenantAllowed!(tid)) {
      throw new LatchkeyError(
        ErrorCodes.idTokenInvalid,
        `The ID token is from tenant ${tid}, which tenants does not allow to sign in.`,
      );
    }
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    (error instanceof TypeError && error.message === 'fetch failed')
  );
}

/** The JWKS could not be fetched: no connection, or no answer within `idpTimeout`. */
const isJwksOutage = (error: unknown) =>
  isNetworkError(error) || (error as { code?: unknown }).code === 'ERR_JWKS_TIMEOUT';

/** What a failure's message names: the URL tried, and how long latchkey waited for it. */
interface FailureContext {
  url: string | undefined;
  timeoutMs: number;
  /** Seconds, as configured. */
  clockTolerance: number;
  /** This server's time when the failure was seen, epoch seconds. */
  now: number;
  /**
   * Basic authentication with a client id or secret that holds more than letters and digits:
   * oauth4webapi form-encodes them (RFC 6749 section 2.3.1), and some IdPs compare them unencoded.
   */
  encodedBasicCredentials?: boolean;
}

/** The placeholder of a multi-tenant issuer template (Entra ID). */
const TENANT = '{tenantid}';

/** oauth4webapi's hook for the issuer an ID token must name (a function of the token's claims). */
const EXPECTED_ISSUER = (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;

/** True for an issuer template such as `https://login.microsoftonline.com/{tenantid}/v2.0`. */
function isTenantTemplate(issuer: unknown): issuer is string {
  return typeof issuer === 'string' && issuer.includes(TENANT) && URL.canParse(issuer);
}

/** The URL oauth4webapi fetches the discovery document from (OpenID Discovery 1.0 section 4). */
const discoveryUrl = (issuer: URL) =>
  `${issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`;

/** TLS failures, as Node's `fetch` names them in its cause's `code`. */
const TLS_FAILURE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/**
 * `idp_unreachable`, naming the URL tried and why: the connection refused, the host unknown, no
 * answer within `idpTimeout`, or a TLS failure.
 */
function unreachable(error: unknown, context: FailureContext, what = 'The IdP'): LatchkeyError {
  const at = context.url ? ` at ${context.url}` : '';
  const failure = error as { code?: unknown; cause?: { code?: unknown } };
  const code = failure.code ?? failure.cause?.code;
  let why: string;
  if (
    (error as Error).name === 'TimeoutError' ||
    (error as Error).name === 'AbortError' ||
    code === 'ERR_JWKS_TIMEOUT'
  ) {
    why = `did not answer${at} within ${context.timeoutMs} ms (idpTimeout): check that it is up, or raise idpTimeout.`;
  } else if (typeof code === 'string' && TLS_FAILURE.test(code)) {
    why = `could not be reached${at}: TLS failed (${code}); check the IdP's certificate and the issuer's host name.`;
  } else {
    const reason =
      typeof code === 'string'
        ? code
        : ((failure.cause as Error | undefined)?.message ?? (error as Error).message);
    why = `could not be reached${at} (${reason}): check \`issuer\` and that the IdP is running.`;
  }
  return new LatchkeyError(ErrorCodes.idpUnreachable, `${what} ${why}`, { cause: error });
}

/**
 * An ID token refused for its times (OIDC Core 3.1.3.7 steps 9 and 10): it expired, or was issued
 * in the future, by more than `clockTolerance`. Often the clock of this server or of the IdP.
 */
function clockFailure(
  claim: 'exp' | 'iat',
  error: unknown,
  context: FailureContext,
  claims: unknown,
): LatchkeyError {
  const at = (claims as Record<string, unknown> | undefined)?.[claim];
  const ahead = typeof at === 'number' ? at - context.now : undefined;
  const by = (seconds: number | undefined) => (seconds === undefined ? '' : ` ${seconds} s`);
  const what =
    claim === 'exp'
      ? `expired${by(ahead === undefined ? undefined : -ahead)} ago`
      : ahead !== undefined && ahead < 0
        ? `was issued${by(-ahead)} ago, over an hour`
        : `was issued${by(ahead)} in the future`;
  return new LatchkeyError(
    ErrorCodes.idTokenInvalid,
    `The ID token ${what}, beyond clockTolerance (${context.clockTolerance} s): the clock of this server or of the IdP may be wrong (check NTP), or raise clockTolerance (at most 300 s).`,
    { cause: error },
  );
}

/** Maps oauth4webapi and network failures to latchkey's typed errors. */
export function toLatchkeyError(error: unknown, context: FailureContext): LatchkeyError {
  if (error instanceof LatchkeyError) return error;
  if (isNetworkError(error)) return unreachable(error, context);
  if (isUnreadableBody(error)) {
    // The connection broke while the body was read (a network failure as its cause), or the IdP
    // answered something that is not JSON: neither is about an ID token.
    return error.cause instanceof SyntaxError
      ? new LatchkeyError(
          ErrorCodes.idpInvalidResponse,
          `The IdP answered a body that is not JSON${context.url ? ` at ${context.url}` : ''}.`,
          { cause: error },
        )
      : unreachable(error.cause, context);
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return error.error === 'access_denied'
      ? new LatchkeyError(
          ErrorCodes.accessDenied,
          'The sign-in was refused at the IdP (access_denied).',
          { cause: error },
        )
      : new LatchkeyError(
          ErrorCodes.authorizationFailed,
          `The IdP answered the sign-in with error '${error.error}'.`,
          {
            cause: error,
          },
        );
  }
  // RFC 6749 section 5.2: the client's credentials were refused (`invalid_client`, often a 401
  // with a challenge, which oauth4webapi reports as such). Some IdPs answer `unauthorized_client`.
  const refusedClient =
    error instanceof oauth.ResponseBodyError &&
    (error.error === 'invalid_client' || error.error === 'unauthorized_client');
  if (
    refusedClient ||
    (error instanceof oauth.WWWAuthenticateChallengeError && error.status === 401)
  ) {
    const answer = refusedClient ? error.error : 'invalid_client';
    const encoded = context.encodedBasicCredentials
      ? " The client id or secret holds characters other than letters and digits, which Basic authentication sends form-encoded (RFC 6749 section 2.3.1) and some IdPs compare unencoded: try clientAuth: 'client_secret_post'."
      : '';
    return new LatchkeyError(
      ErrorCodes.clientAuthFailed,
      `The IdP refused this app's client credentials (${answer}, HTTP ${error.status}): check clientId, the credentials (clientSecret or clientAssertionKey) and clientAuth (${CLIENT_AUTH_METHODS}) against the client registered at the IdP.${encoded}`,
      { cause: error },
    );
  }
  if (error instanceof oauth.ResponseBodyError) {
    return error.error === 'invalid_grant'
      ? new LatchkeyError(
          ErrorCodes.invalidGrant,
          'The IdP rejected the grant (invalid_grant): it was already used, expired or revoked.',
          {
            cause: error,
          },
        )
      : new LatchkeyError(
          ErrorCodes.idpInvalidResponse,
          `The IdP answered '${error.error}' (HTTP ${error.status})${context.url ? ` at ${context.url}` : ''}.`,
          {
            cause: error,
          },
        );
  }
  if (error instanceof oauth.OperationProcessingError) {
    const status = error.cause instanceof Response ? error.cause.status : 0;
    if (error.code === oauth.RESPONSE_IS_NOT_CONFORM && status >= 500) {
      // A server error (an outage, a proxy's page; oauth4webapi reads no OAuth error body from a
      // 5xx): the IdP is failing for now, not refusing.
      return new LatchkeyError(
        ErrorCodes.idpUnreachable,
        `The IdP answered HTTP ${status}${context.url ? ` at ${context.url}` : ''}: it is failing for now; try again shortly.`,
        { cause: error },
      );
    }
    if (
      error.code === oauth.JSON_ATTRIBUTE_COMPARISON &&
      causeField(error, 'attribute') === 'issuer'
    ) {
      const named = (causeField(error, 'body') as { issuer?: unknown } | undefined)?.issuer;
      if (isTenantTemplate(named)) {
        return new LatchkeyError(
          ErrorCodes.idpInvalidResponse,
          `The IdP's discovery document names the multi-tenant issuer '${named}': list the tenants allowed to sign in (tenants, or idpPresets.entra({ tenants })).`,
          { cause: error },
        );
      }
      return new LatchkeyError(
        ErrorCodes.idpInvalidResponse,
        `The IdP's discovery document names the issuer '${String(named)}', but \`issuer\` is '${String(causeField(error, 'expected'))}': set \`issuer\` to the discovery document's value (a path's trailing slash counts; a bare host's does not).`,
        { cause: error },
      );
    }
    const claim = causeField(error, 'claim');
    if (error.code === oauth.JWT_TIMESTAMP_CHECK && (claim === 'exp' || claim === 'iat')) {
      return clockFailure(claim, error, context, causeField(error, 'claims'));
    }
    if (isJwtFailure(error)) {
      return new LatchkeyError(
        ErrorCodes.idTokenInvalid,
        `The ID token is invalid: ${error.message}.`,
        { cause: error },
      );
    }
    return new LatchkeyError(
      ErrorCodes.idpInvalidResponse,
      `The IdP response is invalid: ${error.message}.`,
      { cause: error },
    );
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new LatchkeyError(
      ErrorCodes.idTokenInvalid,
      `The IdP response uses an unsupported algorithm: ${error.message}.`,
      {
        cause: error,
      },
    );
  }
  return new LatchkeyError(
    ErrorCodes.idpInvalidResponse,
    'The IdP response could not be processed.',
    { cause: error },
  );
}

/** oauth4webapi could not read a response's body as JSON (a JWT it could not parse is another). */
function isUnreadableBody(error: unknown): error is oauth.OperationProcessingError {
  return (
    error instanceof oauth.OperationProcessingError &&
    error.code === oauth.PARSE_ERROR &&
    error.message.startsWith('failed to parse "response" body')
  );
}

/** A field of an oauth4webapi error's `cause` (the data it names the failure with). */
function causeField(error: oauth.OperationProcessingError, field: string): unknown {
  const cause = error.cause;
  return typeof cause === 'object' && cause !== null
    ? (cause as Record<string, unknown>)[field]
    : undefined;
}

/** oauth4webapi's codes for a JWT's claims and times; its other JWT failures carry the JWT's parts. */
const JWT_CODES: ReadonlySet<string> = new Set([
  oauth.JWT_CLAIM_COMPARISON,
  oauth.JWT_TIMESTAMP_CHECK,
  oauth.PARSE_ERROR,
]);

/**
 * True when oauth4webapi refused a JWT (the ID token): a claim or time check, a JWT it could not
 * parse (the JWS itself as cause), or one whose header, claims or signature failed (named in cause).
 */
function isJwtFailure(error: oauth.OperationProcessingError): boolean {
  if (error.code !== undefined && JWT_CODES.has(error.code)) return true;
  return (
    typeof error.cause === 'string' ||
    ['claims', 'header', 'signature'].some((field) => causeField(error, field) !== undefined)
  );
}

/**
 * Errors of the authorization response itself (RFC 6749 4.1.2, RFC 9207). latchkey has matched
 * `state` to its transaction before, so what oauth4webapi refuses here is the `iss` parameter
 * (missing, or another issuer: its cause then names the parameters, and the issuer expected).
 */
function authorizationResponseError(
  error: unknown,
  issuer: string,
  context: FailureContext,
): LatchkeyError {
  if (error instanceof oauth.OperationProcessingError) {
    const expected = causeField(error, 'expected');
    return causeField(error, 'parameters') !== undefined &&
      (expected === undefined || expected === issuer)
      ? new LatchkeyError(
          ErrorCodes.issuerMismatch,
          `The authorization response issuer is wrong: ${error.message} (RFC 9207).`,
          { cause: error },
        )
      : new LatchkeyError(
          ErrorCodes.stateMismatch,
          `The authorization response is invalid: ${error.message}.`,
          { cause: error },
        );
  }
  return toLatchkeyError(error, context);
}
