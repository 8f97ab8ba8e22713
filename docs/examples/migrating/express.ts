// A typical express-openid-connect app after the move to latchkey. Each option reads the
// environment variable that express-openid-connect read by itself (latchkey reads none).
import { createLatchkey, definePolicy, roleMappers } from '@latchkey/core';
import { latchkey, requireAuth, requireRole } from '@latchkey/express';
import express, { type RequestHandler } from 'express';

/** The value of an environment variable that must be set. */
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set the environment variable ${name}.`);
  return value;
}

// #region options
const auth = createLatchkey({
  issuer: env('ISSUER_BASE_URL'), // was issuerBaseURL
  baseUrl: env('BASE_URL'), // was baseURL
  clientId: env('CLIENT_ID'), // was clientID
  clientSecret: env('CLIENT_SECRET'), // always needed: latchkey uses the code flow
  secrets: [env('SECRET')], // was secret; now at least 32 characters
  // was session: { rollingDuration, absoluteDuration }; these are latchkey's defaults too
  session: { idleTimeout: 24 * 60 * 60, absoluteTimeout: 7 * 24 * 60 * 60 },
  // was authorizationParams.scope; latchkey asks for offline_access by default
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  // was claimIncludes('roles', 'admin'): name the claim that holds the roles once, here
  roles: roleMappers.claim(process.env.ROLES_CLAIM ?? 'roles'),
  policy: definePolicy({ roles: { admin: ['*'], viewer: ['reports:*'] } }),
  // was afterCallback(req, res, session): return false to refuse, or data to keep on the server.
  // Refuses accounts whose email the IdP has not verified, a token without email_verified too.
  afterCallback: ({ claims }) => (claims.email_verified === true ? undefined : false),
});
// #endregion options

const app = express();

// #region routes
// was app.use(auth({ ..., authRequired: false })): mounts /auth/* and sets req.auth
app.use(latchkey(auth));

app.get('/', (req, res) => {
  // was req.oidc.isAuthenticated() and req.oidc.user
  const user = req.auth.session?.user;
  res.type('html').send(
    user
      ? `<p>Signed in as ${escapeHtml(user.name ?? user.sub)}.</p>
         <form method="post" action="/auth/logout"><button>Sign out</button></form>`
      : '<a href="/auth/login?returnTo=/profile">Sign in</a>',
  );
});

// was requiresAuth()
app.get('/profile', requireAuth(), (req, res) => {
  res.json({ user: req.auth.session!.user, roles: req.auth.session!.roles });
});

// was claimIncludes('roles', 'admin'); a signed-in user without the role now gets 403
app.get('/admin', requireRole('admin'), (_req, res) => {
  res.type('html').send('<p>Administration</p>');
});

// was req.oidc.accessToken, isExpired() and refresh()
app.get('/orders', requireAuth(), async (req, res) => {
  const token = await req.auth.getAccessToken(); // refreshed first when it is about to expire
  const orders = await fetch(new URL('/orders', env('API_BASE_URL')), {
    headers: { authorization: `Bearer ${token}` },
  });
  res
    .status(orders.status)
    .type('json')
    .send(await orders.text());
});
// #endregion routes

// #region claim-check
/** Was claimCheck((req, claims) => ...): 403 unless the ID token's claims pass `check`. */
function claimCheck(check: (claims: Readonly<Record<string, unknown>>) => boolean): RequestHandler {
  return (req, res, next) => {
    const claims = req.auth.session?.claims;
    if (claims && check(claims)) return next();
    res.status(403).json({ error: 'forbidden', message: 'This account may not open this page.' });
  };
}

app.get(
  '/staff',
  requireAuth(), // signed out: sign-in for pages, 401 for API calls
  // A domain check means something only for an address the IdP has verified.
  claimCheck(
    (claims) =>
      claims.email_verified === true &&
      typeof claims.email === 'string' &&
      claims.email.endsWith('@example.com'),
  ),
  (_req, res) => {
    res.type('html').send('<p>Staff only</p>');
  },
);
// #endregion claim-check

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
