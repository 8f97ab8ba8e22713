import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from './config';
import { parseCookies, serializeCookie } from './cookies';
import { ErrorCodes, LatchkeyError } from './errors';
import { type HttpRequest, isSameOrigin } from './request';
import { jsonResponse } from './responses';
import type { RouteTable } from './routes';
import type { SessionContexts } from './session-context';
import { claimsOf } from './session-record';

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
  }): Promise<{ passkey: unknown }>;
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
  'amr',
  'sid',
]);

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

/**
 * The routes of a signed-in user's passkeys (`/passkeys`, `/passkeys/register/options|verify`,
 * `/passkeys/:id`): registration, list, rename and removal over {@link PasskeyService}. Every
 * write passes the Origin check; ceremonies are bound to a random browser id in an HttpOnly
 * cookie, set with the first options.
 */
export class PasskeyRoutes {
  /** The cookie holding the browser id (`__Host-` on https). */
  private readonly browserCookie: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly contexts: SessionContexts,
    private readonly service: PasskeyService,
  ) {
    this.browserCookie = `${config.secure ? '__Host-' : ''}lk_pk`;
  }

  /** The routes, for core's route table. */
  table(): RouteTable {
    return {
      '/passkeys': {
        GET: async (request) => {
          const { sub } = await this.user(request, false);
          return jsonResponse(await this.service.list(sub));
        },
      },
      '/passkeys/register/options': { POST: (request) => this.registrationOptions(request) },
      '/passkeys/register/verify': {
        POST: async (request, { body }) => {
          const { sub, profile } = await this.user(request, true);
          const { passkey } = await this.service.verifyRegistration({
            browser: this.browserOf(request),
            sub,
            response: jsonBody(body),
            profile,
          });
          return jsonResponse(passkey, 201);
        },
      },
      '/passkeys/:id': {
        PATCH: async (request, { body, params }) => {
          const { sub } = await this.user(request, true);
          const { name } = (jsonBody(body) ?? {}) as { name?: unknown };
          await this.service.rename(sub, params.id!, name);
          return noContent();
        },
        DELETE: async (request, { params }) => {
          const { sub } = await this.user(request, true);
          await this.service.remove(sub, params.id!);
          return noContent();
        },
      },
    };
  }

  private async registrationOptions(request: HttpRequest): Promise<Response> {
    const { sub, profile } = await this.user(request, true);
    let browser = this.browserOf(request);
    const setCookie = browser === undefined;
    browser ??= randomBytes(32).toString('base64url');
    const name = typeof profile.email === 'string' ? profile.email : undefined;
    const displayName = typeof profile.name === 'string' ? profile.name : undefined;
    const options = await this.service.registrationOptions({
      browser,
      user: { sub, name, displayName },
    });
    const response = jsonResponse(options);
    if (setCookie) {
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
   * The signed-in user of the request and the profile claims of their ID token; `unauthenticated`
   * when signed out. Writes (`write`) must come from the app's own pages (Origin check).
   */
  private async user(
    request: HttpRequest,
    write: boolean,
  ): Promise<{ sub: string; profile: Record<string, unknown> }> {
    if (write && !isSameOrigin(request, this.config.baseUrl.origin)) {
      throw new LatchkeyError(
        ErrorCodes.originMismatch,
        'Passkey changes must come from this app (the Origin or Sec-Fetch-Site header is missing or foreign).',
      );
    }
    const { record, problem } = await this.contexts.read(
      parseCookies(request.headers.get('cookie')),
    );
    if (!record) {
      throw problem ?? new LatchkeyError(ErrorCodes.unauthenticated, 'Sign in to manage passkeys.');
    }
    const profile: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(claimsOf(record))) {
      if (!PROTOCOL_CLAIMS.has(name)) profile[name] = value;
    }
    return { sub: String(profile.sub), profile };
  }
}
