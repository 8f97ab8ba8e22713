import type { AuthContext, Latchkey } from '@latchkey/core';
import { toWebRequest } from '@latchkey/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /** The request's authentication state, set by the `latchkey()` middleware. */
      auth: AuthContext;
    }
  }
}

/** The latchkey instance and Web request behind an Express request, for the guards. */
const mounted = new WeakMap<Request, { latchkey: Latchkey; request: globalThis.Request }>();

function appendSetCookie(res: Response, lines: readonly string[]): void {
  if (lines.length > 0) res.append('Set-Cookie', [...lines]);
}

/** Writes a Web `Response` to an Express response. */
async function send(res: Response, response: globalThis.Response): Promise<void> {
  res.status(response.status);
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  appendSetCookie(res, response.headers.getSetCookie());
  res.end(Buffer.from(await response.arrayBuffer()));
}

/**
 * Mounts latchkey's routes (`/auth/login`, `/auth/callback`, `/auth/session`, `/auth/logout`) and
 * sets `req.auth` on every other request. Works with Express 4 and 5.
 *
 * @example
 * app.use(latchkey(createLatchkey({ issuer, clientId, clientSecret, baseUrl, secrets })));
 * app.get('/profile', requireAuth(), (req, res) => res.json(req.auth.session?.user));
 */
export function latchkey(instance: Latchkey): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const request = toWebRequest(
        { method: req.method, url: req.originalUrl, headers: req.headers },
        instance.config.baseUrl,
      );
      const response = await instance.handle(request);
      if (response) return await send(res, response);
      req.auth = await instance.authenticate(request, (lines) => appendSetCookie(res, lines));
      mounted.set(req, { latchkey: instance, request });
      next();
    } catch (error) {
      next(error);
    }
  };
}

function mountedOn(req: Request) {
  const state = mounted.get(req);
  if (!state) throw new Error('latchkey guards need app.use(latchkey(...)) mounted before them.');
  return state;
}

/**
 * Lets signed-in requests through. Signed out: a redirect to sign-in (returning to this page) for
 * page navigations, a 401 JSON error for API requests.
 */
export function requireAuth(): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const { latchkey, request } = mountedOn(req);
      const denied = latchkey.requireAuth(request, req.auth);
      if (denied) return await send(res, denied);
      next();
    } catch (error) {
      next(error);
    }
  };
}
