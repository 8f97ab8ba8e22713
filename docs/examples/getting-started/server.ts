import { createLatchkey } from '@latchkey/core';
import { latchkey, requireAuth } from '@latchkey/express';
import express from 'express';

// The dev IdP's defaults: its client, its secret, and this app's address.
const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl: 'http://localhost:3000',
  secrets: [process.env.SESSION_SECRET ?? developmentSecret()],
});

const app = express();
// Serves /auth/login, /auth/callback, /auth/logout, /auth/session and sets req.auth.
app.use(latchkey(auth));

app.get('/', (req, res) => {
  const user = req.auth.session?.user;
  res.type('html').send(
    user
      ? `<p>Signed in as ${escapeHtml(user.name ?? user.sub)}.</p>
         <a href="/profile">Your profile</a>
         <form method="post" action="/auth/logout"><button>Sign out</button></form>`
      : '<a href="/auth/login?returnTo=/profile">Sign in</a>',
  );
});

// Signed-out visitors are sent to the IdP, then back here.
app.get('/profile', requireAuth(), (req, res) => {
  const session = req.auth.session!;
  res.json({ user: session.user, roles: session.roles, acr: session.acr });
});

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
