import { isLatchkeyError, type LatchkeyError } from './errors';
import { type HttpRequest, wantsJson } from './request';

/** A JSON response with `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** A redirect (303 by default) with `Cache-Control: no-store`. */
export function redirectResponse(location: string, status = 303): Response {
  return new Response(null, { status, headers: { location, 'cache-control': 'no-store' } });
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A small HTML page, escaped, with `Cache-Control: no-store`, a CSP that allows no script and no
 * framing (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers: a framed
 * sign-out button is one click from signing the user out), and `nosniff`. Its forms may post to
 * this origin and, after a redirect, to `formOrigins` (the IdP's end-session endpoint).
 */
export function htmlResponse(
  title: string,
  bodyHtml: string,
  status = 200,
  formOrigins: readonly string[] = [],
): Response {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width,initial-scale=1"></head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem">${bodyHtml}</body></html>`;
  const formAction = ["'self'", ...formOrigins].join(' ');
  return new Response(page, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** HTML-escapes text for the pages latchkey renders. */
export { escapeHtml };

/**
 * An app's own error page for page navigations (`errorPage` option): return a response to send
 * it, or undefined for latchkey's page. API calls always get latchkey's JSON.
 */
export type ErrorPage = (error: LatchkeyError, request: HttpRequest) => Response | undefined;

/**
 * The one way an error leaves latchkey: its status from the one table, `{ error, message }` as
 * JSON or a small HTML page, and the error's `WWW-Authenticate` challenge when it has one.
 * Anything that is no latchkey error answers 500 without details.
 */
export function toResponse(error: unknown, { as }: { as: 'json' | 'page' }): Response {
  const known: LatchkeyError | undefined = isLatchkeyError(error) ? error : undefined;
  const status = known?.status ?? 500;
  const code = known?.code ?? 'internal_error';
  const message = known?.message ?? 'An unexpected error occurred.';
  const response =
    as === 'json'
      ? jsonResponse({ error: code, message }, status)
      : htmlResponse(
          'Sign-in problem',
          `<h1>Something went wrong</h1><p>${escapeHtml(message)}</p><p><code>${escapeHtml(code)}</code></p><p><a href="/">Back to the home page</a></p>`,
          status,
        );
  if (known?.challenge) response.headers.set('www-authenticate', known.challenge);
  // RFC 9110 15.5.9: after a 408 the server closes the connection (the body never arrived whole).
  if (status === 408) response.headers.set('connection', 'close');
  return response;
}

/**
 * The answer to a request that failed: JSON for API calls (see `wantsJson`); for page
 * navigations the app's `errorPage` when it renders one, else latchkey's page.
 */
export function errorAnswer(error: unknown, request: HttpRequest, errorPage?: ErrorPage): Response {
  if (wantsJson(request)) return toResponse(error, { as: 'json' });
  const custom = errorPage && isLatchkeyError(error) ? errorPage(error, request) : undefined;
  return custom ?? toResponse(error, { as: 'page' });
}
