import type { AuthSession, SessionJson } from '@latchkey/core/contract';
import { AuthError } from './errors';
import { parseSessionResponse, toSessionResponse } from './session';

/**
 * Where the session stands: `loading` until the first answer, then signed in or out. While no
 * answer has come yet and the last check failed (5xx, network), `unavailable`: the checks go on,
 * and the first answer moves on from it. After one answer, a failed check keeps the status.
 */
export type AuthStatus = 'loading' | 'unavailable' | 'authenticated' | 'unauthenticated';

/** What the provider knows about the session. */
export interface AuthState {
  /** Where the session stands (see {@link AuthStatus}). */
  status: AuthStatus;
  /** The session when `authenticated`, else `null`. */
  session: AuthSession | null;
  /**
   * Why the latest session check or sign-out failed; `null` after a success. A failed check keeps
   * the last known `status` and `session` (a server that cannot tell is not a sign-out).
   */
  error: AuthError | null;
}

/** Whether the server has not answered yet: `loading`, or `unavailable` after a failed check. */
export const unanswered = ({ status }: AuthState): boolean =>
  status === 'loading' || status === 'unavailable';

/** Options of `signIn()`. */
export interface SignInOptions {
  /** Same-origin path to come back to; defaults to the current path, query and hash. */
  returnTo?: string;
  /**
   * Sign in at this authentication level at least: the sign-in then goes through
   * `/auth/step-up?acr=...` (the login route takes no level, nor the options below).
   */
  acr?: string;
  /** `prompt` for the IdP (`'login'`, `'consent'`, `'select_account'`, ...). */
  prompt?: string;
  /** `login_hint`: the account to suggest, e.g. an email address. */
  loginHint?: string;
  /** `ui_locales`: the languages of the IdP's pages, e.g. `'fr-CA fr en'`. */
  uiLocales?: string;
}

/** Options of `signOut()`. */
export interface SignOutOptions {
  /** Same-origin path to land on once signed out; defaults to the server's `postLogoutRedirectPath`. */
  returnTo?: string;
}

/** Options of `stepUp()`. */
export interface StepUpOptions {
  /** The level to reach; defaults to the highest of the provider's `acrLevels` when no `maxAge` is given. */
  acr?: string;
  /** The new authentication must be at most this many seconds old (`max_age`). */
  maxAge?: number;
  /** Same-origin path to come back to; defaults to the current path, query and hash. */
  returnTo?: string;
}

/**
 * The session without React, for router loaders and code outside components: the same engine an
 * `<AuthProvider client={client}>` then uses. See {@link createAuthClient}.
 */
export interface AuthClient {
  /** The state now. */
  getState(): AuthState;
  /** Calls `listener` after every change of state; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /**
   * The state once the server has answered (or the first check failed: `unavailable`), checking
   * it first when nobody has yet. For a router's `loader` or `beforeLoad`.
   */
  ready(): Promise<AuthState>;
  /** Checks the session with the server now (joins a check under way); never rejects. */
  refresh(): Promise<void>;
  /** See `useAuth().signIn`. */
  signIn(options?: SignInOptions): void;
  /** See `useAuth().signOut`. */
  signOut(options?: SignOutOptions): Promise<void>;
  /** See `useAuth().stepUp`. */
  stepUp(options?: StepUpOptions): void;
  /**
   * Calls `listener(next, previous)` when the session changes once known: a sign-in, a sign-out, a
   * user switch or an acr change, from this tab or another. Returns the unsubscribe function.
   */
  onSessionChange(listener: SessionChangeListener): () => void;
}

/** See {@link AuthClient.onSessionChange}: the session after the change and before it. */
export type SessionChangeListener = (
  next: AuthSession | null,
  previous: AuthSession | null,
) => void;

/** Options of {@link createAuthClient}. */
export interface AuthClientOptions {
  /** Where the server mounted latchkey's routes. Default `'/auth'`. */
  basePath?: string;
  /**
   * The session as the server knew it when rendering the page (the body of `GET /auth/session`),
   * or `null` for signed out; without it the status starts `loading`. Another shape counts as
   * unknown.
   */
  initialSession?: SessionJson | null;
  /**
   * The server's authentication levels, lowest first. Default
   * `['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa']` (the dev IdP's).
   */
  acrLevels?: readonly string[];
  /** Check the session when the window gets focus or the page becomes visible. Default `true`. */
  refetchOnWindowFocus?: boolean;
  /**
   * Also check the session every this many seconds (at least 10), signed in or out. Default none:
   * only before the session expires (and on focus, and after a failed check).
   */
  refetchInterval?: number;
  /**
   * Check the session again while the browser says it is offline. Default `true`. The first check
   * goes out either way, so that an offline first load ends as `unavailable`, not `loading`.
   */
  refetchWhenOffline?: boolean;
}

