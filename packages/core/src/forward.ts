import { ErrorCodes, LatchkeyError } from './errors';
import { type HttpRequest, isSameOrigin, readBody } from './request';
import { toResponse } from './responses';
import { type AuthContext, linkOf } from './session-context';
import type { Session } from './session-record';
import { STEP_UP_ASSERTION_HEADER, type StepUpAssertionSigner } from './step-up-assertion';

/**
 * The literal path before the first parameter or wildcard of a route pattern, cut back to its
 * last `/`: `/api/*` and `/api/:rest*` give `/api`. Adapters pass it as the mount path of a
 * forwarding route.
 */
export function staticPrefix(pattern: string): string {
  const dynamic = pattern.search(/[*:(]/);
  const literal = dynamic === -1 ? pattern : pattern.slice(0, pattern.lastIndexOf('/', dynamic));
  return literal.replace(/\/+$/, '');
}

/** A `.` or `..` segment, also as servers such as Tomcat read `..;x`. */
const DOT_SEGMENT = /^\.{1,2}(;.*)?$/;

/**
 * True when a raw request path holds a dot segment in any encoding (`..`, `%2e%2e`, `.%2E`,
 * `%252e%252e`, after `/` or `\`, `%2f` or `%5c`): the URL parser, or the API's server, would
 * resolve it into a path other than the one the framework matched.
 */
export function hasDotSegment(rawPath: string): boolean {
  let path = rawPath;
  for (let i = 0; i < 4; i++) {
    if (path.split(/[/\\]/).some((segment) => DOT_SEGMENT.test(segment))) return true;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return /%2e/i.test(path);
    }
    if (decoded === path) return false;
    path = decoded;
  }
  return true;
}

/**
 * The API URL a forwarded request goes to: `apiBaseUrl`'s origin and path plus the request's path
 * and query. Refused with 400 `invalid_request` when the raw path holds a dot segment, or when the
 * resolved path no longer lies under `mountPath` (the path the framework matched the route at).
 */
export function forwardTarget(
  requestUrl: string,
  apiBaseUrl: URL | string,
  mountPath: string,
): URL {
  const incoming = new URL(requestUrl);
  const mount = mountPath.replace(/\/+$/, '');
  const under = incoming.pathname === mount || incoming.pathname.startsWith(`${mount}/`);
  // The URL as sent, before the parser resolves its dots: its scheme and host hold no dot segment.
  if (hasDotSegment(requestUrl.split(/[?#]/, 1)[0]!) || !under) {
    throw new LatchkeyError(
      ErrorCodes.invalidRequest,
      `The API path must stay under '${mount || '/'}' and hold no dot segments ('.' or '..', in any encoding).`,
    );
  }
  const target = new URL(apiBaseUrl);
  target.pathname = `${target.pathname.replace(/\/+$/, '')}${incoming.pathname}`;
  target.search = incoming.search;
  return target;
}

/** Headers of the API's answer that reach the browser; no other header does. */
const PASSED_HEADERS = ['content-type', 'www-authenticate', 'location', 'retry-after'];

const isJson = (contentType: string | null) =>
  contentType !== null && /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType);

/**
 * The API's answer as the app's response. It comes from the app's origin, so it must not act as
 * the app's own content: `nosniff` always, `Content-Security-Policy: sandbox` unless it is JSON,
 * and `Cache-Control: private, no-store` unless the API said `private` or `no-store` itself (an
 * API's `public, max-age=3600` on a user's data is not relayed to shared caches).
 */
export function forwardedResponse(answer: Response): Response {
  const headers = new Headers();
  for (const name of PASSED_HEADERS) {
    const value = answer.headers.get(name);
    if (value) headers.set(name, value);
  }
  const cacheControl = answer.headers.get('cache-control');
  headers.set(
    'cache-control',
    cacheControl && /(^|[\s,])(private|no-store)(\s*[,=]|\s*$)/i.test(cacheControl)
      ? cacheControl
      : 'private, no-store',
  );
  headers.set('x-content-type-options', 'nosniff');
  if (!isJson(answer.headers.get('content-type')))
    headers.set('content-security-policy', 'sandbox');
  return new Response(answer.body, { status: answer.status, headers });
}

/** Where and what {@link forward} sends. */
export interface ForwardOptions {
  /** The request to forward, when it is not the context's own (an adapter's, with its body). */
  request?: HttpRequest;
  /** Where the framework matched the forwarding route (default `/`): the path must stay under it. */
  mountPath?: string;
}

/**
 * A request body that a framework's parser already read, in the encoding its `Content-Type`
 * names: a string or bytes as they are, an object as JSON for a JSON type and as a form
 * (`application/x-www-form-urlencoded`) otherwise. What `forward` sends on.
 */
export function encodeParsedBody(body: unknown, contentType: string | null | undefined): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body === null || typeof body !== 'object') return '';
  if (isJson(contentType ?? null)) return JSON.stringify(body);
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
        form.append(name, String(item));
    }
  }
  return form.toString();
}

