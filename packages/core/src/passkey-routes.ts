import { randomBytes } from 'node:crypto';
import type { Emit } from './audit';
import type { ResolvedConfig } from './config';
import { parseCookies, serializeCookie } from './cookies';
import { ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
import { type HttpRequest, isSameOrigin } from './request';
import { jsonResponse } from './responses';
import type { RouteTable } from './routes';
import type { SessionBackend } from './session-backends';
import type { SessionContexts } from './session-context';
import {
  claimsOf,
  passkeyRecord,
  type SessionRecord,
  sessionJson,
  steppedUp,
} from './session-record';
import type { SignIn } from './sign-in';
import { stepUpRequired, unmetStepUp } from './step-up';

/**
 * What latchkey's passkey routes use of `@latchkey/passkeys`: the instance `createPasskeys()`
 * returns fits. Declared here because that package depends on core, not the other way round.
 */
export interface PasskeyService {
  /** Options for the browser's `startRegistration()`, the challenge bound to `browser`. */
  registrationOptions(input: {
    browser: string;
    user: { sub: string; name?: string | undefined; displayName?: string | undefined };
  }): Promise<unknown>;
  /** Verifies a registration, stores the passkey and `profile`; resolves the passkey as JSON. */
  verifyRegistration(input: {
    browser: string | undefined;
    sub: string;
    response: unknown;
    profile?: Record<string, unknown> | undefined;
  }): Promise<{
    /** The stored passkey as JSON, as `list` shows it. */
    passkey: unknown;
  }>;
  /** Options for the browser's `startAuthentication()`: a sign-in, or a step-up of `sub`. */
  authenticationOptions(
    input:
      | { browser: string; purpose: 'sign-in' }
      | { browser: string; purpose: 'step-up'; sub: string },
  ): Promise<unknown>;
  /** Verifies a passkey assertion; resolves whose passkey it was and the `amr` it proves. */
  verifyAuthentication(
    input:
      | { browser: string | undefined; purpose: 'sign-in'; response: unknown }
      | { browser: string | undefined; purpose: 'step-up'; sub: string; response: unknown },
  ): Promise<{
    /** The passkey's owner. */
    sub: string;
    /** RFC 8176 methods it proves: `'hwk'` or `'swk'`, plus `'user'` when the user was verified. */
    amr: string[];
  }>;
  /** The profile claims stored for `sub` when they registered a passkey. */
  profileOf(sub: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** The passkeys of `sub` as JSON (never a public key). */
  list(sub: string): Promise<unknown[]>;
  /** Renames a passkey of `sub`. */
  rename(sub: string, id: string, name: unknown): Promise<void>;
  /** Removes a passkey of `sub`. */
  remove(sub: string, id: string): Promise<void>;
}

/** ID token claims about the protocol, not the person: not kept as the passkey profile. */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'aud',
  'azp',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'at_hash',
  'c_hash',
  'auth_time',
  'acr',
  'acrs',
  'amr',
  'sid',
]);

/** Seconds within which a session must have authenticated (at the passkey level) to add a passkey. */
export const REGISTRATION_MAX_AGE = 300;

/** 204, for a change that has nothing to say back. */
const noContent = () =>
  new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });

/** A request body as JSON, or `invalid_request`. */
function jsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new LatchkeyError(ErrorCodes.invalidRequest, 'The request body must be JSON.');
  }
}

/** What a passkey ceremony is for: `?purpose=step-up` raises the session, else it signs in. */
function purposeOf(request: HttpRequest): 'sign-in' | 'step-up' {
  const purpose = new URL(request.url).searchParams.get('purpose') ?? 'sign-in';
  if (purpose !== 'sign-in' && purpose !== 'step-up') {
    throw new LatchkeyError(
      ErrorCodes.invalidRequest,
      "The purpose parameter must be 'sign-in' or 'step-up'.",
    );
  }
  return purpose;
}

/**
 * The passkey routes: a signed-in user's passkeys (`/passkeys`, `/passkeys/register/options|verify`,
 * `/passkeys/:id`) and passkey sign-in and step-up (`/passkeys/authenticate/options|verify`), over
 * {@link PasskeyService}. Every write passes the Origin check; ceremonies are bound to a random
 * browser id in an HttpOnly cookie, set with the first options.
 */
