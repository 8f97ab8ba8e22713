import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type StartAdapterApp, testRoutes } from '@latchkey/adapter-tests';
import { createLatchkey } from '@latchkey/core';
import { close, listen } from '@latchkey/test-utils';
import Fastify from 'fastify';
import { latchkeyPlugin, requireAuth } from '../src/index';

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
    for (const [path, { requireAuth: guarded, answer }] of Object.entries(testRoutes)) {
      child.get(path, guarded ? { preHandler: requireAuth() } : {}, async (request, reply) => {
        const { status, body } = await answer(request.auth);
        return reply.code(status).send(body);
      });
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
