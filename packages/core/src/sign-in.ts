import type { Emit } from './audit';
import type { ResolvedConfig } from './config';
import { type CookieReader, expireCookie, parseCookies, serializeCookie } from './cookies';
import { ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
import type { Provider, Providers } from './providers';
import { type HttpRequest, hasControlCharacter, safeReturnTo } from './request';
import { errorAnswer, redirectResponse } from './responses';
import type { Keyring } from './seal';
import type { SessionBackend } from './session-backends';
import type { SessionContexts } from './session-context';
import { claimsOf, createRecord, type SessionRecord } from './session-record';
import { stepUpQuery, verifyStepUp } from './step-up';
import {
  newState,
  STATE_PATTERN,
  type StepUpTransaction,
  TRANSACTION_TTL,
  type Transaction,
  transactionSlot,
} from './transaction';

/** Parameters of a sign-in started by the app (the login route takes `returnTo` and the app's `loginParams`). */
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
  /** Which of `providers` to sign in with; required when there are several. */
  provider?: string | null | undefined;
}

/** Longest value the login route passes on for one of `loginParams`. */
const LOGIN_PARAM_MAX = 1024;

/**
 * The authorization parameters a visitor's `GET /auth/login` query asks for, of those the app
 * allows (`loginParams`); refuses a value that is too long or holds a control character.
 */
export function loginExtras(
  query: URLSearchParams,
  allowed: readonly string[],
): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const name of allowed) {
    const values = query.getAll(name);
    if (values.length === 0 || values[0] === '') continue;
    const value = values[0]!;
    if (values.length > 1 || value.length > LOGIN_PARAM_MAX || hasControlCharacter(value)) {
      throw new LatchkeyError(
        ErrorCodes.invalidRequest,
        `The login parameter '${name}' must be given once, at most ${LOGIN_PARAM_MAX} characters, without control characters.`,
      );
    }
    extra[name] = value;
  }
  return extra;
}

/**
 * Sign-in with the authorization code flow (PKCE, state, nonce): the redirect to the IdP with its
 * transaction sealed in a cookie slot, the callback that checks and completes it, and step-up
 * (a sign-in that must reach a level or freshness).
 */
