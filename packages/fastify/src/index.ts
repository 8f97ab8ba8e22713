import type { AuthContext, Latchkey } from '@latchkey/core';
import { toWebRequest } from '@latchkey/core';
import type {
  FastifyError,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's authentication state, set by {@link latchkeyPlugin} on every app route. */
    auth: AuthContext;
  }
}

/** Options of {@link latchkeyPlugin}. */
export interface LatchkeyPluginOptions {
  /**
   * The instance from `createLatchkey(...)`. Its routes are mounted at its `baseUrl` path plus its
   * `basePath` (default `/auth`).
   */
  latchkey: Latchkey;
}

/** Largest request body latchkey's routes read (their bodies are small forms). */
const BODY_LIMIT = 64 * 1024;

/** The latchkey instance and Web request behind a Fastify request, for the guards. */
const mounted = new WeakMap<FastifyRequest, { latchkey: Latchkey; request: Request }>();

function appendSetCookie(reply: FastifyReply, lines: readonly string[]): void {
  // Fastify appends to the `set-cookie` lines already on the reply; pass a copy, never the caller's array.
  if (lines.length > 0) reply.header('set-cookie', [...lines]);
}

/** Writes a Web `Response` to a Fastify reply. */
async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') reply.header(name, value);
  }
  appendSetCookie(reply, response.headers.getSetCookie());
  if (response.body === null) return reply.send();
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

/** Until core has a `payload_too_large` error: the answer to a body over {@link BODY_LIMIT}. */
function payloadTooLarge(): Response {
  const body = {
    error: 'payload_too_large',
    message: `latchkey's routes accept request bodies of at most ${BODY_LIMIT} bytes.`,
  };
  return new Response(JSON.stringify(body), {
    status: 413,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** The Web request for a Fastify request: path and query from the request, origin from config. */
function webRequest(latchkey: Latchkey, request: FastifyRequest, body?: string): Request {
  return toWebRequest(
    { method: request.method, url: request.raw.url, headers: request.headers },
    latchkey.config.baseUrl,
    body,
  );
}

/** Reads the session into `request.auth`; cookie updates go on the reply. */
async function authenticate(
  latchkey: Latchkey,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const web = webRequest(latchkey, request);
  request.auth = await latchkey.authenticate(web, (lines) => appendSetCookie(reply, lines));
  mounted.set(request, { latchkey, request: web });
}

const plugin: FastifyPluginAsync<LatchkeyPluginOptions> = async (fastify, options) => {
  const { latchkey } = options;
  if (fastify.prefix !== '') {
    throw new Error(
      `Register latchkeyPlugin outside prefixed plugins (here: '${fastify.prefix}'): its routes live at the path of its baseUrl and basePath.`,
    );
  }
  // The path core's routes start with (as in `ownsPath`), below the path of the base URL.
  const { baseUrl, basePath } = latchkey.config;
  const routeUrl = `${baseUrl.pathname.replace(/\/+$/, '')}${basePath}/*`;

  // Declared on every request (Fastify's shape), set by the hook below before any handler runs.
  fastify.decorateRequest('auth');
  fastify.addHook('onRequest', async (request, reply) => {
    // latchkey's own routes answer in their handler; everything else gets `request.auth`.
    if (request.routeOptions.url === routeUrl) return;
    await authenticate(latchkey, request, reply);
  });

  // latchkey's routes, in their own context: every request body is read there as a string (at most
  // BODY_LIMIT bytes, whatever its type), while the app's routes keep the parsers the app chose.
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    scope.all(routeUrl, {
      async errorHandler(error: FastifyError, _request, reply) {
        if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, payloadTooLarge());
        throw error;
      },
      async handler(request, reply) {
        const body =
          request.method === 'POST' && typeof request.body === 'string' ? request.body : undefined;
        const response = await latchkey.handle(webRequest(latchkey, request, body));
        if (response) return send(reply, response);
        // Not one of latchkey's routes after all: the app's not-found handler answers.
        await authenticate(latchkey, request, reply);
        reply.callNotFound();
        return reply;
      },
    });
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

/**
 * `preHandler` guard that lets signed-in requests through. Signed out: a redirect to sign-in
 * (returning to this page) for page navigations, a 401 JSON error for API requests.
 */
export function requireAuth(): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const state = mounted.get(request);
    if (!state) {
      throw new Error('latchkey guards need app.register(latchkeyPlugin, ...) before them.');
    }
    const denied = state.latchkey.requireAuth(state.request, request.auth);
    if (denied) return send(reply, denied);
    return undefined;
  };
}
