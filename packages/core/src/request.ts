import { isLatchkeyError, type LatchkeyError } from './errors';

/**
 * The parts of an HTTP request latchkey reads. A Web `Request` is one; adapters build a lighter
 * one over their framework's request (see `fromNodeRequest`), so the hot path allocates little.
 */
export interface HttpRequest {
  readonly method: string;
  /** The absolute URL, its origin always the configured base URL's. */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  /** The body as text (latchkey's own POST routes and forwarding read it). */
  text(): Promise<string>;
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
 * A safe post-sign-in destination: only a same-origin relative path (`/x?y#z`) is kept; absolute
 * and scheme-relative URLs, backslashes, control characters and encoded variants of them fall
 * back to `/`.
 */
export function safeReturnTo(value: string | null | undefined, baseUrl: URL): string {
  if (!value || value.length > 2048) return '/';
  let decoded = value;
  try {
    // Decode repeatedly so that %2F%2F and %252F%252F cannot smuggle a second slash.
    for (let i = 0; i < 3; i++) {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    }
  } catch {
    return '/';
  }
  for (const candidate of [value, decoded]) {
    if (!candidate.startsWith('/') || candidate.startsWith('//')) return '/';
    if (candidate.includes('\\') || hasControlCharacter(candidate)) return '/';
  }
  const resolved = new URL(value, baseUrl);
  if (resolved.origin !== baseUrl.origin) return '/';
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A JSON response with `Cache-Control: no-store`. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** A redirect (303 by default) with `Cache-Control: no-store`. */
export function redirectResponse(location: string, status = 303): Response {
  return new Response(null, { status, headers: { location, 'cache-control': 'no-store' } });
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small HTML page, escaped, with `Cache-Control: no-store`. */
export function htmlResponse(title: string, bodyHtml: string, status = 200): Response {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width,initial-scale=1"></head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem">${bodyHtml}</body></html>`;
  return new Response(page, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    },
  });
}

/**
 * The one mapping from an error to a response: JSON `{ error, message }` for API requests, a
 * small HTML page for navigations. Unknown errors answer 500 without details.
 */
export function errorResponse(error: unknown, request: HttpRequest): Response {
  const known: LatchkeyError | undefined = isLatchkeyError(error) ? error : undefined;
  const status = known?.status ?? 500;
  const code = known?.code ?? 'internal_error';
  const message = known?.message ?? 'An unexpected error occurred.';
  if (wantsJson(request)) return jsonResponse({ error: code, message }, status);
  return htmlResponse(
    'Sign-in problem',
    `<h1>Something went wrong</h1><p>${escapeHtml(message)}</p><p><code>${escapeHtml(code)}</code></p><p><a href="/">Back to the home page</a></p>`,
    status,
  );
}

/** HTML-escapes text for the pages latchkey renders. */
export { escapeHtml };
