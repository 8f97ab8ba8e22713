/// <reference path="./oidc-provider.d.ts" />
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider, {
  type Client,
  errors,
  type IssuedToken,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { handleInteraction, MFA_REASON, requiresMfa } from './interactions';
import { generateSigningKeys, type PrivateSigningJwk, retire } from './keys';
import { errorPage, logoutPage, logoutSuccessPage } from './pages';
import { MemoryStore } from './store';
import { ACR_MFA, ACR_PWD, type DevIdpUser, defaultUsers } from './users';

/** A client (relying party) registered at the dev IdP; any other client metadata of oidc-provider may be added. */
export interface DevIdpClient {
  /** The client id (the app's `clientId` option). */
  client_id: string;
  /** Omit for a public client (`token_endpoint_auth_method: 'none'`). */
  client_secret?: string;
  /** Exact redirect URIs; `http:` on loopback is fine, so apps on any port work. */
  redirect_uris: string[];
  /** Exact URIs the IdP may send the user back to after RP-initiated logout. */
  post_logout_redirect_uris?: string[];
  /** Receives logout tokens (with `sid`) when the user signs out at the IdP. */
  backchannel_logout_uri?: string;
  /** Default `client_secret_basic` with a secret, `none` without. */
  token_endpoint_auth_method?: string;
  [metadata: string]: unknown;
}

/** Options of {@link startDevIdp}. */
export interface DevIdpOptions {
  /** Port to listen on; `0` (the default) picks a free one. */
  port?: number;
  /** Host name used in the issuer URL; default `'127.0.0.1'` (the demo uses `'localhost'`). The IdP always binds 127.0.0.1. */
  hostname?: string;
  /**
   * The issuer URL, for an IdP reached through a proxy (an outage test's, or a TLS terminator):
   * every URL it publishes starts with it. Default `http://<hostname>:<port>`.
   */
  issuer?: string;
  /** The relying parties registered at the IdP; no other client can sign in. */
  clients: DevIdpClient[];
  /** Default {@link defaultUsers} (alice and bob). */
  users?: DevIdpUser[];
  /**
   * Resource indicators (RFC 8707) that get JWT access tokens (RFC 9068), with
   * the scopes each accepts. Default `{ 'urn:latchkey:demo-api': { scope: 'payments:write reports:read' } }`.
   */
  resources?: Record<
    string,
    {
      /** Space-separated scopes this resource accepts; none when omitted. */
      scope?: string;
    }
  >;
  /**
   * Every client must push its authorization requests (PAR, RFC 9126), and the discovery document
   * says `require_pushed_authorization_requests`. Default `false`: PAR is offered to all clients
   * and required of those registered with `require_pushed_authorization_requests: true`.
   */
  requirePushedAuthorizationRequests?: boolean;
  /**
   * Every DPoP proof at the token endpoint must carry a nonce of the IdP's (RFC 9449 section 8):
   * the first proof is answered `use_dpop_nonce` with one in `DPoP-Nonce`. Default `false`. DPoP
   * itself is always on: a client registered with `dpop_bound_access_tokens: true` must use it,
   * and the JWT access tokens of a DPoP-bound grant carry `cnf.jkt`.
   */
  requireDpopNonce?: boolean;
  /** Token and IdP session lifetimes, in seconds. */
  ttl?: {
    /** Access token lifetime in seconds. Default 600. */
    accessToken?: number;
    /** ID token lifetime in seconds. Default 600. */
    idToken?: number;
    /** Refresh token lifetime in seconds. Default 86400. */
    refreshToken?: number;
    /** IdP session lifetime in seconds. Default 86400. */
    session?: number;
  };
}

/** One successful token-endpoint grant, recorded from oidc-provider's `grant.success` event. */
export interface GrantRecord {
  /** `authorization_code`, `refresh_token`, ... */
  grantType: string;
  /** The `client_id` of the client that was granted the tokens. */
  clientId: string;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * The running oidc-provider `Provider` (a Koa application with oidc-provider's
 * API). oidc-provider ships no type declarations, so only the members tests
 * commonly reach for are typed; the object is the real instance.
 */
export interface OidcProvider {
  /** The issuer identifier, as {@link DevIdp.issuer}. */
  readonly issuer: string;
  /**
   * Adds a listener to one of oidc-provider's events. It is lost when {@link DevIdp.rotateKeys}
   * replaces the instance; {@link DevIdp.on} keeps it.
   */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener added with {@link OidcProvider.on}. */
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Absolute URL of a named route, e.g. `urlFor('end_session')`. */
  urlFor(name: string, options?: Record<string, unknown>): string;
  /** The Node request handler. */
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}

/** A running dev IdP. */
export interface DevIdp {
  /** Issuer identifier, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  readonly issuer: string;
  /** The TCP port it listens on at 127.0.0.1 (the one picked when `port` was 0). */
  readonly port: number;
  /** The users who can sign in ({@link DevIdpOptions.users}, or the defaults). */
  readonly users: DevIdpUser[];
  /** Every successful token-endpoint grant, oldest first; tests may clear it with `grants.length = 0`. */
  readonly grants: GrantRecord[];
  /** How many requests reached `pathname` (e.g. `'/jwks'`), so tests count fetches at the IdP. */
  requestCount(pathname: string): number;
  /** Listens to oidc-provider's events (`grant.success`, `end_session.success`, `backchannel.success`, `server_error`, ...). */
  on(event: string, listener: (...args: unknown[]) => void): void;
  /**
   * Makes fresh ES256 and RS256 keys the signing keys. The previous public keys
   * stay in the JWKS for verification; sessions, grants and tokens survive.
   */
  rotateKeys(): Promise<void>;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
  /** The oidc-provider instance now serving requests (a new one after {@link DevIdp.rotateKeys}). */
  readonly provider: OidcProvider;
}

/** The default resource: the demo API of the latchkey demos. */
export const DEFAULT_RESOURCES: Readonly<
  Record<
    string,
    {
      /** Space-separated scopes the resource accepts. */
      scope?: string;
    }
  >
> = {
  'urn:latchkey:demo-api': { scope: 'payments:write reports:read' },
};

const DEFAULT_TTL = { accessToken: 600, idToken: 600, refreshToken: 86_400, session: 86_400 };

/**
 * Claims released per scope. `roles`, `acr`, `amr` and `auth_time` come with
 * `openid`, so every ID token carries them (userinfo carries `roles`; it has no
 * authentication facts).
 */
const CLAIMS = {
  acr: null,
  amr: null,
  auth_time: null,
  sid: null,
  iss: null,
  openid: ['sub', 'roles', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture', 'updated_at'],
  email: ['email', 'email_verified'],
};

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Client metadata with the dev IdP's defaults underneath the caller's. */
function clientMetadata(client: DevIdpClient): Record<string, unknown> {
  return {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: client.client_secret === undefined ? 'none' : 'client_secret_basic',
    require_auth_time: true,
    backchannel_logout_session_required: true,
    ...client,
  };
}

/**
 * oidc-provider only keeps `offline_access` when `prompt` contains `consent`
 * (OIDC Core 11; lib/actions/authorization/scopes.js). Registered clients are
 * trusted here, so an authorization request asking for `offline_access` gets
 * `consent` added to its prompt, which the interaction routes approve without
 * a page. `prompt=none` is left alone (it cannot be combined). True when the
 * parameters were changed.
 */
function keepOfflineAccess(params: URLSearchParams): boolean {
  const scope = params.get('scope')?.split(' ') ?? [];
  const prompts = (params.get('prompt') ?? '').split(' ').filter(Boolean);
  if (
    !scope.includes('offline_access') ||
    prompts.includes('consent') ||
    prompts.includes('none')
  ) {
    return false;
  }
  params.set('prompt', [...prompts, 'consent'].join(' '));
  return true;
}

/** The most bytes of a pushed authorization request read (oidc-provider's own limit is 56 KiB). */
const PUSHED_BODY_LIMIT = 56 * 1024;

/**
 * {@link keepOfflineAccess} for a pushed authorization request (RFC 9126): the
 * form body is rewritten as oidc-provider reads it, sent on as chunked so its
 * new length needs no header.
 */
function keepOfflineAccessPushed(req: IncomingMessage): void {
  const read = req.iterator.bind(req);
  delete req.headers['content-length'];
  req.headers['transfer-encoding'] = 'chunked';
  req.iterator = async function* (options) {
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of read(options)) {
      received += (chunk as Buffer).length;
      if (received > PUSHED_BODY_LIMIT) throw new Error('request entity too large');
      chunks.push(chunk as Buffer);
    }
    const params = new URLSearchParams(Buffer.concat(chunks).toString());
    keepOfflineAccess(params);
    yield Buffer.from(params.toString());
  };
}

/**
 * oidc-provider refuses outgoing requests (back-channel logout) to special-use
 * addresses such as loopback, by giving `fetch` a guarded dispatcher. Relying
 * parties of a dev IdP live on loopback, so for those the guard is dropped.
 */
function fetchAllowingLoopback(url: string | URL, options: RequestInit & { dispatcher?: unknown }) {
  if (!isLoopbackHost(new URL(url).hostname)) return fetch(url, options);
  const { dispatcher: _ssrfGuard, ...rest } = options;
  return fetch(url, rest);
}

/** The login prompt plus a check that asks for the one-time code when acr mfa is requested. */
function policyWithStepUp(): interactionPolicy.Policy {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (login === undefined) throw new Error('oidc-provider has no login prompt');
  login.checks.push(
    new interactionPolicy.Check(
      MFA_REASON,
      'acr urn:latchkey:acr:mfa was requested and the session is below it',
      (ctx) => requiresMfa(ctx.oidc.params) && ctx.oidc.session.acr !== ACR_MFA,
    ),
  );
  return policy;
}

/** Starts listening on 127.0.0.1 and resolves to the bound port. */
function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve(address.port);
    });
  });
}

