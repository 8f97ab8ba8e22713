import { createLatchkey } from '@latchkey/core';
import { latchkey } from '@latchkey/express';
import express from 'express';

const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl: 'http://localhost:3000',
  secrets: [process.env.SESSION_SECRET ?? developmentSecret()],
  // #region options
  // Where the IdP sends the user after sign-out (this is the default); register it at the IdP.
  postLogoutRedirectPath: '/',
  // Prints each sign-out in this terminal, with the user's sub (events never carry a token).
  onEvent: (event) => {
    if (event.type === 'logout' || event.type === 'backchannel_logout') {
      console.log(event.type, event.sub);
    }
  },
  // #endregion options
});

const app = express();
// Also answers POST /auth/logout and POST /auth/backchannel-logout.
app.use(latchkey(auth));

app.get('/', (req, res) => {
  const user = req.auth.session?.user;
  res.type('html').send(
    user
      ? `<p>Signed in as ${escapeHtml(user.name ?? user.sub)}.</p>
           <form method="post" action="/auth/logout"><button>Sign out</button></form>`
      : '<a href="/auth/login">Sign in</a>',
  );
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
