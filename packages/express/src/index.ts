/**
 * Express 4 and 5 middleware, route guards and bearer-token guards over `@latchkey/core`.
 *
 * @module @latchkey/express
 */
import { type AuthContext, forward, type Latchkey, type VerifiedToken } from '@latchkey/core';
import {
  type Decide,
  fromNodeRequest,
  type GuardFactories,
  guardFactories,
  responseParts,
  staticPrefix,
  whenReady,
} from '@latchkey/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /** The request's authentication state, set by the `latchkey()` middleware. */
      auth: AuthContext;
      /** The verified access token, set by `requireBearer()`. */
      bearer?: VerifiedToken;
    }
  }
}

function appendSetCookie(res: Response, lines: readonly string[]): void {
  if (lines.length > 0) res.append('Set-Cookie', [...lines]);
}

/** Writes a Web `Response` to an Express response. */
async function send(res: Response, response: globalThis.Response): Promise<void> {
  const parts = await responseParts(response);
  res.status(parts.status);
  for (const [name, value] of parts.headers) res.setHeader(name, value);
  appendSetCookie(res, parts.setCookies);
  res.end(parts.body);
}

/**
 * Mounts latchkey's routes (`/auth/login`, `/auth/callback`, `/auth/session`, `/auth/logout`, ...)
 * and sets `req.auth` on every other request. Works with Express 4 and 5, before or after body
 * parsers.
 *
 * @example
 * app.use(latchkey(createLatchkey({ issuer, clientId, clientSecret, baseUrl, secrets })));
 * app.get('/profile', requireAuth(), (req, res) => res.json(req.auth.session?.user));
 */
export function latchkey(instance: Latchkey): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // The body is read only if core needs it: from the stream, or as a parser mounted before left it.
    const request = fromNodeRequest(
      instance,
      { method: req.method, url: req.originalUrl, headers: req.headers },
      { stream: req, parsed: () => req.body },
    );
    if (instance.owns(request)) {
      instance
        .handle(request)
        .then((response) => response && send(res, response))
        .catch(next);
      return;
    }
    // Synchronous when core answers from memory: no promise on the hot path of a busy session.
    whenReady(
      instance.authenticate(request, (lines) => appendSetCookie(res, lines)),
      (auth) => {
        req.auth = auth;
        next();
      },
      next,
    );
  };
}

/** Express middleware (`RequestHandler` with Express's default type parameters). */
type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/** The request's auth context; throws when the `latchkey()` middleware did not run before. */
function authOf(req: Request): AuthContext {
  // Declared on every request, set only by the middleware.
  const auth = req.auth as AuthContext | undefined;
  if (!auth) throw new Error('latchkey guards need app.use(latchkey(...)) mounted before them.');
  return auth;
}

/** A guard as middleware: a refusal is sent, else `next()`; synchronous when core decides from memory. */
function guard(decide: Decide<Request>): Middleware {
  // What `decide` throws synchronously, Express catches and passes to the error handlers.
  return (req: Request, res: Response, next: NextFunction) =>
    whenReady(decide(req), (denied) => (denied ? send(res, denied).catch(next) : next()), next);
}

/** Core's guards as middleware (see `GuardFactories` in `@latchkey/core/adapter`). */
export const {
  /** Lets signed-in requests through; signed out: sign-in for pages, 401 for APIs. */
  requireAuth,
  /** Lets through sessions with `role`; else 401, or 403 `forbidden`. */
  requireRole,
  /** Lets through sessions whose roles grant `permission`; else 401, or 403 `forbidden`. */
  requirePermission,
  /** Lets through sessions at `acr` or higher, within `maxAge`; else step-up or 401 (RFC 9470). */
  requireStepUp,
  /**
   * For APIs: a valid JWT access token meeting `requirement`, set as `req.bearer`; else 401/403
   * with the RFC 6750 / RFC 9449 / RFC 9470 challenge. With a DPoP verifier, a DPoP-bound token
   * and its proof, checked against the method and the URL (`trust proxy` decides the protocol and
   * host). Needs no `latchkey()` middleware.
   */
  requireBearer,
}: GuardFactories<Middleware> = guardFactories(
  guard,
  authOf,
  // As the client called it: behind a proxy, with Express's `trust proxy` set.
  (req) => ({ protocol: req.protocol, host: req.get('host'), path: req.originalUrl }),
);

/**
 * Backend-for-frontend: forwards the request (method, path, query, `Accept`, `Content-Type`, a
 * text body of at most 64 KiB) to the API at `apiBaseUrl` with the session's access token,
 * refreshed first when needed, and answers with the API's response, its 401 challenges included.
 * Signed out: 401. Tokens never reach the browser.
 *
 * @example
 * app.use('/api', forwardTo('https://api.example.com')); // GET /api/reports -> https://api.example.com/api/reports
 */
export function forwardTo(apiBaseUrl: string | URL): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      // Where the app matched this handler: `app.use('/api', ...)`, or a route such as `/api/*`.
      const routePath: unknown = req.route?.path;
      const mountPath = `${req.baseUrl}${typeof routePath === 'string' ? staticPrefix(routePath) : ''}`;
      await send(res, await forward(authOf(req), apiBaseUrl, { mountPath }));
    } catch (error) {
      next(error);
    }
  };
}