/** The provider's engine: state, session checks, navigations and cross-tab messages. */
export interface AuthStore extends AuthClient {
  /** The server's clock as estimated from the `Date` header of the last session response, in ms. */
  now(): number;
  readonly acrLevels: readonly string[];
  /** Where the server mounted latchkey's routes, without a trailing slash. */
  readonly basePath: string;
  stepUp(options?: Loose<StepUpOptions>): void;
  /**
   * Takes a session body that another route answered (a passkey sign-in or step-up) as a session
   * check would: this tab and the others show it. A body of another shape asks the server instead.
   * Internal: `@latchkey/react/passkeys` calls it.
   */
  accept(body: unknown): Promise<void>;
  /** Starts listening (focus, visibility, other tabs, expiry timer); returns the stop function. */
  start(): () => void;
}

/** Options whose keys may also be present with the value `undefined` (internal calls). */
type Loose<T> = { [K in keyof T]?: T[K] | undefined };

/** Cross-tab messages: `{ v: 1, basePath, session: SessionResponse }`. */
interface TabMessage {
  v?: unknown;
  basePath?: unknown;
  session?: unknown;
}

/** A tab that heard news this recently (its own check or another tab's) skips its focus check. */
const FRESH_MS = 5_000;
/** The expiry check runs this long before `expiresAt`, so a session extended by activity shows it. */
const LEAD_MS = 30_000;
/** Spreads the timers of several tabs, so that one checks and tells the others. */
const JITTER_MS = 5_000;
const MIN_DELAY_MS = 10_000;
/** Timers beyond 2^31-1 ms fire at once: longer waits are cut into days. */
const MAX_DELAY_MS = 86_400_000;
const RETRY_MS = 5_000;
const MAX_RETRY_MS = 300_000;

const sameOriginPath = (returnTo: string | undefined): string => {
  if (returnTo === undefined) return location.pathname + location.search + location.hash;
  try {
    const url = new URL(returnTo, location.href);
    if (url.origin === location.origin) return url.pathname + url.search + url.hash;
  } catch {}
  return '/';
};

/** A sign-in, a sign-out, another user or another level: what `onSessionChange` reports. */
const changed = (previous: AuthSession | null, next: AuthSession | null): boolean =>
  previous?.user.sub !== next?.user.sub || previous?.acr !== next?.acr;

const stateOf = (session: AuthSession | null, error: AuthError | null = null): AuthState => ({
  status: session ? 'authenticated' : 'unauthenticated',
  session,
  error,
});

/** The acr levels of the latchkey dev IdP, lowest first. */
export const DEFAULT_ACR_LEVELS = ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'] as const;

/**
 * Creates the session engine: what `<AuthProvider>` runs on, or, made once outside React, what a
 * router's loaders and the provider share (`<AuthProvider client={client}>`). Touches no browser
 * global until an action, `ready()` or the provider's mount, so it can be created during a server
 * render.
 *
 * @example
 * const auth = createAuthClient();
 * const loader = async () => ((await auth.ready()).status === 'authenticated' ? null : redirect('/'));
 */
export function createAuthClient({
  basePath = '/auth',
  initialSession,
  acrLevels = DEFAULT_ACR_LEVELS,
  ...refetch
}: AuthClientOptions = {}): AuthClient {
  const interval = refetch.refetchInterval;
  if (interval !== undefined && !(interval >= 10 && interval <= 86_400)) {
    throw new RangeError(`refetchInterval must be 10 to 86400 seconds, not ${interval}.`);
  }
  const path = basePath.replace(/\/+$/, '');
  if (!path.startsWith('/') || path.startsWith('//')) {
    throw new TypeError(`basePath must be a path such as '/auth', not '${basePath}'.`);
  }
  // `null` and `{ authenticated: false }` mean signed out; an invalid value means unknown.
  const initial = initialSession === null ? null : parseSessionResponse(initialSession);
  return createAuthStore(path, acrLevels, initial, refetch);
}

/**
 * The engine of {@link createAuthClient}, with what the provider and the hooks use besides.
 * `navigate` replaces `location.assign` (`@latchkey/react/testing` records navigations with it).
 */
