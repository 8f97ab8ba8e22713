import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Emit } from './audit';
import type { EndSessionHint } from './client';
import type { ResolvedConfig } from './config';
import { expireCookie, parseCookies, serializeCookie } from './cookies';
import { ErrorCodes, LatchkeyError } from './errors';
import { LOGOUT_TOKEN_MAX_AGE } from './logout-token';
import type { Providers } from './providers';
import { type HttpRequest, isSameOrigin, safeReturnTo, wantsJson } from './request';
import { escapeHtml, htmlResponse, jsonResponse, redirectResponse, toResponse } from './responses';
import type { SessionBackend } from './session-backends';
import type { SessionContexts } from './session-context';
import {
  claimsOf,
  idTokenOf,
  isPasskeySession,
  qualified,
  type SessionRecord,
} from './session-record';

/** Seconds a sign-out's `state` waits for the browser to come back from the IdP. */
const LOGOUT_STATE_TTL = 600;

/** Compares two strings in constant time (the sign-out `state` with its cookie). */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Sign-out: RP-initiated (the local session ends, then the IdP's end-session endpoint) and
 * back-channel (the IdP posts a logout token and every matching session ends on every instance).
 */
export class Logout {
  constructor(
    private readonly config: ResolvedConfig,
    private readonly providers: Providers,
    private readonly sessions: SessionBackend,
    private readonly contexts: SessionContexts,
    private readonly emit: Emit,
    /** Where the sign-out page posts its form (`/auth/logout`). */
    private readonly logoutPath: string,
  ) {}

  /**
   * The sign-out page for browsers without JavaScript. Its form's POST is answered with a redirect
   * to the end-session endpoint of the session's IdP, so the page's CSP allows that origin in
   * `form-action` (a browser signed out, or signed in with a passkey, stays on this origin).
   */
  async confirmPage(request: HttpRequest): Promise<Response> {
    const { record } = await this.contexts.read(parseCookies(request.headers.get('cookie')));
    let origins: string[] = [];
    if (record && !isPasskeySession(record)) {
      try {
        const endSession = await this.providers.ofRecord(record).client.endSessionUrl();
        if (endSession) origins = [endSession.origin];
      } catch {
        // The IdP is down: sign-out then ends the local session only, on this origin.
      }
    }
    return htmlResponse(
      'Sign out',
      `<h1>Sign out?</h1><form method="post" action="${escapeHtml(this.logoutPath)}"><button type="submit">Sign out</button></form>`,
      200,
      origins,
    );
  }

  /**
   * Ends the session: clears the cookie, destroys or revokes the sessionId (a copied cookie dies
   * too), and sends the browser to the IdP's end-session endpoint (`303`, or JSON
   * `{ redirectTo }` for `fetch` callers). `?returnTo=` (a path on this origin) is where the user
   * lands afterwards instead of `postLogoutRedirectPath`: kept with the end-session `state` when
   * the IdP sends the browser back to the `signedOut` route, else the redirect itself.
   */
  async logout(request: HttpRequest): Promise<Response> {
    if (!isSameOrigin(request, this.config.baseUrl.origin)) {
      throw new LatchkeyError(
        ErrorCodes.originMismatch,
        'Sign-out must be posted from this app (the Origin or Sec-Fetch-Site header is missing or foreign).',
      );
    }
    const cookies = parseCookies(request.headers.get('cookie'));
    const { record, problem } = await this.contexts.read(cookies);
    if (problem?.code === ErrorCodes.storeUnavailable) throw problem;
    const clearCookies = await this.sessions.end(record, cookies, this.config.now());
    // Where to land afterwards, when the caller says (`?returnTo=`): a path on this origin.
    const asked = new URL(request.url).searchParams.get('returnTo');
    const returnTo = asked ? safeReturnTo(asked, this.config.baseUrl) : undefined;
    let redirectTo = this.landing(returnTo);
    let state: string | undefined;
    if (record) {
      this.emit({ type: 'logout', sub: String(claimsOf(record).sub), sessionId: record.sessionId });
    }
    // A session a passkey started has no IdP session to end.
    if (record && !isPasskeySession(record)) {
      try {
        const hint = this.endSessionHint(record);
        if (this.config.routes.signedOut) hint.state = randomBytes(32).toString('base64url');
        const endSession = await this.providers.ofRecord(record).client.endSessionUrl(hint);
        if (endSession) {
          redirectTo = endSession.href;
          state = hint.state;
        }
      } catch {
        // The IdP is down: the local session still ends; the user lands on the post-logout page.
      }
    }
    const response = wantsJson(request)
      ? jsonResponse({ redirectTo })
      : redirectResponse(redirectTo);
    for (const line of clearCookies) response.headers.append('set-cookie', line);
    if (state) {
      response.headers.append(
        'set-cookie',
        serializeCookie(this.config.logoutStateCookie, logoutState(state, returnTo), {
          secure: this.config.secure,
          maxAge: LOGOUT_STATE_TTL,
        }),
      );
    }
    return response;
  }

  /**
   * `GET /auth/signed-out`: where the IdP sends the browser back after sign-out. Redirects to the
   * sign-out's `returnTo`, else `postLogoutRedirectPath`, only when the query's `state` is the one
   * this browser's sign-out sent (its cookie); any other return is refused with `state_mismatch`
   * and changes nothing.
   */
  async signedOut(request: HttpRequest): Promise<Response> {
    const states = new URL(request.url).searchParams.getAll('state');
    const [expected, returnTo] = readLogoutState(
      parseCookies(request.headers.get('cookie')).get(this.config.logoutStateCookie),
    );
    if (states.length !== 1 || !expected || !sameSecret(states[0]!, expected)) {
      throw new LatchkeyError(
        ErrorCodes.stateMismatch,
        'No sign-out in progress matches this return from the identity provider (expired, started in another browser, or already completed).',
      );
    }
    const response = redirectResponse(
      this.landing(returnTo && safeReturnTo(returnTo, this.config.baseUrl)),
    );
    response.headers.append(
      'set-cookie',
      expireCookie(this.config.logoutStateCookie, this.config.secure),
    );
    return response;
  }

  /** Where a signed-out browser lands: `returnTo` (a checked path) on this origin, or the default. */
  private landing(returnTo: string | undefined): string {
    return returnTo === undefined
      ? this.config.postLogoutRedirectUri
      : `${this.config.baseUrl.origin}${returnTo}`;
  }

  /** Who signs out, as the IdP hears it: the ID token, or with `logout.idTokenHint: false` a hint. */
  private endSessionHint(record: SessionRecord): EndSessionHint {
    if (this.config.logoutIdTokenHint) return { idTokenHint: idTokenOf(record)! };
    const claims = claimsOf(record);
    const hint = claims.login_hint ?? claims.sid;
    return typeof hint === 'string' ? { logoutHint: hint } : {};
  }

  /**
   * OpenID Back-Channel Logout 1.0: the IdP posts a logout token; every session of that IdP
   * session (`sid`), or of the user (`sub`) when no `sid` is given, ends on every instance.
   * With several providers, the token's issuer picks the provider whose keys must verify it, and
   * only that provider's sessions end; with `resolveProvider`, the route names the provider
   * (`/auth/backchannel-logout/<name>`). Exempt from the Origin check: the request comes from the
   * IdP, not a browser. `body` is the request's form.
   */
  async backchannel(request: HttpRequest, body: string, name?: string): Promise<Response> {
    try {
      const type = request.headers.get('content-type') ?? '';
      if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw new LatchkeyError(
          ErrorCodes.logoutTokenInvalid,
          'Invalid logout token: the body must be application/x-www-form-urlencoded.',
        );
      }
      const params = new URLSearchParams(body);
      const token = params.getAll('logout_token');
      if (token.length !== 1 || !token[0]) {
        throw new LatchkeyError(
          ErrorCodes.logoutTokenInvalid,
          'Invalid logout token: exactly one logout_token parameter is required.',
        );
      }
      const provider =
        name === undefined ? this.providers.issuing(token[0]) : await this.providers.find(name);
      if (!provider) {
        throw new LatchkeyError(
          ErrorCodes.logoutTokenInvalid,
          "Invalid logout token: its issuer is not one of this app's identity providers.",
        );
      }
      const logout = await provider.client.validateLogoutToken(token[0]);
      const ttl = LOGOUT_TOKEN_MAX_AGE + 2 * this.config.clockTolerance;
      const seen = `jti:${qualified(provider.name, logout.jti)}`;
      if (!(await this.sessions.markSeen(seen, ttl))) {
        throw new LatchkeyError(
          ErrorCodes.logoutTokenInvalid,
          'Invalid logout token: its jti was already used (replay).',
        );
      }
      try {
        await this.sessions.endBy(
          logout.sid
            ? { idpSid: qualified(provider.name, logout.sid) }
            : { sub: qualified(provider.name, logout.sub!) },
          this.config.now(),
        );
      } catch (error) {
        // The sessions did not all end: the IdP's retry of this token is no replay (ending them
        // twice is harmless). Should the store fail this too, the retry is refused as a replay;
        // the IdP gets the first error either way.
        await this.sessions.forgetSeen(seen).catch(() => {});
        throw error;
      }
      this.emit({ type: 'backchannel_logout', sub: logout.sub, idpSid: logout.sid });
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
    } catch (error) {
      return toResponse(error, { as: 'json' });
    }
  }
}

/**
 * The end-session state cookie's value: the state, and after a `.` the sign-out's `returnTo`
 * (base64url), checked again when it is read back.
 */
function logoutState(state: string, returnTo: string | undefined): string {
  return returnTo === undefined ? state : `${state}.${Buffer.from(returnTo).toString('base64url')}`;
}

/** The state and the `returnTo` of an end-session state cookie. */
function readLogoutState(value: string | undefined): [string | undefined, string | undefined] {
  if (value === undefined) return [undefined, undefined];
  const [state, returnTo] = value.split('.');
  return [
    state,
    returnTo === undefined ? undefined : Buffer.from(returnTo, 'base64url').toString(),
  ];
}