/**
 * The step-up assertion for a call with the session's access token, when the session's last
 * authentication was a passkey (`amr` `hwk` or `swk`), which the IdP's token cannot show, and the
 * app signs them. Only then is the token read here.
 */
async function stepUpAssertionOf(
  context: AuthContext & { session: Session },
  sign: StepUpAssertionSigner | undefined,
): Promise<string | undefined> {
  const { session } = context;
  const amr = session.amr ?? [];
  if (!sign || !(amr.includes('hwk') || amr.includes('swk'))) return undefined;
  if (session.acr === undefined || session.authTime === undefined) return undefined;
  const { sub } = session.user;
  return sign(
    { sub, acr: session.acr, amr, authTime: session.authTime },
    await context.getAccessToken(),
  );
}

/**
 * Backend-for-frontend forwarding: calls the API at `apiBaseUrl` plus the request's path and
 * query (the host is always `apiBaseUrl`'s, whatever the path holds) with the request's method,
 * `Accept`, `Content-Type` and body, and the session's access token (refreshed first when it is
 * about to expire). The API's status, body and 401 challenges (RFC 6750, RFC 9470) come back
 * unchanged, so the browser can step up; its other headers are replaced (see
 * `forwardedResponse`). After a passkey step-up the call also carries a step-up assertion
 * (`Latchkey-Step-Up`), when the app has a key for them (`stepUp.passkey.assertionKey`). No
 * cookie or other header is forwarded. A path with a dot segment, or one that resolves outside
 * `mountPath`, is refused with 400. Writes (anything but GET and
 * HEAD) need a same-origin `Origin`, like latchkey's own routes. Failures answer JSON.
 */
export async function forward(
  context: AuthContext,
  apiBaseUrl: URL | string,
  { request = context.request, mountPath = '/' }: ForwardOptions = {},
): Promise<Response> {
  const options = linkOf(context).forward;
  try {
    const target = forwardTarget(request.url, apiBaseUrl, mountPath);
    if (!context.session) {
      throw (
        context.problem ??
        new LatchkeyError(ErrorCodes.unauthenticated, 'Sign in to call this API.')
      );
    }
    const method = request.method.toUpperCase();
    const write = method !== 'GET' && method !== 'HEAD';
    // The browser's call carries the session cookie: a write must come from the app's own pages.
    if (write && !isSameOrigin(request, options.appOrigin)) {
      throw new LatchkeyError(
        ErrorCodes.originMismatch,
        'API writes must come from this app (the Origin or Sec-Fetch-Site header is missing or foreign).',
      );
    }
    const headers: Record<string, string> = {};
    const assertion = await stepUpAssertionOf(
      context as AuthContext & { session: Session },
      options.stepUpAssertion,
    );
    if (assertion) headers[STEP_UP_ASSERTION_HEADER] = assertion;
    for (const name of ['accept', 'content-type']) {
      const value = request.headers.get(name);
      if (value) headers[name] = value;
    }
    const answer = await context.fetchWithToken(target, {
      method,
      headers,
      ...(write ? { body: await readBody(request) } : {}),
    });
    return forwardedResponse(answer);
  } catch (error) {
    return toResponse(error, { as: 'json' });
  }
}
