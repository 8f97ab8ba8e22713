import { ErrorCodes, LatchkeyError } from './errors';

/**
 * The parts of an HTTP request latchkey reads. A Web `Request` is one; adapters build a lighter
 * one over their framework's request (see `fromNodeRequest`), so the hot path allocates little.
 */
export interface HttpRequest {
  /** The HTTP method (`GET`, `POST`, ...). */
  readonly method: string;
  /** The absolute URL, its origin always the configured base URL's. */
  readonly url: string;
  /** The request's headers (a Web `Headers` fits). */
  readonly headers: {
    /** The value of the header `name` (in any case), or null when the request has none. */
    get(name: string): string | null;
  };
  /**
   * The body as text, read only when called (latchkey's POST routes and `forward` call it once,
   * through `readBody`).
   */
  text(): Promise<string>;
}

/** Largest request body latchkey reads: its routes take small forms, `forward` small API calls. */
export const BODY_LIMIT = 64 * 1024;

/** The error for a body over {@link BODY_LIMIT} (413). */
export const payloadTooLarge = () =>
  new LatchkeyError(
    ErrorCodes.payloadTooLarge,
    `latchkey accepts request bodies of at most ${BODY_LIMIT} bytes.`,
  );

/**
 * A request's body as text, at most {@link BODY_LIMIT} bytes, else `payload_too_large`. A declared
 * `Content-Length` over the limit is refused before anything is read; Node requests also stop
 * reading at the limit (see `fromNodeRequest`).
 */
export async function readBody(request: HttpRequest): Promise<string> {
  if (Number(request.headers.get('content-length')) > BODY_LIMIT) throw payloadTooLarge();
  const body = await request.text();
  if (new TextEncoder().encode(body).byteLength > BODY_LIMIT) throw payloadTooLarge();
  return body;
}

/**
 * Page or API? One rule for every guard and error: JSON when `Accept` prefers
 * `application/json`, when `Sec-Fetch-Mode` is present and not `navigate` (a `fetch`), or when
 * `X-Requested-With` is set; otherwise the request is a page navigation.
 */
export function wantsJson(request: HttpRequest): boolean {
  const headers = request.headers;
  if (headers.get('x-requested-with') !== null) return true;
  const mode = headers.get('sec-fetch-mode');
  if (mode && mode !== 'navigate') return true;
  return prefersJson(headers.get('accept'));
}

function prefersJson(accept: string | null): boolean {
  if (!accept) return false;
  let json = 0;
  let html = 0;
  for (const entry of accept.split(',')) {
    const [type, ...params] = entry.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) || 0 : 1;
    if (type === 'application/json') json = Math.max(json, weight);
    if (type === 'text/html') html = Math.max(html, weight);
  }
  return json > 0 && json >= html;
}

/**
 * CSRF defence for state-changing routes: the `Origin` header must be the app's origin; without
 * `Origin`, `Sec-Fetch-Site` must be `same-origin`. Anything else (no header, `null`) is refused.
 */
export function isSameOrigin(request: HttpRequest, appOrigin: string): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null) return origin === appOrigin;
  return request.headers.get('sec-fetch-site') === 'same-origin';
}

/**
 * A safe post-sign-in destination: a same-origin path (`/x?y#z`) as the URL parser resolves it
 * against the base URL; anything else (absolute or scheme-relative URLs, backslashes, control
 * characters, encoded variants of them) falls back to `/`. What is checked is the value returned,
 * after dot-segment removal, so `/.//evil.example` cannot turn into `//evil.example`.
 */
export function safeReturnTo(value: string | null | undefined, baseUrl: URL): string {
  if (!value || value.length > 2048 || !isLocalPath(value) || hasEncodedEscape(value)) return '/';
  const resolved = new URL(value, baseUrl);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a second guard (a value that starts with one '/' always resolves on the base origin)
  if (resolved.origin !== baseUrl.origin) return '/';
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  return isLocalPath(path) ? path : '/';
}

/**
 * A path that every browser reads as one on this origin: one `/`, not followed by `/` or `\`
 * (which browsers treat as `/`), and no backslash or control character anywhere.
 */
function isLocalPath(path: string): boolean {
  return (
    path.charAt(0) === '/' &&
    path.charAt(1) !== '/' &&
    !path.includes('\\') &&
    !hasControlCharacter(path)
  );
}

/**
 * True when percent-decoding (up to three times, so `%252F` counts) reveals a slash or backslash
 * right after the first one, a backslash or a control character: an app or proxy that decodes the
 * path could still read it as another host. Malformed encodings count too.
 */
function hasEncodedEscape(value: string): boolean {
  let decoded = value;
  for (let i = 0; i < 3; i++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return true;
    }
    if (!isLocalPath(decoded)) return true;
  }
  return false;
}

/** True when `text` holds a control character (C0 or DEL). */
export function hasControlCharacter(text: string): boolean {
  for (const char of text) if (char < ' ' || char === '\u007f') return true;
  return false;
}