export class PasskeyRoutes {
  /** The cookie holding the browser id (`__Host-` on https). */
  private readonly browserCookie: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly contexts: SessionContexts,
    private readonly sessions: SessionBackend,
    private readonly signIn: SignIn,
    private readonly emit: Emit,
    private readonly service: PasskeyService,
  ) {
    this.browserCookie = `${config.secure ? '__Host-' : ''}lk_pk`;
  }

  /** The routes, for core's route table. */
  table(): RouteTable {
    return {
      '/passkeys': {
        GET: async (request) => {
          const { sub } = await this.user(request);
          return jsonResponse(await this.service.list(sub));
        },
      },
      '/passkeys/register/options': {
        POST: async (request) => {
          const { sub, profile } = await this.registrant(request);
          const name = typeof profile.email === 'string' ? profile.email : undefined;
          const displayName = typeof profile.name === 'string' ? profile.name : undefined;
          return this.withBrowser(request, (browser) =>
            this.service.registrationOptions({ browser, user: { sub, name, displayName } }),
          );
        },
      },
      '/passkeys/register/verify': {
        POST: async (request, { body }) => {
          const { sub, profile } = await this.registrant(request);
          const { passkey } = await this.service.verifyRegistration({
            browser: this.browserOf(request),
            sub,
            response: jsonBody(body),
            profile,
          });
          this.emit({ type: 'passkey_registered', sub });
          return jsonResponse(passkey, 201);
        },
      },
      '/passkeys/authenticate/options': {
        POST: async (request) => {
          sameOrigin(request, this.config);
          if (purposeOf(request) === 'sign-in') {
            return this.withBrowser(request, (browser) =>
              this.service.authenticationOptions({ browser, purpose: 'sign-in' }),
            );
          }
          const { sub } = await this.stepUpUser(request);
          return this.withBrowser(request, (browser) =>
            this.service.authenticationOptions({ browser, purpose: 'step-up', sub }),
          );
        },
      },
      '/passkeys/authenticate/verify': {
        POST: (request, { body }) => {
          sameOrigin(request, this.config);
          return purposeOf(request) === 'sign-in'
            ? this.passkeySignIn(request, body)
            : this.passkeyStepUp(request, body);
        },
      },
      '/passkeys/:id': {
        PATCH: async (request, { body, params }) => {
          const { sub } = await this.user(sameOrigin(request, this.config));
          const { name } = (jsonBody(body) ?? {}) as { name?: unknown };
          await this.service.rename(sub, params.id!, name);
          return noContent();
        },
        DELETE: async (request, { params }) => {
          const { sub } = await this.user(sameOrigin(request, this.config));
          await this.service.remove(sub, params.id!);
          this.emit({ type: 'passkey_removed', sub });
          return noContent();
        },
      },
    };
  }

  /**
   * A passkey sign-in: a new session, like an OIDC sign-in's, built from the profile stored with
   * the passkey (the IdP is not contacted) at the configured passkey `acr`.
   */
  private async passkeySignIn(request: HttpRequest, body: string): Promise<Response> {
    try {
      const { sub, amr } = await this.service.verifyAuthentication({
        browser: this.browserOf(request),
        purpose: 'sign-in',
        response: jsonBody(body),
      });
      const profile = await this.service.profileOf(sub);
      if (!profile) {
        throw new LatchkeyError(
          ErrorCodes.passkeyNotFound,
          'No profile is stored for the user of this passkey: sign in with the identity provider once, then register the passkey again.',
        );
      }
      // A passkey proves its level only with the user verified: mere presence is no second factor.
      const acr = amr.includes('user') ? this.config.passkeyAcr : undefined;
      const record = passkeyRecord({ ...profile, sub }, { acr, amr }, this.config.now());
      const cookies = parseCookies(request.headers.get('cookie'));
      const lines = await this.signIn.establish(record, request, cookies);
      this.emit({
        type: 'login',
        sub,
        sessionId: record.sessionId,
        method: 'passkey',
        ...(acr === undefined ? {} : { acr }),
      });
      return this.sessionAnswer(record, lines);
    } catch (error) {
      const code = isLatchkeyError(error) ? error.code : 'internal_error';
      this.emit({ type: 'login_failed', code, method: 'passkey' });
      this.config.log?.(
        `passkey sign-in failed (${code}): ${isLatchkeyError(error) ? error.message : 'an unexpected error.'}`,
      );
      throw error;
    }
  }

  /**
   * A passkey step-up of the signed-in user: their own passkey, asserted now, raises the session
   * to the configured passkey `acr` under a new session id; the old id stops working.
   */
  private async passkeyStepUp(request: HttpRequest, body: string): Promise<Response> {
    const { sub, record, cookies, acr } = await this.stepUpUser(request);
    const { amr } = await this.service.verifyAuthentication({
      browser: this.browserOf(request),
      purpose: 'step-up',
      sub,
      response: jsonBody(body),
    });
    if (!amr.includes('user')) {
      throw new LatchkeyError(
        ErrorCodes.passkeyUserVerificationRequired,
        'A step-up needs the authenticator to verify the user (PIN or biometrics), not only a touch.',
      );
    }
    const now = this.config.now();
    const raised = steppedUp(record, { acr, amr }, now);
    // The raised session is saved before the old one ends: a failed save leaves the user signed in.
    const lines = await this.sessions.save(raised, cookies, now);
    await this.sessions.end(record, new Map(), now);
    this.emit({
      type: 'passkey_step_up',
      sub,
      sessionId: raised.sessionId,
      acr,
    });
    return this.sessionAnswer(raised, lines);
  }

  /**
   * The signed-in user of a passkey registration. A new passkey will prove the passkey level, so
   * the session must have proven it too, within {@link REGISTRATION_MAX_AGE}: else a stolen
   * session cookie could mint a passkey and with it pass any step-up. Without a passkey level, a
   * recent authentication suffices. Unmet: 401 `insufficient_user_authentication` with the RFC
   * 9470 challenge, for the page to step up first.
   */
  private async registrant(request: HttpRequest) {
    const user = await this.user(sameOrigin(request, this.config));
    const acr = this.config.passkeyAcr;
    const requirement = { ...(acr === undefined ? {} : { acr }), maxAge: REGISTRATION_MAX_AGE };
    const unmet = unmetStepUp(
      this.contexts.sessionOf(user.record),
      requirement,
      this.config.acrLevels,
      Math.floor(this.config.now() / 1000),
      this.config.clockTolerance,
    );
    if (unmet) throw stepUpRequired(requirement, unmet, 'Adding a passkey needs a recent step-up');
    return user;
  }

  /** The signed-in user of a step-up; `config_invalid` when passkeys prove no level. */
  private async stepUpUser(request: HttpRequest) {
    const acr = this.config.passkeyAcr;
    if (acr === undefined) {
      throw new LatchkeyError(
        ErrorCodes.configInvalid,
        'Passkey step-up is off: set createLatchkey({ stepUp: { passkey: { acr } } }) to the level a passkey proves.',
      );
    }
    return { ...(await this.user(request)), acr };
  }

  /** The session JSON of a new or raised session, with its cookies. */
  private sessionAnswer(record: SessionRecord, setCookies: readonly string[]): Response {
    const response = jsonResponse(sessionJson(this.contexts.sessionOf(record)));
    for (const line of setCookies) response.headers.append('set-cookie', line);
    return response;
  }

  /**
   * Answers the options `start` makes for this browser's id, and gives the browser an id (in its
   * HttpOnly cookie) when it has none yet.
   */
  private async withBrowser(
    request: HttpRequest,
    start: (browser: string) => Promise<unknown>,
  ): Promise<Response> {
    const known = this.browserOf(request);
    const browser = known ?? randomBytes(32).toString('base64url');
    const response = jsonResponse(await start(browser));
    if (known === undefined) {
      response.headers.append(
        'set-cookie',
        serializeCookie(this.browserCookie, browser, { secure: this.config.secure }),
      );
    }
    return response;
  }

  /** The browser id from its cookie, if it has one. */
  private browserOf(request: HttpRequest): string | undefined {
    return parseCookies(request.headers.get('cookie')).get(this.browserCookie);
  }

  /**
   * The signed-in user of the request, their session and the profile claims of their session;
   * `unauthenticated` when signed out.
   */
  private async user(request: HttpRequest) {
    const cookies = parseCookies(request.headers.get('cookie'));
    const { record, problem } = await this.contexts.read(cookies);
    if (!record) {
      throw problem ?? new LatchkeyError(ErrorCodes.unauthenticated, 'Sign in to use passkeys.');
    }
    const profile: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(claimsOf(record))) {
      if (!PROTOCOL_CLAIMS.has(name)) profile[name] = value;
    }
    return { sub: String(profile.sub), profile, record, cookies };
  }
}

/** The request, when it comes from the app's own pages; `origin_mismatch` otherwise. */
function sameOrigin(request: HttpRequest, config: ResolvedConfig): HttpRequest {
  if (!isSameOrigin(request, config.baseUrl.origin)) {
    throw new LatchkeyError(
      ErrorCodes.originMismatch,
      'Passkey requests must come from this app (the Origin or Sec-Fetch-Site header is missing or foreign).',
    );
  }
  return request;
}
