import { type Awaitable, andThen, isPromiseLike } from './awaitable';
import { type EndSessionHint, OidcClient } from './client';
import { type LatchkeyOptions, type ResolvedConfig, resolveConfig } from './config';
import { type CookieReader, expireCookie, parseCookies, serializeCookie } from './cookies';
import { ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
import { forwardedResponse, forwardTarget } from './forward';
import { LOGOUT_TOKEN_MAX_AGE } from './logout';
import { MemoryRevocationList } from './memory';
import { can, hasRole, type Permission } from './rbac';
import {
  errorResponse,
  escapeHtml,
  type HttpRequest,
  htmlResponse,
  isSameOrigin,
  jsonResponse,
  redirectResponse,
  safeReturnTo,
  wantsJson,
} from './request';
import { Keyring } from './seal';
import {
  claimsOf,
  createRecord,
  idTokenOf,
  type Session,
  type SessionRecord,
  sessionJson,
  toSession,
} from './session';
import { CookieSessions, type ReadResult, type SessionBackend, StoreSessions } from './sessions';
import { type StepUpRequirement, stepUpChallenge, unmetStepUp } from './step-up';
import { TokenRefresher } from './tokens';
import {
  newState,
  STATE_PATTERN,
  type StepUpTransaction,
  TRANSACTION_TTL,
  type Transaction,
  transactionSlot,
} from './transaction';

/** Receives the `Set-Cookie` lines an operation wants on the response being built (never none). */
export type SetCookieSink = (setCookieLines: readonly string[]) => void;

/** Parameters of a sign-in started by the app (the login route takes `returnTo` only). */
export interface LoginParams {
  /** Same-origin path to return to after sign-in; anything else becomes `/`. */
  returnTo?: string;
  /** `acr_values` to ask the IdP for. */
  acrValues?: string;
  /** `max_age` in seconds: the IdP re-authenticates when the last authentication is older. */
  maxAge?: number | undefined;
  /** `prompt` (e.g. `'login'`, `'none'`). */
  prompt?: string;
  /** Extra scopes on top of the configured ones. */
  scopes?: readonly string[];
  /** More authorization parameters (they never replace the protocol's own). */
  extra?: Readonly<Record<string, string>>;
}

/** The authentication state of one request. */
export interface AuthContext {
  /** The signed-in session, or null. */
  readonly session: Session | null;
  /** Why there is no session although a cookie was sent (invalid, expired, revoked). */
  readonly problem: LatchkeyError | undefined;
  /**
   * A valid access token for the session, refreshed first when it is about to expire. Throws
   * `unauthenticated` when signed out and `refresh_failed` (session ended) when refresh fails.
   */
  getAccessToken(): Promise<string>;
}

const RECENT_TOUCHES = 10_000;

/** The path of an absolute URL, without parsing it (this runs on every request). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  const end = url.search(/[?#]/);
  return url.slice(start, end === -1 ? undefined : end);
}

/** Fail closed: no session, and the problem (503) for guards and getAccessToken to answer. */
function failClosed(error: unknown): ReadResult {
  if (isLatchkeyError(error) && error.code === ErrorCodes.storeUnavailable)
    return { problem: error };
  throw error;
}

/** A configured latchkey instance: routes, session reading and guards, framework-free. */
export class Latchkey {
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /** The path under which latchkey's routes live, e.g. `/auth` (plus the base URL's path). */
  readonly routesPath: string;
  private readonly keyring: Keyring;
  private readonly client: OidcClient;
  private readonly sessions: SessionBackend;
  private readonly refresher: TokenRefresher;
  /** The latest re-seal of each recently active session, reused within the touch interval. */
  private readonly touches = new Map<string, { record: SessionRecord; lines: string[] }>();
  /** The app-facing view of each record in use (see {@link sessionOf}). */
  private readonly views = new WeakMap<SessionRecord, Session>();

  constructor(options: LatchkeyOptions) {
    this.config = resolveConfig(options);
    this.routesPath = `${this.config.baseUrl.pathname.replace(/\/+$/, '')}${this.config.basePath}`;
    this.keyring = new Keyring(this.config.secrets);
    this.client = new OidcClient(this.config);
    this.sessions = this.config.store
      ? new StoreSessions(this.config, this.config.store)
      : new CookieSessions(
          this.config,
          this.keyring,
          this.config.revocations ?? new MemoryRevocationList({ now: this.config.now }),
        );
    this.refresher = new TokenRefresher(this.config, this.client, this.sessions);
  }

  /** The app-facing session of a record, built once per record and shared (it is frozen). */
  private sessionOf(record: SessionRecord): Session {
    let session = this.views.get(record);
    if (!session) {
      session = toSession(record, this.config);
      this.views.set(record, session);
    }
    return session;
  }

  private nowSeconds(): number {
    return Math.floor(this.config.now() / 1000);
  }

  /** The route of a path relative to latchkey's base path (`/login`, ...), or undefined. */
  private routeOf(pathname: string): string | undefined {
    const prefix = this.routesPath;
    return pathname.charCodeAt(prefix.length) === 47 && pathname.startsWith(prefix)
      ? pathname.slice(prefix.length)
      : undefined;
  }

  /**
   * True when the request is for latchkey's routes (`/auth/...`): adapters hand those (with their
   * body) to {@link handle} and {@link authenticate} every other request.
   */
  owns(request: HttpRequest): boolean {
    // As `routeOf(pathOf(url))`, without slicing the URL: this runs on every request.
    const url = request.url;
    const start = url.indexOf('/', url.indexOf('//') + 2);
    const prefix = this.routesPath;
    return (
      start !== -1 && url.startsWith(prefix, start) && url.charCodeAt(start + prefix.length) === 47
    );
  }

  /**
   * Answers latchkey's own routes (`/auth/login`, `/auth/callback`, `/auth/session`,
   * `/auth/logout`); returns undefined for any other request. Never throws: failures become the
   * error response for the request (JSON or HTML).
   */
  async handle(request: HttpRequest): Promise<Response | undefined> {
    const route = this.routeOf(pathOf(request.url));
    if (route === undefined) return undefined;
    const method = request.method.toUpperCase();
    try {
      switch (route) {
        case '/login':
          if (method !== 'GET') return this.methodNotAllowed(request, 'GET');
          return await this.login(request, {
            returnTo: new URL(request.url).searchParams.get('returnTo') ?? '/',
          });
        case '/callback':
          if (method !== 'GET') return this.methodNotAllowed(request, 'GET');
          return await this.callback(request);
        case '/session':
          if (method !== 'GET') return this.methodNotAllowed(request, 'GET');
          return await this.sessionRoute(request);
        case '/step-up':
          if (method !== 'GET') return this.methodNotAllowed(request, 'GET');
          return await this.stepUp(request);
        case '/backchannel-logout':
          if (method !== 'POST') return this.methodNotAllowed(request, 'POST');
          return await this.backchannelLogout(request);
        case '/logout':
          if (method === 'GET') return await this.logoutConfirmPage();
          if (method !== 'POST') return this.methodNotAllowed(request, 'POST');
          return await this.logout(request);
        default:
          return undefined;
      }
    } catch (error) {
      return errorResponse(error, request);
    }
  }

  private methodNotAllowed(request: HttpRequest, allow: string): Response {
    const response = errorResponse(
      new LatchkeyError(ErrorCodes.methodNotAllowed, `This route only answers ${allow}.`),
      request,
    );
    response.headers.set('allow', allow);
    return response;
  }

  /** Starts a sign-in: a 302 to the IdP, with the transaction sealed in a cookie named after its state. */
  async login(
    request: HttpRequest,
    params: LoginParams = {},
    stepUp?: StepUpTransaction,
  ): Promise<Response> {
    const cookies = parseCookies(request.headers.get('cookie'));
    const state = newState((slot) => !cookies.has(this.transactionCookie(slot)));
    const authorization = await this.client.authorizationRequest(params, state);
    const transaction: Transaction = {
      state,
      nonce: authorization.nonce,
      codeVerifier: authorization.codeVerifier,
      returnTo: safeReturnTo(params.returnTo, this.config.baseUrl),
      maxAge: params.maxAge,
      stepUp,
    };
    const sealed = await this.keyring.seal(
      'transaction',
      transaction,
      this.nowSeconds() + TRANSACTION_TTL,
    );
    const response = redirectResponse(authorization.url.href, 302);
    response.headers.append(
      'set-cookie',
      serializeCookie(this.transactionCookie(transactionSlot(state)), sealed, {
        secure: this.config.secure,
        maxAge: TRANSACTION_TTL,
      }),
    );
    return response;
  }

  /** The cookie of one transaction slot (see {@link TRANSACTION_SLOTS}). */
  private transactionCookie(slot: number): string {
    return `${this.config.transactionCookiePrefix}${slot}`;
  }

  /**
   * Completes a sign-in. Any failure clears the transaction, writes no session and answers a typed
   * error; success starts a new session (new sessionId) and redirects to `returnTo`.
   */
  private async callback(request: HttpRequest): Promise<Response> {
    const url = new URL(request.url);
    const state = url.searchParams.get('state');
    const cookies = parseCookies(request.headers.get('cookie'));
    let clearTransaction: string[] = [];
    try {
      if (!state)
        throw new LatchkeyError(ErrorCodes.stateMissing, 'The callback has no state parameter.');
      const slotCookie = STATE_PATTERN.test(state)
        ? this.transactionCookie(transactionSlot(state))
        : undefined;
      const sealed = slotCookie && cookies.get(slotCookie);
      const transaction = sealed
        ? await this.keyring.unseal<Transaction>('transaction', sealed, this.nowSeconds())
        : null;
      // Clear the slot when it holds this sign-in or nothing readable: a callback of another
      // sign-in must not end the one waiting there.
      if (slotCookie && sealed !== undefined && (!transaction || transaction.state === state)) {
        clearTransaction = [expireCookie(slotCookie, this.config.secure)];
      }
      if (!transaction || transaction.state !== state) {
        throw new LatchkeyError(
          ErrorCodes.stateMismatch,
          'No sign-in in progress matches this callback (expired, started in another browser, or already completed).',
        );
      }
      const callbackUrl = new URL(this.config.redirectUri);
      callbackUrl.search = url.search;
      const tokens = await this.client.exchangeCode(callbackUrl, {
        state,
        nonce: transaction.nonce,
        codeVerifier: transaction.codeVerifier,
        maxAge: transaction.maxAge,
      });
      const now = this.config.now();
      const record = createRecord(tokens, now);
      if (transaction.stepUp) this.checkStepUp(transaction.stepUp, record);
      // A new session replaces any the browser had: that one ends, so a copy of its cookie dies.
      const { record: previous } = await this.readRecord(cookies);
      if (previous) await this.sessions.end(previous, new Map(), now);
      const sessionCookies = await this.sessions.save(record, cookies, now);
      const response = redirectResponse(transaction.returnTo);
      for (const line of [...clearTransaction, ...sessionCookies])
        response.headers.append('set-cookie', line);
      const claims = claimsOf(record);
      this.emit({
        type: 'login',
        sub: String(claims.sub),
        sessionId: record.sid,
        ...(typeof claims.acr === 'string' ? { acr: claims.acr } : {}),
      });
      return response;
    } catch (error) {
      const response = errorResponse(error, request);
      for (const line of clearTransaction) response.headers.append('set-cookie', line);
      this.emit({
        type: 'login_failed',
        code: error instanceof LatchkeyError ? error.code : 'internal_error',
      });
      return response;
    }
  }

  /** Reads the request's session; never extends the idle timeout. */
  private readRecord(cookies: CookieReader): Awaitable<ReadResult> {
    try {
      const result = this.sessions.read(cookies, this.config.now());
      return isPromiseLike(result) ? Promise.resolve(result).catch(failClosed) : result;
    } catch (error) {
      return failClosed(error);
    }
  }

  /** Clears the cookie of a session that is invalid, expired or revoked; keeps it otherwise. */
  private clearIfDead(problem: LatchkeyError | undefined, cookies: CookieReader): string[] {
    return problem && problem.code !== ErrorCodes.storeUnavailable
      ? this.sessions.clear(cookies)
      : [];
  }

  private async sessionRoute(request: HttpRequest): Promise<Response> {
    const cookies = parseCookies(request.headers.get('cookie'));
    const { record, problem } = await this.readRecord(cookies);
    // Without its store, latchkey cannot say whether the user is signed in: fail, don't guess.
    if (problem?.code === ErrorCodes.storeUnavailable) throw problem;
    const response = jsonResponse(sessionJson(record ? this.sessionOf(record) : null));
    for (const line of this.clearIfDead(problem, cookies))
      response.headers.append('set-cookie', line);
    return response;
  }

  /**
   * The sign-out page for browsers without JavaScript. Its form's POST is answered with a redirect
   * to the IdP's end-session endpoint, so the page's CSP allows that origin in `form-action`.
   */
  private async logoutConfirmPage(): Promise<Response> {
    let endSession: URL | undefined;
    try {
      endSession = await this.client.endSessionUrl();
    } catch {
      // The IdP is down: sign-out then ends the local session only, on this origin.
    }
    return htmlResponse(
      'Sign out',
      `<h1>Sign out?</h1><form method="post" action="${escapeHtml(this.routePath('/logout'))}"><button type="submit">Sign out</button></form>`,
      200,
      endSession ? [endSession.origin] : [],
    );
  }

  /**
   * Ends the session: clears the cookie, destroys or revokes the sessionId (a copied cookie dies
   * too), and sends the browser to the IdP's end-session endpoint (`303`, or JSON
   * `{ redirectTo }` for `fetch` callers).
   */
  private async logout(request: HttpRequest): Promise<Response> {
    if (!isSameOrigin(request, this.config.baseUrl.origin)) {
      throw new LatchkeyError(
        ErrorCodes.originMismatch,
        'Sign-out must be posted from this app (the Origin or Sec-Fetch-Site header is missing or foreign).',
      );
    }
    const cookies = parseCookies(request.headers.get('cookie'));
    const { record, problem } = await this.readRecord(cookies);
    if (problem?.code === ErrorCodes.storeUnavailable) throw problem;
    const clearCookies = await this.sessions.end(record, cookies, this.config.now());
    let redirectTo = this.config.postLogoutRedirectUri;
    if (record) {
      this.emit({ type: 'logout', sub: String(claimsOf(record).sub), sessionId: record.sid });
      try {
        const endSession = await this.client.endSessionUrl(this.endSessionHint(record));
        if (endSession) redirectTo = endSession.href;
      } catch {
        // The IdP is down: the local session still ends; the user lands on the post-logout page.
      }
    }
    const response = wantsJson(request)
      ? jsonResponse({ redirectTo })
      : redirectResponse(redirectTo);
    for (const line of clearCookies) response.headers.append('set-cookie', line);
    return response;
  }

  /** Who signs out, as the IdP hears it: the ID token, or with `logout.idTokenHint: false` a hint. */
  private endSessionHint(record: SessionRecord): EndSessionHint {
    if (this.config.logoutIdTokenHint) return { idTokenHint: idTokenOf(record) };
    const claims = claimsOf(record);
    const hint = claims.login_hint ?? claims.sid;
    return typeof hint === 'string' ? { logoutHint: hint } : {};
  }

  /**
   * OpenID Back-Channel Logout 1.0: the IdP posts a logout token; every session of that IdP
   * session (`sid`), or of the user (`sub`) when no `sid` is given, ends on every instance.
   * Exempt from the Origin check: the request comes from the IdP, not a browser.
   */
  private async backchannelLogout(request: HttpRequest): Promise<Response> {
    try {
      const type = request.headers.get('content-type') ?? '';
      if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw new LatchkeyError(
          ErrorCodes.logoutTokenInvalid,
          'Invalid logout token: the body must be application/x-www-form-urlencoded.',
        );
      }
      const params = new URLSearchParams(await request.text());
      const token = params.getAll('logout_token');
      if (token.length !== 1 || !token[0]) {
        throw new LatchkeyError(
          ErrorCodes.logoutTokenInvalid,
          'Invalid logout token: exactly one logout_token parameter is required.',
        );
      }
      const logout = await this.client.validateLogoutToken(token[0]);
      const ttl = LOGOUT_TOKEN_MAX_AGE + 2 * this.config.clockTolerance;
      if (!(await this.sessions.markSeen(`jti:${logout.jti}`, ttl))) {
        throw new LatchkeyError(
          ErrorCodes.logoutTokenInvalid,
          'Invalid logout token: its jti was already used (replay).',
        );
      }
      const now = this.config.now();
      await this.sessions.endBy(logout.sid ? { idpSid: logout.sid } : { sub: logout.sub! }, now);
      this.emit({ type: 'backchannel_logout', sub: logout.sub, idpSid: logout.sid });
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
    } catch (error) {
      const known = error instanceof LatchkeyError ? error : undefined;
      const response = jsonResponse(
        {
          error: known?.code ?? 'internal_error',
          message: known?.message ?? 'Back-channel logout failed.',
        },
        known?.status ?? 500,
      );
      return response;
    }
  }

  /**
   * Reads the session of an app request. This is activity: a rolling session is re-saved (at most
   * once per `touchInterval`) through `setCookie`. A bad, expired or revoked cookie is cleared; an
   * unreachable store leaves the request signed out with the problem `store_unavailable`.
   * Synchronous when memory can answer (a session read recently, an in-memory revocation list),
   * as on most requests of a busy session; `await` the result.
   */
  authenticate(request: HttpRequest, sink: SetCookieSink): Awaitable<AuthContext> {
    const setCookie: SetCookieSink = (lines) => {
      if (lines.length > 0) sink(lines);
    };
    const cookies = parseCookies(request.headers.get('cookie'));
    return andThen(this.readRecord(cookies), (read) => this.contextOf(read, cookies, setCookie));
  }

  /** The request's context once its session is read; re-seals a rolling session when due. */
  private contextOf(
    { record, problem }: ReadResult,
    cookies: CookieReader,
    setCookie: SetCookieSink,
  ): Awaitable<AuthContext> {
    if (!record) {
      setCookie(this.clearIfDead(problem, cookies));
      return this.context(null, problem, cookies, setCookie);
    }
    const now = this.config.now();
    if (now - record.touchedAt >= this.config.touchInterval * 1000) {
      // At most one re-seal per session per interval, however many requests carry the old cookie.
      const recent = this.touches.get(record.sid);
      if (
        recent &&
        recent.record.rt === record.rt &&
        now - recent.record.touchedAt < this.config.touchInterval * 1000
      ) {
        setCookie(recent.lines);
        return this.context(recent.record, undefined, cookies, setCookie);
      }
      return this.touch(record, cookies, setCookie, now);
    }
    return this.context(record, undefined, cookies, setCookie);
  }

  /** Re-saves a rolling session as active now, and remembers the result for the interval. */
  private async touch(
    record: SessionRecord,
    cookies: CookieReader,
    setCookie: SetCookieSink,
    now: number,
  ): Promise<AuthContext> {
    const touched = { ...record, touchedAt: now };
    let lines: string[];
    try {
      lines = await this.sessions.save(touched, cookies, now);
    } catch (error) {
      if (!isLatchkeyError(error)) throw error;
      return this.context(null, error, cookies, setCookie);
    }
    this.touches.delete(record.sid);
    this.touches.set(record.sid, { record: touched, lines });
    if (this.touches.size > RECENT_TOUCHES) this.touches.delete(this.touches.keys().next().value!);
    setCookie(lines);
    return this.context(touched, undefined, cookies, setCookie);
  }

  private context(
    initial: SessionRecord | null,
    problem: LatchkeyError | undefined,
    cookies: CookieReader,
    setCookie: SetCookieSink,
  ): AuthContext {
    let record = initial;
    const latchkey = this;
    return {
      session: record ? this.sessionOf(record) : null,
      problem,
      async getAccessToken() {
        if (!record)
          throw problem ?? new LatchkeyError(ErrorCodes.unauthenticated, 'Not signed in.');
        if (!latchkey.refresher.needsRefresh(record, latchkey.config.now())) return record.at!;
        const current = record;
        try {
          record = await latchkey.refresher.refresh(current);
        } catch (error) {
          if (error instanceof LatchkeyError && error.code === ErrorCodes.refreshFailed) {
            setCookie(await latchkey.sessions.end(current, cookies, latchkey.config.now()));
            latchkey.emit({
              type: 'refresh_failed',
              sub: String(claimsOf(current).sub),
              sessionId: current.sid,
              code: error.code,
            });
          }
          throw error;
        }
        setCookie(await latchkey.sessions.cookiesFor(record, cookies, latchkey.config.now()));
        latchkey.emit({
          type: 'refresh',
          sub: String(claimsOf(record).sub),
          sessionId: record.sid,
        });
        return record.at!;
      },
    };
  }

  /**
   * `GET /auth/step-up?acr=...&max_age=...&returnTo=...`: re-authenticates at the IdP with
   * `acr_values` and `max_age`. `acr` must be one of the configured levels.
   */
  private async stepUp(request: HttpRequest): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const acr = query.get('acr') ?? undefined;
    const maxAgeText = query.get('max_age');
    if (acr !== undefined && !this.config.acrLevels.includes(acr)) {
      throw new LatchkeyError(
        ErrorCodes.invalidRequest,
        `Unknown authentication level '${acr}': it is not one of the configured acrLevels.`,
      );
    }
    if (maxAgeText !== null && !/^\d{1,9}$/.test(maxAgeText)) {
      throw new LatchkeyError(
        ErrorCodes.invalidRequest,
        'max_age must be a whole number of seconds.',
      );
    }
    if (acr === undefined && maxAgeText === null) {
      throw new LatchkeyError(ErrorCodes.invalidRequest, 'A step-up needs acr, max_age or both.');
    }
    const maxAge = maxAgeText === null ? undefined : Number(maxAgeText);
    const wanted = { acr, maxAge };
    const { record } = await this.readRecord(parseCookies(request.headers.get('cookie')));
    return this.login(
      request,
      { returnTo: query.get('returnTo') ?? '/', maxAge, extra: this.config.stepUpParams(wanted) },
      { sub: record ? String(claimsOf(record).sub) : undefined, ...wanted },
    );
  }

  /**
   * Checks the new authentication of a step-up: the level and freshness asked for, and the same
   * user. On success the session being upgraded ends (the new one has a new sessionId); on
   * failure nothing changes.
   */
  private checkStepUp(stepUp: StepUpTransaction, record: SessionRecord): void {
    const session = this.sessionOf(record);
    if (stepUp.sub !== undefined && session.user.sub !== stepUp.sub) {
      throw new LatchkeyError(
        ErrorCodes.stepUpFailed,
        'The step-up was completed by a different user; the original session is unchanged.',
      );
    }
    const unmet = unmetStepUp(
      session,
      stepUp,
      this.config.acrLevels,
      this.nowSeconds(),
      this.config.clockTolerance,
    );
    if (unmet) {
      throw new LatchkeyError(
        ErrorCodes.stepUpFailed,
        `The step-up did not reach what was asked: ${unmet}.`,
      );
    }
  }

  private denied(
    request: HttpRequest,
    error: LatchkeyError,
    headers?: Record<string, string>,
  ): Response {
    const response = errorResponse(error, request);
    for (const [name, value] of Object.entries(headers ?? {})) response.headers.set(name, value);
    return response;
  }

  /** Guard: signed in with `role`; 401 when signed out (see requireAuth), 403 `forbidden` otherwise. */
  requireRole(request: HttpRequest, context: AuthContext, role: string): Response | undefined {
    const unauthenticated = this.requireAuth(request, context);
    if (unauthenticated) return unauthenticated;
    if (hasRole(context.session, role)) return undefined;
    return this.denied(
      request,
      new LatchkeyError(ErrorCodes.forbidden, `The role '${role}' is required.`),
    );
  }

  /** Guard: signed in with `permission` (through the policy); 401 when signed out, 403 `forbidden` otherwise. */
  requirePermission(
    request: HttpRequest,
    context: AuthContext,
    permission: Permission,
  ): Response | undefined {
    const unauthenticated = this.requireAuth(request, context);
    if (unauthenticated) return unauthenticated;
    if (can(context.session, permission)) return undefined;
    return this.denied(
      request,
      new LatchkeyError(ErrorCodes.forbidden, `The permission '${permission}' is required.`),
    );
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
    const unauthenticated = this.requireAuth(request, context);
    if (unauthenticated) return unauthenticated;
    const unmet = unmetStepUp(
      context.session!,
      requirement,
      this.config.acrLevels,
      this.nowSeconds(),
      this.config.clockTolerance,
    );
    if (!unmet) return undefined;
    if (!wantsJson(request) && request.method.toUpperCase() === 'GET') {
      const url = new URL(request.url);
      const target = new URL(this.routePath('/step-up'), this.config.baseUrl);
      if (requirement.acr) target.searchParams.set('acr', requirement.acr);
      if (requirement.maxAge !== undefined)
        target.searchParams.set('max_age', String(requirement.maxAge));
      target.searchParams.set('returnTo', `${url.pathname}${url.search}`);
      return redirectResponse(`${target.pathname}${target.search}`, 302);
    }
    const description = `Step-up required: ${unmet}`;
    return this.denied(
      request,
      new LatchkeyError(ErrorCodes.insufficientUserAuthentication, `${description}.`),
      { 'www-authenticate': stepUpChallenge(requirement, description) },
    );
  }

  /** The path of one of latchkey's routes, e.g. `/auth/login`. */
  private routePath(route: string): string {
    return `${this.routesPath}${route}`;
  }

  /**
   * Backend-for-frontend forwarding: calls the API at `apiBaseUrl` plus the request's path and
   * query (the host is always `apiBaseUrl`'s, whatever the path holds) with the request's method,
   * `Accept`, `Content-Type` and body, and the session's access token (refreshed first when it is
   * about to expire). The API's status, body and 401 challenges (RFC 6750, RFC 9470) come back
   * unchanged, so the browser can step up; its other headers are replaced so that the answer
   * cannot act as the app's own content (see `forwardedResponse`). No cookie or other header is
   * forwarded. A path with a dot segment, or one that resolves outside `mountPath` (where the
   * framework matched the forwarding route), is refused with 400. Writes (anything but GET and
   * HEAD) need a same-origin `Origin`, like latchkey's own routes.
   */
  async forward(
    request: HttpRequest,
    context: AuthContext,
    apiBaseUrl: URL | string,
    mountPath = '/',
  ): Promise<Response> {
    try {
      const target = forwardTarget(request.url, apiBaseUrl, mountPath);
      if (!context.session) {
        throw (
          context.problem ??
          new LatchkeyError(ErrorCodes.unauthenticated, 'Sign in to call this API.')
        );
      }
      const method = request.method.toUpperCase();
      // The browser's call carries the session cookie: a write must come from the app's own pages.
      if (
        method !== 'GET' &&
        method !== 'HEAD' &&
        !isSameOrigin(request, this.config.baseUrl.origin)
      ) {
        throw new LatchkeyError(
          ErrorCodes.originMismatch,
          'API writes must come from this app (the Origin or Sec-Fetch-Site header is missing or foreign).',
        );
      }
      const token = await context.getAccessToken();
      const headers = new Headers({ authorization: `Bearer ${token}` });
      for (const name of ['accept', 'content-type']) {
        const value = request.headers.get(name);
        if (value) headers.set(name, value);
      }
      const init: RequestInit = {
        method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.idpTimeout),
      };
      if (method !== 'GET' && method !== 'HEAD') init.body = await request.text();
      let answer: Response;
      try {
        answer = await fetch(target, init);
      } catch (cause) {
        throw new LatchkeyError(
          ErrorCodes.apiUnreachable,
          'The API could not be reached or did not answer in time.',
          { cause },
        );
      }
      return forwardedResponse(answer);
    } catch (error) {
      return errorResponse(
        error,
        new Request(request.url, { headers: { accept: 'application/json' } }),
      );
    }
  }

  /**
   * Guard for signed-in routes: undefined when the request has a session; otherwise a 401 JSON
   * error for API requests, or a redirect to sign-in (returning to this page) for navigations.
   */
  requireAuth(request: HttpRequest, context: AuthContext): Response | undefined {
    if (context.session) return undefined;
    const problem =
      context.problem ??
      new LatchkeyError(ErrorCodes.unauthenticated, 'Sign in to access this resource.');
    if (wantsJson(request) || request.method.toUpperCase() !== 'GET')
      return errorResponse(problem, request);
    const url = new URL(request.url);
    const login = new URL(this.routePath('/login'), this.config.baseUrl);
    login.searchParams.set('returnTo', `${url.pathname}${url.search}`);
    return redirectResponse(`${login.pathname}${login.search}`, 302);
  }

  private emit(event: Parameters<ResolvedConfig['onEvent']>[0]): void {
    try {
      this.config.onEvent(event);
    } catch {
      // An audit hook must not break sign-in.
    }
  }
}

/** Creates a latchkey instance. Throws `config_invalid` with what to fix; never contacts the IdP. */
export function createLatchkey(options: LatchkeyOptions): Latchkey {
  return new Latchkey(options);
}
