// The backend-for-frontend: it signs users in, keeps their tokens, serves the React app and
// forwards the app's API calls with the user's access token.
import { fileURLToPath } from 'node:url';
import { createLatchkey } from '@latchkey/core';
import { forwardTo, latchkey } from '@latchkey/express';
import express from 'express';

const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl: 'http://localhost:3000',
  secrets: [process.env.SESSION_SECRET ?? developmentSecret()],
  // Ask the IdP for access tokens to this API (an RFC 8707 resource indicator).
  resource: 'urn:latchkey:demo-api',
  // At sign-out, name the session to the IdP without handing the browser the ID token.
  logout: { idTokenHint: false },
});

const app = express();
// GET /auth/login, /auth/callback, /auth/session and POST /auth/logout; req.auth elsewhere.
app.use(latchkey(auth));

// GET /api/me -> http://localhost:3001/api/me, with `Authorization: Bearer <access token>`.
app.use('/api', forwardTo(process.env.API_URL ?? 'http://localhost:3001'));

// The React app as `npx vite build` wrote it; any other path gets its index.html.
const dist = fileURLToPath(new URL('./dist/', import.meta.url));
app.use(express.static(dist));
app.get('/{*path}', (_req, res) => res.sendFile('index.html', { root: dist }));

/**
 * A fixed secret for trying the example on your machine. Anyone who knows a session secret can
 * forge a session for any user, so in production the app does not start without SESSION_SECRET.
 */
function developmentSecret(): string {
  if (process.env.NODE_ENV === 'production') throw new Error('SESSION_SECRET is not set.');
  return 'a-development-secret-of-32-characters-or-more';
}

app.listen(3000, '127.0.0.1', () => console.log('Open http://localhost:3000'));
