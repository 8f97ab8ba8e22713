import { join } from 'node:path';
import { ErrorCodes, hasRole, type Latchkey, sessionJson } from '@latchkey/core';
import { ACR_MFA } from '@latchkey/dev-idp';
import { forwardTo, latchkey, requireAuth, requireStepUp } from '@latchkey/express';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
} from 'express';
import type { SessionResponse, Spa } from './spa';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The API that `/api/*` is forwarded to (with the user's access token), e.g. `http://localhost:3001`. */
  apiUrl: string;
  /** The React app: its client build and server renderer. */
  spa: Spa;
}

/**
 * The session for the page's first render, in the shape of `GET /auth/session`: the React app
 * hydrates with it, so the page is right before any script runs. `undefined` when the session
 * store cannot tell (the browser then asks).
 */
function initialSession(req: Request): SessionResponse | undefined {
  const { session, problem } = req.auth;
  if (!session && problem?.code === ErrorCodes.storeUnavailable) return undefined;
  return sessionJson(session);
}

/**
 * The demo's Express app, a backend-for-frontend for the React app (`apps/demo-react`):
 *
 * - pages, server-rendered by the React app and hydrated in the browser: `/` public, `/profile`,
 *   `/payments` and `/passkeys` signed in, `/admin` (role `admin`, else 403), `/transfer` (a
 *   step-up to the `mfa` level within 5 minutes: the one-time code or a passkey);
 * - `/auth/*`: latchkey's sign-in, session, step-up, passkey and sign-out routes;
 * - `/api/*`: forwarded to the API with the user's access token, its 401 step-up challenges
 *   passed back unchanged;
 * - `/assets/*`: the React app's build.
 */
export function createApp(instance: Latchkey, options: AppOptions): Express {
  const { spa } = options;
  const app = express();
  app.disable('x-powered-by');

  // Build files first: no session is read for them. Their names carry a content hash.
  if (spa.dist) {
    app.use(
      '/assets',
      express.static(join(spa.dist, 'assets'), {
        immutable: true,
        maxAge: '1y',
        index: false,
        redirect: false,
        fallthrough: false,
      }),
    );
    const favicon = join(spa.dist, 'favicon.svg');
    app.get('/favicon.svg', (_req, res) => res.sendFile(favicon, { maxAge: '1d' }));
  }

  app.use(latchkey(instance));

  // Writes need a same-origin Origin: core's forwarding checks it.
  app.use('/api', forwardTo(options.apiUrl));

  // Pages hold the user's details: never cached; scripts and styles from this origin only.
  const pageHeaders = {
    'cache-control': 'no-store',
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      // Sign-out without scripts is a form whose answer redirects to the IdP.
      `form-action 'self' ${instance.config.issuer.origin}`,
    ].join('; '),
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
  };
  const page =
    (status: (req: Request) => number = () => 200): RequestHandler =>
    (req, res) => {
      res
        .status(status(req))
        .set(pageHeaders)
        .type('html')
        .send(spa.render(req.path, initialSession(req)));
    };

  app.get('/', page());
  app.get('/profile', requireAuth(), page());
  app.get('/payments', requireAuth(), page());
  app.get('/passkeys', requireAuth(), page());
  // Signed in without the role: the page explains, with the status the server means.
  app.get(
    '/admin',
    requireAuth(),
    page((req) => (hasRole(req.auth.session, 'admin') ? 200 : 403)),
  );
  app.get('/transfer', requireStepUp({ acr: ACR_MFA, maxAge: 300 }), page());

  // Anything else: the app's "not found" page for browsers, JSON for the rest.
  const notFoundPage = page(() => 404);
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') next();
    else if (req.accepts(['html', 'json']) === 'html') notFoundPage(req, res, next);
    else res.status(404).json({ error: 'not_found', message: `Nothing at ${req.path}.` });
  });

  // Never a stack trace in a response.
  const onError: ErrorRequestHandler = (error: { status?: unknown }, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = typeof error.status === 'number' && error.status >= 400 ? error.status : 500;
    if (status >= 500) console.error('[demo-express]', error);
    res
      .status(status)
      .type('text')
      .send(status === 404 ? 'Not found.' : 'Something went wrong.');
  };
  app.use(onError);

  return app;
}
