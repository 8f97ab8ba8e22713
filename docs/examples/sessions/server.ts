import { createLatchkey } from '@latchkey/core';
import { latchkey } from '@latchkey/express';
import { RedisSessionStore } from '@latchkey/redis';
import express from 'express';

// Every instance of the app uses the same Redis.
const store = new RedisSessionStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });

const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  // The address users open, the same for every instance (in production, the load balancer's).
  baseUrl: 'http://localhost:3000',
  // #region secrets
  // One secret, or several separated by spaces, newest first: the first seals, all of them unseal.
  secrets: (process.env.SESSION_SECRET ?? developmentSecret()).trim().split(/\s+/),
  // #endregion secrets
  // The cookie holds a random session id; the session itself, tokens included, is in Redis.
  store,
  // #region timeouts
  session: {
    idleTimeout: 8 * 60 * 60, // ends after 8 hours without a request...
    absoluteTimeout: 7 * 24 * 60 * 60, // ...and 7 days after sign-in at the latest
  },
  // #endregion timeouts
});

const port = Number(process.env.PORT ?? 3000);
const app = express();
app.use(latchkey(auth));

app.get('/', (req, res) => {
  const user = req.auth.session?.user;
  res.type('html').send(
    `<p>Served by the instance on port ${port}.</p>` +
      (user
        ? `<p>Signed in as ${escapeHtml(user.name ?? user.sub)}.</p>
             <form method="post" action="/auth/logout"><button>Sign out</button></form>`
        : '<a href="/auth/login">Sign in</a>'),
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

app.listen(port, '127.0.0.1', () => console.log(`Open http://localhost:${port}`));
