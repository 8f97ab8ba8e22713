import { auditEmitter } from './audit';
import type { Awaitable } from './awaitable';
import {
  DEFAULT_ROUTES,
  type LatchkeyOptions,
  type ResolvedConfig,
  type RouteName,
  resolveConfig,
} from './config';
import { eventLine } from './debug';
import { Guards } from './guards';
import { Logout } from './logout';
import { MemoryRevocationList } from './memory';
import { PasskeyRoutes } from './passkey-routes';
import { Providers } from './providers';
import type { HttpRequest } from './request';
import { Routes, type RouteTable } from './routes';
import { Keyring } from './seal';
import { CookieSessions, StoreSessions } from './session-backends';
import { type AuthContext, SessionContexts, type SetCookieSink } from './session-context';
import type { SessionJson } from './session-json';
import { sessionJson } from './session-record';
import { type LoginParams, loginExtras, SignIn } from './sign-in';
import { stepUpAssertionSigner } from './step-up-assertion';
import { TokenRefresher } from './tokens';

/**
 * A configured latchkey instance: routes, session reading and guards, framework-free. A facade:
 * each concept lives in its own module (sign-in, session contexts, logout, guards, forwarding,
 * routes) and this class wires them together.
 */
export class Latchkey {
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /**
   * The paths of latchkey's routes (`/auth/login`, ...; the base URL's path included), for
   * frameworks that register each route (the Fastify plugin does).
   */
  readonly routePaths: readonly string[];
  // Private fields (`#`): what holds keys and tokens never shows in `util.inspect` or JSON.
  readonly #routes: Routes;
  readonly #signIn: SignIn;
  readonly #contexts: SessionContexts;