export function createAuthStore(
  basePath: string,
  acrLevels: readonly string[],
  initial: AuthSession | null | undefined,
  {
    refetchOnWindowFocus = true,
    refetchInterval,
    refetchWhenOffline = true,
  }: Pick<AuthClientOptions, 'refetchOnWindowFocus' | 'refetchInterval' | 'refetchWhenOffline'>,
  navigateTo: (url: string) => void = (url) => location.assign(url),
): AuthStore {
  let state: AuthState =
    initial === undefined ? { status: 'loading', session: null, error: null } : stateOf(initial);
  const listeners = new Set<() => void>();
  const changeListeners = new Set<SessionChangeListener>();
  /** Bumped by every news; a session check that started before is stale and dropped. */
  let version = 0;
  let inflight: Promise<void> | undefined;
  let waiting: Promise<AuthState> | undefined;
  let freshAt = initial === undefined ? 0 : Date.now();
  let clockOffset = 0;
  let failures = 0;
  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let channel: BroadcastChannel | undefined;

  const now = () => Date.now() + clockOffset;

  const set = (next: AuthState) => {
    state = next;
    for (const listener of listeners) listener();
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!running) return;
    let delay: number;
    if (state.error) {
      delay = Math.min(RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
    } else if (state.session) {
      const left = state.session.expiresAt * 1000 - now();
      delay = left - LEAD_MS - Math.random() * JITTER_MS;
      if (delay < MIN_DELAY_MS) {
        // Already inside the lead window: look again just after the expiry.
        delay = Math.max(left + 1000, MIN_DELAY_MS) + Math.random() * JITTER_MS;
      }
    } else if (refetchInterval === undefined) return;
    else delay = Number.POSITIVE_INFINITY;
    if (refetchInterval !== undefined && !state.error)
      delay = Math.min(delay, refetchInterval * 1000);
    timer = setTimeout(() => void refresh(), Math.min(delay, MAX_DELAY_MS));
  };

  /** Takes news of the session, from this tab's check or another tab's. */
  const apply = (session: AuthSession | null) => {
    version++;
    freshAt = Date.now();
    failures = 0;
    const previous = unanswered(state) ? undefined : state.session;
    const unchanged =
      previous !== undefined &&
      state.error === null &&
      JSON.stringify(session) === JSON.stringify(previous);
    if (!unchanged) set(stateOf(session));
    if (previous !== undefined && changed(previous, session)) {
      for (const listener of changeListeners) listener(session, previous);
    }
    schedule();
  };

  const fail = (error: AuthError): AuthError => {
    failures++;
    set({ ...state, status: unanswered(state) ? 'unavailable' : state.status, error });
    schedule();
    return error;
  };

  /** Takes this tab's own news and tells the other tabs. */
  const tell = (session: AuthSession | null) => {
    apply(session);
    const message: TabMessage = { v: 1, basePath, session: toSessionResponse(session) };
    channel?.postMessage(message);
  };

  const hear = (event: MessageEvent<TabMessage | null>) => {
    const data = event.data;
    if (data?.v !== 1 || data.basePath !== basePath) return;
    const session = parseSessionResponse(data.session);
    if (session !== undefined) apply(session);
  };

  const request = async (path: string, init: RequestInit): Promise<[Response, unknown]> => {
    let response: Response;
    try {
      response = await fetch(basePath + path, {
        ...init,
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
      });
    } catch (cause) {
      throw new AuthError(
        'network_error',
        `${init.method ?? 'GET'} ${basePath}${path} did not reach the server.`,
        undefined,
        cause,
      );
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (response.ok) return [response, body];
    const storeDown =
      response.status === 503 &&
      (body as { error?: unknown } | undefined)?.error === 'store_unavailable';
    throw new AuthError(
      storeDown ? 'store_unavailable' : 'http_error',
      storeDown
        ? 'The server cannot read sessions now; retrying.'
        : `${init.method ?? 'GET'} ${basePath}${path} answered ${response.status}.`,
      response.status,
    );
  };

  const fetchSession = async (): Promise<AuthSession | null> => {
    const [response, body] = await request('/session', { cache: 'no-store' });
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    // The Date header counts whole seconds: the middle of that second is the best estimate.
    if (!Number.isNaN(serverDate)) clockOffset = serverDate + 500 - Date.now();
    const session = parseSessionResponse(body);
    if (session === undefined) {
      throw new AuthError(
        'invalid_response',
        `GET ${basePath}/session answered no session JSON: is latchkey mounted there?`,
        response.status,
      );
    }
    return session;
  };

  /** Checks the session with the server; one check at a time per provider (single flight). */
  const refresh = (): Promise<void> => {
    // Only a re-check waits for the network: the first one always goes out, so that an offline
    // first load ends as `unavailable` (with its retries), never as `loading` for good.
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    if (!refetchWhenOffline && offline && state.status !== 'loading') return Promise.resolve();
    if (!inflight) {
      const started = version;
      inflight = fetchSession()
        .then(
          (session) => {
            if (started === version) tell(session);
          },
          (error: AuthError) => {
            if (started === version) fail(error);
          },
        )
        .finally(() => {
          inflight = undefined;
        });
    }
    return inflight;
  };

  const navigate = (route: string, params: Record<string, string | number | undefined>) => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) query.set(name, String(value));
    }
    navigateTo(`${basePath}${route}?${query}`);
  };

  const stepUp = ({ acr, maxAge, returnTo }: Loose<StepUpOptions> = {}) => {
    if (maxAge !== undefined && !(maxAge >= 0 && maxAge < 1e9)) {
      throw new RangeError(`maxAge must be 0 to 999999999 seconds, not ${maxAge}.`);
    }
    const seconds = maxAge === undefined ? undefined : Math.floor(maxAge);
    const level = acr ?? (seconds === undefined ? acrLevels[acrLevels.length - 1] : undefined);
    navigate('/step-up', {
      acr: level,
      // Without any level to ask for, a step-up is a fresh authentication.
      max_age: level === undefined && seconds === undefined ? 0 : seconds,
      returnTo: sameOriginPath(returnTo),
    });
  };

  const signIn = ({ returnTo, acr, prompt, loginHint, uiLocales }: SignInOptions = {}) => {
    if (acr !== undefined) return stepUp({ acr, returnTo });
    // The server passes these on only when its `loginParams` lists them.
    navigate('/login', {
      returnTo: sameOriginPath(returnTo),
      prompt,
      login_hint: loginHint,
      ui_locales: uiLocales,
    });
  };

  const signOut = async ({ returnTo }: SignOutOptions = {}): Promise<void> => {
    let body: unknown;
    const query =
      returnTo === undefined
        ? ''
        : `?${new URLSearchParams({ returnTo: sameOriginPath(returnTo) })}`;
    try {
      [, body] = await request(`/logout${query}`, { method: 'POST' });
    } catch (error) {
      throw fail(error as AuthError);
    }
    // The server ended the session: this tab and the others show it before the page leaves.
    tell(null);
    const target = (body as { redirectTo?: unknown } | undefined)?.redirectTo;
    let url: URL | undefined;
    try {
      url = new URL(target as string, location.href);
    } catch {}
    if (typeof target !== 'string' || (url?.protocol !== 'https:' && url?.protocol !== 'http:')) {
      throw fail(
        new AuthError(
          'invalid_response',
          `POST ${basePath}/logout answered no http(s) redirectTo.`,
          200,
        ),
      );
    }
    location.assign(url.href);
  };

  return {
    acrLevels,
    basePath,
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    now,
    refresh,
    onSessionChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    ready() {
      if (state.status !== 'loading') return Promise.resolve(state);
      // One promise until the answer: Suspense waits on the same one across renders.
      waiting ??= refresh().then(() => {
        waiting = undefined;
        return state;
      });
      return waiting;
    },
    signIn,
    stepUp,
    signOut,
    accept(body) {
      const session = parseSessionResponse(body);
      if (session === undefined) return refresh();
      tell(session);
      return Promise.resolve();
    },
    start() {
      running = true;
      const onFocus = () => {
        if (refetchOnWindowFocus && !document.hidden && Date.now() - freshAt >= FRESH_MS) {
          void refresh();
        }
      };
      addEventListener('focus', onFocus);
      document.addEventListener('visibilitychange', onFocus);
      if (typeof BroadcastChannel === 'function') {
        channel = new BroadcastChannel('latchkey');
        channel.onmessage = hear;
      }
      if (state.status === 'loading') void refresh();
      else schedule();
      return () => {
        running = false;
        schedule();
        removeEventListener('focus', onFocus);
        document.removeEventListener('visibilitychange', onFocus);
        channel?.close();
        channel = undefined;
      };
    },
  };
}
