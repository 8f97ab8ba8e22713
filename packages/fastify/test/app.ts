import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  PROXY_PATH,
  type StartAdapterApp,
  type TestGuard,
  testRoutes,
  testVerifier,
} from '@latchkey/adapter-tests';
import type { BearerVerifier } from '@latchkey/core';
import { createLatchkey } from '@latchkey/core';
import { close, listen } from '@latchkey/test-utils';
import Fastify, { type preHandlerHookHandler } from 'fastify';
import {
  forwardTo,
  latchkeyPlugin,
  requireAuth,
  requireBearer,
  requirePermission,
  requireRole,
  requireStepUp,
} from '../src/index';

/** The Fastify guard for a test route's guard. */
function guardFor(guard: TestGuard, verifier: BearerVerifier): preHandlerHookHandler {
  switch (guard.kind) {
    case 'auth':
      return requireAuth();
    case 'role':
      return requireRole(guard.role);
    case 'permission':
      return requirePermission(guard.permission);
    case 'stepUp':
      return requireStepUp(guard.requirement);
    case 'bearer':
      return requireBearer(verifier, guard.requirement);
  }
}

/**
 * Starts a Fastify app with the latchkey plugin at the root and the test routes in a child
 * context (so that the guards are exercised where apps usually put them).
 */
export const startFastifyApp: StartAdapterApp = async (options) => {
  // Bind first, so the base URL (and the redirect URI registered at the IdP) has the real port.
  let route: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => route!(req, res));
  const url = await listen(server);
  const instance = createLatchkey({ ...options, baseUrl: url });
  const app = Fastify({
    serverFactory: (handler) => {
      route = handler;
      return server;
    },
  });
  await app.register(latchkeyPlugin, { latchkey: instance });
  await app.register(async (child) => {
    // Forms parsed into objects, as @fastify/formbody does: forwarding must send them as forms.
    child.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    if (options.apiUrl) child.all(`${PROXY_PATH}/*`, forwardTo(options.apiUrl));
    const verifier = testVerifier(options, url);
    for (const [path, route] of Object.entries(testRoutes)) {
      const guard: TestGuard | undefined = 'guard' in route ? route.guard : undefined;
      child.get(
        path,
        guard ? { preHandler: guardFor(guard, verifier) } : {},
        async (request, reply) => {
          const { status, body } = await route.answer({
            auth: request.auth,
            bearer: request.bearer,
          });
          return reply.code(status).send(body);
        },
      );
    }
  });
  await app.ready();
  return {
    url,
    latchkey: instance,
    async stop() {
      await close(server);
      await app.close();
    },
  };
};
