/**
 * A Fastify 5 plugin, request decorators and preHandler guards over `@latchkey/core`.
 *
 * @module @latchkey/fastify
 */
import {
  type AuthContext,
  forward,
  type HttpRequest,
  type Latchkey,
  type VerifiedToken,
} from '@latchkey/core';
import {
  type Decide,
  fromNodeRequest,
  type GuardFactories,
  guardFactories,
  responseParts,
  staticPrefix,
  whenReady,
} from '@latchkey/core/adapter';
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerHookHandler,
  RouteHandlerMethod,
} from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's authentication state, set by {@link latchkeyPlugin} on every app route. */
    auth: AuthContext;
    /** The verified access token, set by {@link requireBearer}. */
    bearer?: VerifiedToken;
  }
}

/** Options of {@link latchkeyPlugin}. */
export interface LatchkeyPluginOptions {
  /**
   * The instance from `createLatchkey(...)`. Its routes are mounted at its `routePaths` (its
   * `baseUrl` path plus its `basePath`, default `/auth`).
   */
  latchkey: Latchkey;
}

function appendSetCookie(reply: FastifyReply, lines: readonly string[]): void {
  // Fastify appends to the `set-cookie` lines already on the reply; pass a copy, never the caller's array.
  if (lines.length > 0) reply.header('set-cookie', [...lines]);
}

/** Writes a Web `Response` to a Fastify reply. */
async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  const parts = await responseParts(response);
  reply.code(parts.status);
  for (const [name, value] of parts.headers) reply.header(name, value);
  appendSetCookie(reply, parts.setCookies);
  return reply.send(parts.body);
}

/**
 * latchkey's view of a Fastify request: the body is read only if core needs it, from the stream or
 * as the route's parser left it.
 */
function webRequest(latchkey: Latchkey, request: FastifyRequest): HttpRequest {
  return fromNodeRequest(
    latchkey,
    { method: request.method, url: request.raw.url, headers: request.headers },
    { stream: request.raw, parsed: () => request.body },
  );
}

/**
 * Reads the session into `request.auth` (cookie updates go on the reply), then calls `done`:
 * synchronously when core answers from memory.
 */
function authenticate(
  latchkey: Latchkey,
  request: FastifyRequest,
  reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  whenReady(
    latchkey.authenticate(webRequest(latchkey, request), (lines) => appendSetCookie(reply, lines)),
    (auth) => {
      request.auth = auth;
      done();
    },
    (error) => done(error as Error),
  );
}

/** Sends a denial from a callback-style hook: the chain stops there (`done` only on failure). */
function deny(reply: FastifyReply, response: Response, done: (error?: Error) => void): void {
  send(reply, response).catch((error: Error) => done(error));
}

const plugin: FastifyPluginAsync<LatchkeyPluginOptions> = async (fastify, options) => {
  const { latchkey } = options;
  if (fastify.prefix !== '') {
    throw new Error(
      `Register latchkeyPlugin outside prefixed plugins (here: '${fastify.prefix}'): its routes live at the path of its baseUrl and basePath.`,
    );
  }
  const routes = new Set(latchkey.routePaths);

  // Declared on every request (Fastify's shape), set by the hook below before any handler runs.
  fastify.decorateRequest('auth');
  fastify.addHook('onRequest', (request, reply, done) => {
    // latchkey's own routes answer in their handler; everything else gets `request.auth`.
    if (routes.has(request.routeOptions.url ?? '')) done();
    else authenticate(latchkey, request, reply, done);
  });

  // latchkey's routes, in their own context: core reads their bodies itself (bounded, within
  // bodyTimeout, whatever their type), so no parser runs there; the app's routes keep the parsers
  // the app chose.
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const url of routes) {
      scope.all(url, async (request, reply) => {
        const response = await latchkey.handle(webRequest(latchkey, request));
        return response ? send(reply, response) : reply.callNotFound();
      });
    }
  });
};

/**
 * Fastify 5 plugin: mounts latchkey's routes (`/auth/login`, `/auth/callback`, `/auth/session`,
 * `/auth/logout`, ...) and sets `request.auth` on every other request. Register it at the root;
 * its hook and decorator apply to every context, so {@link requireAuth} works in child plugins.
 *
 * @example
 * await app.register(latchkeyPlugin, { latchkey: createLatchkey({ issuer, clientId, clientSecret, baseUrl, secrets }) });
 * app.get('/profile', { preHandler: requireAuth() }, async (request) => request.auth.session!.user);
 */
export const latchkeyPlugin = fp(plugin, { fastify: '5.x', name: '@latchkey/fastify' });

export default latchkeyPlugin;

/** The request's auth context; throws when {@link latchkeyPlugin} was not registered before. */
function authOf(request: FastifyRequest): AuthContext {
  // Declared on every request, set only by the plugin's hook.
  const auth = request.auth as AuthContext | undefined;
  if (!auth) throw new Error('latchkey guards need app.register(latchkeyPlugin, ...) before them.');
  return auth;
}

/** A guard as `preHandler` hook: a refusal is sent and the chain stops; callback style, no promise on a pass. */
function guard(decide: Decide<FastifyRequest>): preHandlerHookHandler {
  return (request, reply, done) => {
    try {
      whenReady(
        decide(request),
        (denied) => (denied ? deny(reply, denied, done) : done()),
        (error) => done(error as Error),
      );
    } catch (error) {
      done(error as Error);
    }
  };
}

/** Core's guards as `preHandler` hooks (see `GuardFactories` in `@latchkey/core/adapter`). */
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
   * For APIs: a valid JWT access token meeting `requirement`, set as `request.bearer`; else 401/403
   * with the RFC 6750 / RFC 9449 / RFC 9470 challenge. With a DPoP verifier, a DPoP-bound token
   * and its proof, checked against the method and the URL (`trustProxy` decides the protocol and
   * host). Needs no plugin.
   */
  requireBearer,
}: GuardFactories<preHandlerHookHandler> = guardFactories(
  guard,
  authOf,
  // As the client called it: behind a proxy, with Fastify's `trustProxy` set.
  (request) => ({ protocol: request.protocol, host: request.host, path: request.url }),
);

/**
 * Route handler for a backend-for-frontend: forwards the request (method, path, query, `Accept`,
 * `Content-Type`, the body as parsed by the route) to the API at `apiBaseUrl` with the session's
 * access token, refreshed first when needed, and answers with the API's response, its 401
 * challenges included. Signed out: 401. Tokens never reach the browser.
 *
 * @example
 * app.all('/api/*', forwardTo('https://api.example.com')); // GET /api/reports -> https://api.example.com/api/reports
 */
export function forwardTo(apiBaseUrl: string | URL): RouteHandlerMethod {
  return async (request, reply) => {
    const mountPath = staticPrefix(request.routeOptions.url ?? '/');
    return send(reply, await forward(authOf(request), apiBaseUrl, { mountPath }));
  };
}