  constructor(options: LatchkeyOptions) {
    const config = resolveConfig(options);
    this.config = config;
    const routesPath = `${config.baseUrl.pathname.replace(/\/+$/, '')}${config.basePath}`;
    const keyring = new Keyring(config.secrets);
    const providers = new Providers(config);
    const sessions = config.store
      ? new StoreSessions(config, config.store, keyring)
      : new CookieSessions(
          config,
          keyring,
          config.revocations ?? new MemoryRevocationList({ now: config.now }),
        );
    const { onEvent, audit, log } = config;
    // The debug log and the audit log record first: they never throw, and the app's hook may.
    const emit = auditEmitter((event) => {
      log?.(eventLine(event));
      audit?.record(event);
      onEvent(event);
    });
    const { routes } = config;
    const path = (name: RouteName) => `${routesPath}${routes[name] || DEFAULT_ROUTES[name]}`;
    this.#contexts = new SessionContexts(
      config,
      providers,
      sessions,
      new TokenRefresher(config, providers, sessions),
      emit,
      {
        guards: new Guards(config, { login: path('login'), stepUp: path('stepUp') }, emit),
        forward: {
          appOrigin: config.baseUrl.origin,
          timeout: config.apiTimeout,
          stepUpAssertion:
            config.passkeyAssertionKey &&
            stepUpAssertionSigner(config.passkeyAssertionKey, config.baseUrl.origin, config.now),
        },
      },
    );
    this.#signIn = new SignIn(config, keyring, providers, sessions, this.#contexts, emit);
    const logout = new Logout(config, providers, sessions, this.#contexts, emit, path('logout'));
    const handlers: Record<RouteName, RouteTable[string]> = {
      login: {
        GET: (request) => {
          const query = new URL(request.url).searchParams;
          return this.#signIn.login(request, {
            returnTo: query.get('returnTo') ?? '/',
            provider: query.get('provider'),
            extra: loginExtras(query, config.loginParams),
          });
        },
      },
      callback: { GET: (request) => this.#signIn.callback(request) },
      session: { GET: (request) => this.#contexts.route(request) },
      stepUp: { GET: (request) => this.#signIn.stepUp(request) },
      backchannelLogout: { POST: (request, { body }) => logout.backchannel(request, body) },
      logout: {
        GET: (request) => logout.confirmPage(request),
        POST: (request) => logout.logout(request),
      },
      signedOut: { GET: (request) => logout.signedOut(request) },
    };
    const table: Record<string, RouteTable[string]> = {};
    for (const [name, methods] of Object.entries(handlers) as [RouteName, RouteTable[string]][]) {
      const route = routes[name];
      if (route) table[route] = methods;
    }
    // With several providers, each has its callback below the callback route (sign-in.ts).
    if ((config.providers || config.providerResolver) && routes.callback) {
      table[`${routes.callback}/:provider`] = {
        GET: (request, { params }) => this.#signIn.callback(request, params.provider),
      };
      delete table[routes.callback];
    }
    // Providers loaded on demand: a logout token's route names its provider, loaded or not.
    if (config.providerResolver && routes.backchannelLogout) {
      table[`${routes.backchannelLogout}/:provider`] = {
        POST: (request, { body, params }) => logout.backchannel(request, body, params.provider),
      };
      delete table[routes.backchannelLogout];
    }
    if (config.passkeys) {
      Object.assign(
        table,
        new PasskeyRoutes(
          config,
          this.#contexts,
          sessions,
          this.#signIn,
          emit,
          config.passkeys,
        ).table(),
      );
    }
    this.#routes = new Routes(routesPath, table, config.errorPage);
    this.routePaths = Object.keys(table).map((route) => `${routesPath}${route}`);
  }

  /**
   * True when the request is for one of latchkey's routes (`/auth/login`, ...): adapters hand
   * those to {@link handle} and {@link authenticate} every other request, paths under `/auth/`
   * that latchkey does not answer included.
   */
  owns(request: HttpRequest): boolean {
    return this.#routes.routeOf(request) !== undefined;
  }

  /**
   * Answers latchkey's own routes (`/auth/login`, `/auth/callback`, `/auth/session`,
   * `/auth/step-up`, `/auth/logout`, `/auth/signed-out`, `/auth/backchannel-logout`); returns
   * undefined for any other request. Never throws: failures become the error response for the request (JSON or HTML).
   */
  handle(request: HttpRequest): Promise<Response | undefined> {
    return this.#routes.handle(request);
  }

  /**
   * The Web-standard entry, for frameworks that speak `Request` and `Response` (Hono, Next.js
   * route handlers, Bun, Deno): answers latchkey's routes as {@link handle} does, and resolves
   * undefined for any other request. Read that request's session with {@link sessionOf}.
   */
  fetch(request: Request): Promise<Response | undefined> {
    return this.#routes.handle(request);
  }

  /**
   * The session of a Web `Request`, with the `Set-Cookie` lines its response must carry (a rolling
   * session re-sealed, a dead cookie cleared). See {@link authenticate}, which it wraps.
   */
  async sessionOf(request: Request): Promise<{
    /** The request's auth context, for guards and `getAccessToken()`. */
    auth: AuthContext;
    /**
     * `Set-Cookie` lines for the response. `auth.getAccessToken()` appends more when it
     * refreshes, so read them when the response is built.
     */
    setCookies: string[];
  }> {
    const setCookies: string[] = [];
    const auth = await this.#contexts.authenticate(request, (lines) => setCookies.push(...lines));
    return { auth, setCookies };
  }

  /**
   * The session JSON of a Web `Request`, as `GET /auth/session` would answer it: what a server
   * render passes to `<AuthProvider initialSession>` (`@latchkey/react`), in any SSR framework.
   * With the `Set-Cookie` lines of {@link sessionOf}, for a framework that can set them.
   *
   * @example
   * const { session } = await auth.sessionJsonOf(request);
   * const html = renderToString(<AuthProvider initialSession={session}><App /></AuthProvider>);
   */
  async sessionJsonOf(request: Request): Promise<{
    /** The body `GET /auth/session` would answer. */
    session: SessionJson;
    /** `Set-Cookie` lines for the response, when the framework can set them. */
    setCookies: string[];
  }> {
    const { auth, setCookies } = await this.sessionOf(request);
    return { session: sessionJson(auth.session), setCookies };
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
}

/** Creates a latchkey instance. Throws `config_invalid` with what to fix; never contacts the IdP. */
export function createLatchkey(options: LatchkeyOptions): Latchkey {
  return new Latchkey(options);
}
