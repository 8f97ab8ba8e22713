import { createLatchkey } from '@latchkey/core';
import { forwardTo, latchkey } from '@latchkey/express';
import express from 'express';

// #region sign-in
const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl: 'http://localhost:3000',
  secrets: [process.env.SESSION_SECRET ?? developmentSecret()],
  // Access tokens for the API, as JWTs whose aud is this resource indicator (RFC 8707).
  resource: 'urn:latchkey:demo-api',
  // Only the API scope this app needs: reports:read, not payments:write.
  scopes: ['openid', 'profile', 'email', 'offline_access', 'reports:read'],
});
// #endregion sign-in

const app = express();
app.use(latchkey(auth));

app.get('/', (req, res) => {
  const user = req.auth.session?.user;
  res.type('html').send(
    user
      ? `<p>Signed in as ${escapeHtml(user.name ?? user.sub)}.</p>
         <a href="/api/reports">Reports</a> <a href="/api/reports/export">Export</a>
         <form method="post" action="/api/payments">
           <input name="amount" value="25"><button>Pay</button>
         </form>
         <form method="post" action="/auth/logout"><button>Sign out</button></form>`
      : '<a href="/auth/login?returnTo=/api/reports">Sign in</a>',
  );
});

// #region forward
// /api/* goes to the API with the user's access token (refreshed first when needed).
app.use('/api', forwardTo(process.env.API_URL ?? 'http://localhost:3001'));
// #endregion forward

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A fixed secret for trying the example on your machine. Anyone who knows a session secret can
 * forge a session for any user, so in production the app does not start without SESSION_SECRET.
 */
function developmentSecret(): string {
  if (process.env.NODE_ENV === 'production') throw new Error('SESSION_SECRET is not set.');
  return 'a-development-secret-of-32-characters-or-more';
}

app.listen(3000, '127.0.0.1', () => console.log('Open http://localhost:3000'));
