import { auditEmitter } from './audit';
import type { Awaitable } from './awaitable';
import { OidcClient } from './client';
import {
  DEFAULT_ROUTES,
  type LatchkeyOptions,
  type ResolvedConfig,
  type RouteName,
  resolveConfig,
} from './config';
import { forwardRequest } from './forward';
import { Guards } from './guards';
import { Logout } from './logout';
import { MemoryRevocationList } from './memory';
import type { Permission } from './rbac';
import type { HttpRequest } from './request';
import { Routes, type RouteTable } from './routes';
import { Keyring } from './seal';
import { type AuthContext, SessionContexts, type SetCookieSink } from './session-context';
import { CookieSessions, StoreSessions } from './sessions';
import { type LoginParams, SignIn } from './sign-in';
import type { StepUpRequirement } from './step-up';
import { TokenRefresher } from './tokens';

/**
 * A configured latchkey instance: routes, session reading and guards, framework-free. A facade:
 * each concept lives in its own module (sign-in, session contexts, logout, guards, forwarding,
 * routes) and this class wires them together.
 */
export class Latchkey {
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /** The path under which latchkey's routes live, e.g. `/auth` (plus the base URL's path). */
  readonly routesPath: string;
  // Private fields (`#`): what holds keys and tokens never shows in `util.inspect` or JSON.
  readonly #routes: Routes;
  readonly #signIn: SignIn;
  readonly #contexts: SessionContexts;
  readonly #guards: Guards;

  constructor(options: LatchkeyOptions) {
    const config = resolveConfig(options);
    this.config = config;
    this.routesPath = `${config.baseUrl.pathname.replace(/\/+$/, '')}${config.basePath}`;
    const keyring = new Keyring(config.secrets);
    const client = new OidcClient(config);
    const sessions = config.store
      ? new StoreSessions(config, config.store)
      : new CookieSessions(
          config,
          keyring,
          config.revocations ?? new MemoryRevocationList({ now: config.now }),
        );
    const emit = auditEmitter(config.onEvent);
    this.#contexts = new SessionContexts(
      config,
      sessions,
      new TokenRefresher(config, client, sessions),
      emit,
    );
    this.#signIn = new SignIn(config, keyring, client, sessions, this.#contexts, emit);
    const { routes } = config;
    const path = (name: RouteName) => `${this.routesPath}${routes[name] || DEFAULT_ROUTES[name]}`;
    const logout = new Logout(config, client, sessions, this.#contexts, emit, path('logout'));
    this.#guards = new Guards(config, { login: path('login'), stepUp: path('stepUp') }, emit);
    const handlers: Record<RouteName, RouteTable[string]> = {
      login: {
        GET: (request) =>
          this.#signIn.login(request, {
            returnTo: new URL(request.url).searchParams.get('returnTo') ?? '/',
          }),
      },
      callback: { GET: (request) => this.#signIn.callback(request) },
      session: { GET: (request) => this.#contexts.route(request) },
      stepUp: { GET: (request) => this.#signIn.stepUp(request) },
      backchannelLogout: { POST: (request) => logout.backchannel(request) },
      logout: { GET: () => logout.confirmPage(), POST: (request) => logout.logout(request) },
    };
    const table: Record<string, RouteTable[string]> = {};
    for (const [name, methods] of Object.entries(handlers) as [RouteName, RouteTable[string]][]) {
      const route = routes[name];
      if (route) table[route] = methods;
    }
    this.#routes = new Routes(this.routesPath, table, config.errorPage);
  }

  /**
   * True when the request is for one of latchkey's routes (`/auth/login`, ...): adapters hand
   * those (with their body) to {@link handle} and {@link authenticate} every other request.
   */
  owns(request: HttpRequest): boolean {
    return this.#routes.routeOf(request) !== undefined;
  }

  /**
   * Answers latchkey's own routes (`/auth/login`, `/auth/callback`, `/auth/session`,
   * `/auth/step-up`, `/auth/logout`, `/auth/backchannel-logout`); returns undefined for any other
   * request. Never throws: failures become the error response for the request (JSON or HTML).
   */
  handle(request: HttpRequest): Promise<Response | undefined> {
    return this.#routes.handle(request);
  }

  /** Starts a sign-in: a 302 to the IdP, with the transaction sealed in a cookie named after its state. */
  login(request: HttpRequest, params: LoginParams = {}): Promise<Response> {
    return this.#signIn.login(request, params);
  }

  /**
   * Completes a sign-in at the callback route, for an app that turned that route off
   * (`routes: { callback: false }`) to answer its path itself. Never throws.
   */
  callback(request: HttpRequest): Promise<Response> {
    return this.#signIn.callback(request);
  }

  /**
   * Reads the session of an app request. This is activity: a rolling session is re-saved (at most
   * once per `touchInterval`) through `setCookie`. A bad, expired or revoked cookie is cleared; an
   * unreachable store leaves the request signed out with the problem `store_unavailable`.
   * Synchronous when memory can answer (a session read recently, an in-memory revocation list),
   * as on most requests of a busy session; `await` the result.
   */
  authenticate(request: HttpRequest, sink: SetCookieSink): Awaitable<AuthContext> {
    return this.#contexts.authenticate(request, sink);
  }

  /**
   * Guard for signed-in routes: undefined when the request has a session; otherwise a 401 JSON
   * error for API requests, or a redirect to sign-in (returning to this page) for navigations.
   */
  requireAuth(request: HttpRequest, context: AuthContext): Response | undefined {
    return this.#guards.requireAuth(request, context);
  }

  /** Guard: signed in with `role`; 401 when signed out (see requireAuth), 403 `forbidden` otherwise. */
  requireRole(request: HttpRequest, context: AuthContext, role: string): Response | undefined {
    return this.#guards.requireRole(request, context, role);
  }

  /** Guard: signed in with `permission` (through the policy); 401 when signed out, 403 `forbidden` otherwise. */
  requirePermission(
    request: HttpRequest,
    context: AuthContext,
    permission: Permission,
  ): Response | undefined {
    return this.#guards.requirePermission(request, context, permission);
  }

  /**
   * Guard: signed in at `acr` or higher and/or within `maxAge` seconds. A page navigation (GET) is
   * redirected to the step-up route and returns here; an API request gets 401 with the RFC 9470
   * `WWW-Authenticate` challenge.
   */
  requireStepUp(
    request: HttpRequest,
    context: AuthContext,
    requirement: StepUpRequirement,
  ): Response | undefined {
    return this.#guards.requireStepUp(request, context, requirement);
  }

  /**
   * Backend-for-frontend forwarding to the API at `apiBaseUrl` with the session's access token;
   * `mountPath` is where the framework matched the forwarding route (see `forwardRequest`).
   */
  forward(
    request: HttpRequest,
    context: AuthContext,
    apiBaseUrl: URL | string,
    mountPath = '/',
  ): Promise<Response> {
    return forwardRequest(request, context, apiBaseUrl, mountPath, {
      appOrigin: this.config.baseUrl.origin,
      timeout: this.config.apiTimeout,
    });
  }
}

/** Creates a latchkey instance. Throws `config_invalid` with what to fix; never contacts the IdP. */
export function createLatchkey(options: LatchkeyOptions): Latchkey {
  return new Latchkey(options);
}