/**
 * Starts a local OpenID Provider (oidc-provider 9) with the given clients and
 * users: code flow with PKCE S256, refresh-token rotation, RFC 9207 `iss`,
 * RP-initiated and back-channel logout, two acr levels with a one-time code
 * step, and JWT access tokens for the configured resources.
 */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const users = options.users ?? defaultUsers;
  const resources = options.resources ?? DEFAULT_RESOURCES;
  const ttl = { ...DEFAULT_TTL, ...options.ttl };
  const store = new MemoryStore();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  const dpopNonceSecret = randomBytes(32);
  const pendingOtp = new Map<string, string>();
  const grants: GrantRecord[] = [];
  const listeners: Array<[string, (...args: unknown[]) => void]> = [];
  let signingKeys = await generateSigningKeys();
  let retiredKeys: PrivateSigningJwk[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[latchkey dev IdP] request failed:', error);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(errorPage('server_error'));
      } else {
        res.destroy();
      }
    });
  });
  const port = await listenOn(server, options.port ?? 0);
  const issuer =
    options.issuer?.replace(/\/+$/, '') ?? `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const userBySub = (sub: string | undefined) => users.find((user) => user.sub === sub);

  const configuration = (): Record<string, unknown> => ({
    adapter: (model: string) => store.adapterFor(model),
    clients: options.clients.map(clientMetadata),
    jwks: { keys: [...signingKeys, ...retire(retiredKeys)] },
    // Named after the port: browsers share cookies across the ports of a host, and two dev IdPs
    // (one per issuer of a multi-issuer app) must keep their users' sessions apart.
    cookies: {
      keys: cookieKeys,
      names: {
        session: `_session_${port}`,
        interaction: `_interaction_${port}`,
        resume: `_interaction_resume_${port}`,
      },
    },
    acrValues: [ACR_PWD, ACR_MFA],
    claims: CLAIMS,
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    clientBasedCORS: (_ctx: unknown, origin: string) =>
      URL.canParse(origin) && isLoopbackHost(new URL(origin).hostname),
    fetch: fetchAllowingLoopback,
    interactions: {
      policy: policyWithStepUp(),
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: dpopNonceSecret,
        requireNonce: () => options.requireDpopNonce === true,
      },
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: options.requirePushedAuthorizationRequests ?? false,
      },
      userinfo: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, client: Client, token: { clientId?: string }) =>
          token.clientId === client.clientId,
      },
      introspection: { enabled: true, allowedPolicy: () => true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form, ctx.host);
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = logoutSuccessPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          const resource = resources[indicator];
          if (resource === undefined) throw new errors.InvalidTarget();
          return {
            scope: resource.scope ?? '',
            audience: indicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl.accessToken,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    findAccount: (_ctx: unknown, sub: string) => {
      const user = userBySub(sub);
      if (user === undefined) return undefined;
      return { accountId: user.sub, claims: () => ({ ...user.claims, sub: user.sub }) };
    },
    // Registered clients are trusted: what they ask for is granted, no consent page.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const accountId = oidc.session.accountId;
      if (accountId === undefined) return undefined;
      const clientId = oidc.client.clientId;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(clientId);
      const found = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
      const grant =
        found?.accountId === accountId ? found : new oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      if (oidc.requestParamClaims.size > 0) grant.addOIDCClaims([...oidc.requestParamClaims]);
      for (const [indicator, server] of Object.entries(oidc.resourceServers)) {
        grant.addResourceScope(indicator, server.scope ?? '');
      }
      await grant.save();
      return grant;
    },
    // A refresh token whenever offline_access was granted (kept by keepOfflineAccess).
    issueRefreshToken: (_ctx: unknown, client: Client, code: IssuedToken) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // roles, acr and auth_time on access tokens (RFC 9068 2.2.1), from the code or refresh token.
    extraTokenClaims: (ctx: KoaContextWithOIDC, token: IssuedToken) => {
      if (token.kind !== 'AccessToken' || token.accountId === undefined) return undefined;
      const { entities } = ctx.oidc;
      const source = entities.AuthorizationCode ?? entities.RefreshToken;
      const claims: Record<string, unknown> = {
        roles: userBySub(token.accountId)?.claims.roles ?? [],
      };
      if (source?.acr !== undefined) claims.acr = source.acr;
      if (source?.amr !== undefined) claims.amr = source.amr;
      if (source?.authTime !== undefined) claims.auth_time = source.authTime;
      return claims;
    },
    renderError: (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
    ttl: {
      AccessToken: ttl.accessToken,
      AuthorizationCode: 60,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Session: ttl.session,
      Grant: Math.max(ttl.session, ttl.refreshToken),
      Interaction: 600,
    },
  });

  const createProvider = (): Provider => {
    const provider = new Provider(issuer, configuration());
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
      const grantType = ctx.oidc.params.grant_type;
      grants.push({
        grantType: typeof grantType === 'string' ? grantType : 'unknown',
        clientId: ctx.oidc.client.clientId,
        at: Date.now(),
      });
    });
    for (const [event, listener] of listeners) provider.on(event, listener);
    return provider;
  };

  let provider = createProvider();
  let providerHandler = provider.callback();
  const interactionHost = { provider: () => provider, users, pendingOtp };

  const requestCounts = new Map<string, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    if (requestCounts.size < 1000 || requestCounts.has(url.pathname)) {
      requestCounts.set(url.pathname, (requestCounts.get(url.pathname) ?? 0) + 1);
    }
    if (url.pathname.startsWith('/interaction/')) {
      await handleInteraction(req, res, url.pathname, interactionHost);
      return;
    }
    if (url.pathname === '/auth' && req.method === 'GET' && keepOfflineAccess(url.searchParams)) {
      req.url = `${url.pathname}${url.search}`;
    }
    if (url.pathname === '/request' && req.method === 'POST') keepOfflineAccessPushed(req);
    providerHandler(req, res);
  }

  return {
    issuer,
    port,
    users,
    grants,
    get provider() {
      return provider;
    },
    requestCount: (pathname) => requestCounts.get(pathname) ?? 0,
    on(event, listener) {
      listeners.push([event, listener]);
      provider.on(event, listener);
    },
    async rotateKeys() {
      const fresh = await generateSigningKeys();
      retiredKeys = [...signingKeys, ...retiredKeys];
      signingKeys = fresh;
      provider = createProvider();
      providerHandler = provider.callback();
    },
    stop() {
      pendingOtp.clear();
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
