// auth.ts of a Next.js App Router project (Node.js runtime) that used Auth.js: latchkey's
// Web-standard entry points, `auth.fetch(request)` and `auth.sessionOf(request)`.
import { type AuthContext, createLatchkey, idpPresets, requireAuth } from '@latchkey/core';

/** The value of an environment variable that must be set. */
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set the environment variable ${name}.`);
  return value;
}

// #region instance
// Was NextAuth({ providers: [Okta({ clientId, clientSecret, issuer })], secret }).
export const auth = createLatchkey({
  ...idpPresets.okta(),
  issuer: env('AUTH_OKTA_ISSUER'),
  clientId: env('AUTH_OKTA_ID'),
  clientSecret: env('AUTH_OKTA_SECRET'),
  secrets: [env('AUTH_SECRET')], // 32 characters or more
  baseUrl: env('APP_BASE_URL'), // never taken from the Host header
});
// #endregion instance

// #region handlers
/** Answers latchkey's routes; mount it as app/auth/[...latchkey]/route.ts. */
async function handle(request: Request): Promise<Response> {
  return (await auth.fetch(request)) ?? new Response('Not found', { status: 404 });
}

export const handlers = { GET: handle, POST: handle };
// #endregion handlers

// #region with-auth
/**
 * Runs a route handler with the request's session (the `auth()` of Auth.js, for route handlers)
 * and adds the cookies latchkey wants set: a rolling session re-sealed, a dead one cleared.
 */
export async function withAuth(
  request: Request,
  handler: (context: AuthContext) => Response | Promise<Response>,
): Promise<Response> {
  const { auth: context, setCookies } = await auth.sessionOf(request);
  const response = await handler(context);
  for (const line of setCookies) response.headers.append('set-cookie', line);
  return response;
}

/** An API route: app/api/me/route.ts exports it as GET. */
export const getMe = (request: Request) =>
  withAuth(request, (context) => requireAuth(context) ?? Response.json(context.session!.user));
// #endregion with-auth
