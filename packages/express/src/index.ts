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

/** Largest request body latchkey's routes read (their bodies are small forms). */
const BODY_LIMIT = 64 * 1024;

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

/** Until core has a `payload_too_large` error: the answer to a body over {@link BODY_LIMIT}. */
function payloadTooLarge(): globalThis.Response {
  const body = {
    error: 'payload_too_large',
    message: `latchkey's routes accept request bodies of at most ${BODY_LIMIT} bytes.`,
  };
  return new Response(JSON.stringify(body), {
    status: 413,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** Reads the request stream as UTF-8; `undefined` when it is longer than `limit` bytes. */
function readStream(req: Request, limit: number): Promise<string | undefined> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        req.resume(); // discard the rest, so that the connection can serve its next request
        resolve(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () =>
      onError(new Error('The client closed the request before its body ended.'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** A body that a body parser already read, in the encoding its `Content-Type` names. */
function encodeParsedBody(req: Request): string {
  const body: unknown = req.body;
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body === null || typeof body !== 'object') return '';
  if (req.is('json')) return JSON.stringify(body);
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') form.append(name, item);
    }
  }
  return form.toString();
}

/**
 * The raw body of a request to latchkey's routes: the stream when nothing read it yet, else what a
 * body parser mounted before latchkey left in `req.body`. `undefined` when over {@link BODY_LIMIT}.
 */
async function bodyOf(req: Request): Promise<string | undefined> {
  // Express 4's parsers set `req.body = {}` even for types they skip: only a consumed stream
  // means that `req.body` holds the body.
  const consumed = req.readableEnded || req.readableDidRead;
  const body = consumed ? encodeParsedBody(req) : await readStream(req, BODY_LIMIT);
  return body === undefined || Buffer.byteLength(body) > BODY_LIMIT ? undefined : body;
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
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const head = { method: req.method, url: req.originalUrl, headers: req.headers };
      let request = toWebRequest(head, instance.config.baseUrl);
      if (request.method === 'POST' && instance.ownsPath(new URL(request.url).pathname)) {
        const body = await bodyOf(req);
        if (body === undefined) return await send(res, payloadTooLarge());
        request = toWebRequest(head, instance.config.baseUrl, body);
      }
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
