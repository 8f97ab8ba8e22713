import type { Emit } from './audit';
import { type Awaitable, andThen, isPromiseLike } from './awaitable';
import type { ResolvedConfig } from './config';
import { type CookieReader, parseCookies } from './cookies';
import { callWithToken, type TokenRequestInit } from './dpop';
import { ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
import type { Guards } from './guards';
import type { Providers } from './providers';
import type { HttpRequest } from './request';
import { jsonResponse } from './responses';
import type { ReadResult, SessionBackend } from './session-backends';
import {
  claimsOf,
  isPasskeySession,
  type Session,
  type SessionRecord,
  sessionJson,
  toSession,
} from './session-record';
import type { StepUpAssertionSigner } from './step-up-assertion';
import type { TokenRefresher } from './tokens';

/** Receives the `Set-Cookie` lines an operation wants on the response being built (never none). */
export type SetCookieSink = (setCookieLines: readonly string[]) => void;

/**
 * What a request's context links to in the instance that read it: the guards, and what
 * forwarding needs. Internal (see `linkOf`).
 */
export interface ContextLink {
  readonly guards: Guards;
  /**
   * The app's origin (writes must come from it), how long `forward` waits for the API, and the
   * signer of step-up assertions for it, if the app has a key.
   */
  readonly forward: {
    readonly appOrigin: string;
    readonly timeout: number;
    readonly stepUpAssertion: StepUpAssertionSigner | undefined;
  };
}

/** The key of a context's {@link ContextLink}. */
export const LINK: unique symbol = Symbol('latchkey.context');

/** The authentication state of one request. */
export interface AuthContext {
  /** The request this context belongs to (guards answer it). */
  readonly request: HttpRequest;
  /** The signed-in session, or null. */
  readonly session: Session | null;
  /** Why there is no session although a cookie was sent (invalid, expired, revoked). */
  readonly problem: LatchkeyError | undefined;
  /**
   * A valid access token for the session, refreshed first when it is about to expire. Throws
   * `unauthenticated` when signed out and `refresh_failed` (session ended) when refresh fails.
   */
  getAccessToken(): Promise<string>;
  /**
   * Calls an API with the session's access token, refreshed first when needed, and resolves the
   * API's answer as it came (401 and 403 challenges included; redirects are not followed). A
   * token bound to a DPoP key (`dpop` option) is sent as `Authorization: DPoP` with a fresh proof
   * for this method and URL, and the call is retried once when the API asks for a nonce
   * (`use_dpop_nonce`); others go as `Authorization: Bearer`. Throws as `getAccessToken` does, and
   * `api_unreachable` when the API does not answer within `apiTimeout`.
   */
  fetchWithToken(url: string | URL, init?: TokenRequestInit): Promise<Response>;
  /**
   * Links the context to the latchkey instance that made it, for guards and `forward`; not for
   * apps.
   *
   * @internal
   */
  readonly [LINK]: ContextLink;
}

const RECENT_TOUCHES = 10_000;

/** Fail closed: no session, and the problem (503) for guards and getAccessToken to answer. */
function failClosed(error: unknown): ReadResult {
  if (isLatchkeyError(error) && error.code === ErrorCodes.storeUnavailable)
    return { problem: error };
  throw error;
}

/**
 * The session of each request: read (seal, expiry, revocation), touched when rolling, refreshed
 * when its access token is asked for, and answered as JSON on the session route.
 */
export class SessionContexts {
  /** The latest re-seal of each recently active session, reused within the touch interval. */
  private readonly touches = new Map<string, { record: SessionRecord; lines: string[] }>();
  /** The app-facing view of each record in use (see {@link sessionOf}). */
  private readonly views = new WeakMap<SessionRecord, Session>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly providers: Providers,
    private readonly sessions: SessionBackend,
    private readonly refresher: TokenRefresher,
    private readonly emit: Emit,
    private readonly link: ContextLink,
  ) {}

  /** The app-facing session of a record, built once per record and shared (it is frozen). */
  sessionOf(record: SessionRecord): Session {
    let session = this.views.get(record);
    if (!session) {
      session = toSession(record, this.providers.ofRecord(record).config);
      this.views.set(record, session);
    }
    return session;
  }

  /**
   * Reads the request's session; never extends the idle timeout. A session of a provider the app
   * no longer has is invalid.
   */
  read(cookies: CookieReader): Awaitable<ReadResult> {
    try {
      const result = andThen(this.sessions.read(cookies, this.config.now()), (read) =>
        this.withKnownProvider(read),
      );
      return isPromiseLike(result) ? Promise.resolve(result).catch(failClosed) : result;
    } catch (error) {
      return failClosed(error);
    }
  }

  /** The read, or its problem when the session's provider is gone (loaded first if need be). */
  private withKnownProvider(read: ReadResult): Awaitable<ReadResult> {
    const asProblem = (error: unknown): ReadResult => {
      if (isLatchkeyError(error) && error.code === ErrorCodes.sessionInvalid)
        return { problem: error };
      throw error;
    };
    try {
      if (!read.record) return read;
      const known = this.providers.ofSession(read.record);
      return isPromiseLike(known) ? Promise.resolve(known).then(() => read, asProblem) : read;
    } catch (error) {
      return asProblem(error);
    }
  }

  /** Clears the cookie of a session that is invalid, expired or revoked; keeps it otherwise. */
  clearIfDead(problem: LatchkeyError | undefined, cookies: CookieReader): string[] {
    return problem && problem.code !== ErrorCodes.storeUnavailable
      ? this.sessions.clear(cookies)
      : [];
  }

  /** `GET /auth/session`: the session as JSON for the browser (never a token). */
  async route(request: HttpRequest): Promise<Response> {
    const cookies = parseCookies(request.headers.get('cookie'));
    const { record, problem } = await this.read(cookies);
    // Without its store, latchkey cannot say whether the user is signed in: fail, don't guess.
    if (problem?.code === ErrorCodes.storeUnavailable) throw problem;
    const response = jsonResponse(sessionJson(record ? this.sessionOf(record) : null));
    for (const line of this.clearIfDead(problem, cookies))
      response.headers.append('set-cookie', line);
    return response;
  }

  /** See {@link Latchkey.authenticate}. */
  authenticate(request: HttpRequest, sink: SetCookieSink): Awaitable<AuthContext> {
    const setCookie: SetCookieSink = (lines) => {
      if (lines.length > 0) sink(lines);
    };
    const cookies = parseCookies(request.headers.get('cookie'));
    return andThen(this.read(cookies), (read) => this.contextOf(request, read, cookies, setCookie));
  }

  /** The request's context once its session is read; re-seals a rolling session when due. */
  private contextOf(
    request: HttpRequest,
    { record, problem }: ReadResult,
    cookies: CookieReader,
    setCookie: SetCookieSink,
  ): Awaitable<AuthContext> {
    if (!record) {
      setCookie(this.clearIfDead(problem, cookies));
      return this.context(request, null, problem, cookies, setCookie);
    }
    const now = this.config.now();
    if (now - record.touchedAt >= this.config.touchInterval * 1000) {
      // At most one re-seal per session per interval, however many requests carry the old cookie.
      const recent = this.touches.get(record.sessionId);
      if (
        recent &&
        recent.record.rt === record.rt &&
        now - recent.record.touchedAt < this.config.touchInterval * 1000
      ) {
        setCookie(recent.lines);
        return this.context(request, recent.record, undefined, cookies, setCookie);
      }
      return this.touch(request, record, cookies, setCookie, now);
    }
    return this.context(request, record, undefined, cookies, setCookie);
  }

  /** Re-saves a rolling session as active now, and remembers the result for the interval. */
  private async touch(
    request: HttpRequest,
    record: SessionRecord,
    cookies: CookieReader,
    setCookie: SetCookieSink,
    now: number,
  ): Promise<AuthContext> {
    const touched = { ...record, touchedAt: now };
    let lines: string[];
    try {
      lines = await this.sessions.touch(touched, cookies, now);
    } catch (error) {
      if (!isLatchkeyError(error)) throw error;
      return this.context(request, null, error, cookies, setCookie);
    }
    this.touches.delete(record.sessionId);
    this.touches.set(record.sessionId, { record: touched, lines });
    if (this.touches.size > RECENT_TOUCHES) this.touches.delete(this.touches.keys().next().value!);
    setCookie(lines);
    return this.context(request, touched, undefined, cookies, setCookie);
  }

  private context(
    request: HttpRequest,
    initial: SessionRecord | null,
    problem: LatchkeyError | undefined,
    cookies: CookieReader,
    setCookie: SetCookieSink,
  ): AuthContext {
    let record = initial;
    const { config, providers, sessions, refresher, emit, link } = this;
    const getAccessToken = async (): Promise<string> => {
      if (!record) throw problem ?? new LatchkeyError(ErrorCodes.unauthenticated, 'Not signed in.');
      if (isPasskeySession(record)) {
        throw new LatchkeyError(
          ErrorCodes.accessTokenUnavailable,
          'This session began with a passkey, which does not contact the identity provider: there is no access token until the user signs in with the identity provider again.',
        );
      }
      if (!refresher.needsRefresh(record, config.now())) return record.at!;
      const current = record;
      try {
        record = await refresher.refresh(current);
      } catch (error) {
        if (error instanceof LatchkeyError && error.code === ErrorCodes.refreshFailed) {
          setCookie(await sessions.end(current, cookies, config.now()));
          emit({
            type: 'refresh_failed',
            sub: String(claimsOf(current).sub),
            sessionId: current.sessionId,
            code: error.code,
          });
        }
        throw error;
      }
      setCookie(await sessions.cookiesFor(record, cookies, config.now()));
      emit({ type: 'refresh', sub: String(claimsOf(record).sub), sessionId: record.sessionId });
      return record.at!;
    };
    return {
      request,
      session: record ? this.sessionOf(record) : null,
      problem,
      [LINK]: link,
      getAccessToken,
      async fetchWithToken(url, init = {}) {
        const token = await getAccessToken();
        const { client } = providers.ofRecord(record!);
        const dpop = record!.tt === 'DPoP' ? await client.dpop?.handleFor(record!.dk) : undefined;
        return callWithToken(token, dpop, url, init, link.forward.timeout);
      },
    };
  }
}

/** The instance behind a context; throws for an object latchkey did not make. */
export function linkOf(auth: AuthContext): ContextLink {
  const link = auth?.[LINK];
  if (!link) {
    throw new TypeError(
      'This is not an auth context from latchkey: mount its middleware or plugin before guards.',
    );
  }
  return link;
}