export class SignIn {
  constructor(
    private readonly config: ResolvedConfig,
    private readonly keyring: Keyring,
    private readonly providers: Providers,
    private readonly sessions: SessionBackend,
    private readonly contexts: SessionContexts,
    private readonly emit: Emit,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.config.now() / 1000);
  }

  /** The cookie of one transaction slot (see {@link TRANSACTION_SLOTS}). */
  private transactionCookie(slot: number): string {
    return `${this.config.transactionCookiePrefix}${slot}`;
  }

  /** Starts a sign-in: a 302 to the IdP, with the transaction sealed in a cookie named after its state. */
  async login(request: HttpRequest, params: LoginParams = {}): Promise<Response> {
    return this.start(await this.providers.forRequest(request, params.provider), request, params);
  }

  /** Starts a sign-in or step-up at `provider`. */
  private async start(
    provider: Provider,
    request: HttpRequest,
    params: LoginParams,
    stepUp?: StepUpTransaction,
  ): Promise<Response> {
    const cookies = parseCookies(request.headers.get('cookie'));
    const state = newState((slot) => !cookies.has(this.transactionCookie(slot)));
    const dpopKey = await provider.client.dpop?.newKey();
    const authorization = await provider.client.authorizationRequest(params, state, dpopKey);
    const { origin, pathname } = authorization.url;
    this.config.log?.(`sign-in: authorization redirect to ${origin}${pathname}`);
    const transaction: Transaction = {
      state,
      nonce: authorization.nonce,
      codeVerifier: authorization.codeVerifier,
      returnTo: safeReturnTo(params.returnTo, this.config.baseUrl),
      maxAge: params.maxAge,
      stepUp,
      dpopKey,
      provider: provider.name,
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

  /**
   * `GET /auth/step-up?acr=...&max_age=...&returnTo=...`: re-authenticates at the IdP with
   * `acr_values` and `max_age`. `acr` must be one of the configured levels. A signed-in user steps
   * up at the provider of the session; one signed out names it as at sign-in (`provider`).
   */
  async stepUp(request: HttpRequest): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const wanted = stepUpQuery(query, this.config.acrLevels);
    const { record } = await this.contexts.read(parseCookies(request.headers.get('cookie')));
    const provider = record
      ? await this.providers.ofSession(record)
      : await this.providers.forRequest(request, query.get('provider'));
    return this.start(
      provider,
      request,
      {
        returnTo: query.get('returnTo') ?? '/',
        maxAge: wanted.maxAge,
        extra: provider.config.stepUpParams(wanted),
        provider: provider.name,
      },
      { sub: record ? String(claimsOf(record).sub) : undefined, ...wanted },
    );
  }

  /**
   * Starts the session of a verified sign-in (the IdP's or a passkey's) and resolves its cookies:
   * the app's `afterCallback` may refuse it (`access_denied`) or give it data, and a session the
   * browser had ends first, so that a copy of its cookie dies with it.
   */
  async establish(
    record: SessionRecord,
    request: HttpRequest,
    cookies: CookieReader,
  ): Promise<string[]> {
    if (this.config.afterCallback) {
      const data = await this.config.afterCallback({ claims: claimsOf(record), request });
      if (data === false) {
        throw new LatchkeyError(ErrorCodes.accessDenied, 'The app refused this sign-in.');
      }
      // Stryker disable next-line ConditionalExpression: equivalent, a data property left undefined is never stored or read
      if (data) record.data = data;
    }
    const now = this.config.now();
    const { record: previous } = await this.contexts.read(cookies);
    await this.sessions.end(previous, new Map(), now);
    return this.sessions.save(record, cookies, now);
  }

  /**
   * Completes a sign-in. Any failure clears the transaction, writes no session and answers a typed
   * error; success starts a new session (new sessionId) and redirects to `returnTo`. With several
   * providers, each has its own callback (`/auth/callback/<name>`): `provider` is the one this
   * callback is for, and must be the one the sign-in started at.
   */
  async callback(request: HttpRequest, provider?: string): Promise<Response> {
    const url = new URL(request.url);
    let clearTransaction: string[] = [];
    try {
      const state = url.searchParams.get('state');
      if (!state)
        throw new LatchkeyError(ErrorCodes.stateMissing, 'The callback has no state parameter.');
      const slotCookie = STATE_PATTERN.test(state)
        ? this.transactionCookie(transactionSlot(state))
        : undefined;
      const cookies = parseCookies(request.headers.get('cookie'));
      const sealed = slotCookie && cookies.get(slotCookie);
      const transaction = sealed
        ? ((await this.keyring.unseal<Transaction>('transaction', sealed, this.nowSeconds()))
            ?.value ?? null)
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
      if (transaction.provider !== provider) {
        throw new LatchkeyError(
          ErrorCodes.stateMismatch,
          'This callback is for another identity provider than the one the sign-in started at.',
        );
      }
      const signedInAt = await this.providers.load(transaction.provider);
      const callbackUrl = new URL(signedInAt.config.redirectUri);
      callbackUrl.search = url.search;
      const tokens = await signedInAt.client.exchangeCode(callbackUrl, {
        state,
        nonce: transaction.nonce,
        codeVerifier: transaction.codeVerifier,
        maxAge: transaction.maxAge,
        dpopKey: transaction.dpopKey,
      });
      const now = this.config.now();
      const record = createRecord(
        tokens,
        now,
        transaction.dpopKey,
        signedInAt.name,
        this.config.providerResolver && signedInAt.config.issuer.href,
      );
      const claims = claimsOf(record);
      this.config.log?.(
        `callback: code exchanged; ID token claims ${Object.keys(claims).join(', ')}`,
      );
      if (transaction.stepUp) {
        const session = this.contexts.sessionOf(record);
        verifyStepUp(
          { ...session, sub: session.user.sub },
          transaction.stepUp,
          this.config.acrLevels,
          this.nowSeconds(),
          this.config.clockTolerance,
        );
      }
      const sessionCookies = await this.establish(record, request, cookies);
      const response = redirectResponse(transaction.returnTo);
      for (const line of [...clearTransaction, ...sessionCookies])
        response.headers.append('set-cookie', line);
      this.emit({
        type: 'login',
        sub: String(claims.sub),
        sessionId: record.sessionId,
        ...(typeof claims.acr === 'string' ? { acr: claims.acr } : {}),
      });
      return response;
    } catch (error) {
      const response = errorAnswer(error, request, this.config.errorPage);
      for (const line of clearTransaction) response.headers.append('set-cookie', line);
      const known = isLatchkeyError(error) ? error : undefined;
      const code = known?.code ?? 'internal_error';
      this.emit({ type: 'login_failed', code });
      // A latchkey error's message names no token, secret or personal data; others are not shown.
      this.config.log?.(`sign-in failed (${code}): ${known?.message ?? 'an unexpected error.'}`);
      return response;
    }
  }
}
