import { createServer } from 'node:http';
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
import type express5 from 'express';
import type { RequestHandler } from 'express';
import {
  forwardTo,
  latchkey,
  requireAuth,
  requireBearer,
  requirePermission,
  requireRole,
  requireStepUp,
} from '../src/index';

/** The Express guard for a test route's guard. */
function guardFor(guard: TestGuard, verifier: BearerVerifier): RequestHandler {
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
    if (options.apiUrl) app.use(PROXY_PATH, forwardTo(options.apiUrl));
    const verifier = testVerifier(options, url);
    for (const [path, route] of Object.entries(testRoutes)) {
      const handler: RequestHandler = (req, res, next) => {
        route
          .answer({ auth: req.auth, bearer: req.bearer })
          .then(({ status, body }) => res.status(status).json(body), next);
      };
      const guard: TestGuard | undefined = 'guard' in route ? route.guard : undefined;
      if (guard) app.get(path, guardFor(guard, verifier), handler);
      else app.get(path, handler);
    }
    return { url, latchkey: instance, stop: () => close(server) };
  };
}
