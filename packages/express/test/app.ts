import { createServer } from 'node:http';
import { type StartAdapterApp, testRoutes } from '@latchkey/adapter-tests';
import { createLatchkey } from '@latchkey/core';
import { close, listen } from '@latchkey/test-utils';
import type express5 from 'express';
import type { RequestHandler } from 'express';
import { latchkey, requireAuth } from '../src/index';

/** The factory of Express test apps for one Express major (`express` is 5, `express4` is 4). */
export function expressFactory(expressModule: typeof express5): StartAdapterApp {
  return async (options) => {
    // Bind first, so the base URL (and the redirect URI registered at the IdP) has the real port.
    let app: ReturnType<typeof express5> | undefined;
    const server = createServer((req, res) => app!(req, res));
    const url = await listen(server);
    const instance = createLatchkey({ ...options, baseUrl: url });
    app = expressModule();
    app.use(latchkey(instance));
    for (const [path, { requireAuth: guarded, answer }] of Object.entries(testRoutes)) {
      const handler: RequestHandler = (req, res, next) => {
        answer(req.auth).then(({ status, body }) => res.status(status).json(body), next);
      };
      if (guarded) app.get(path, requireAuth(), handler);
      else app.get(path, handler);
    }
    return { url, latchkey: instance, stop: () => close(server) };
  };
}
