import { createLatchkey } from '@latchkey/core';
import { latchkeyPlugin, requireAuth, requireRole } from '@latchkey/fastify';
import Fastify from 'fastify';

// The dev IdP's defaults: its client, its secret, and this app's address.
const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl: 'http://localhost:3000',
  secrets: [process.env.SESSION_SECRET ?? developmentSecret()],
});

const app = Fastify();
// Serves /auth/login, /auth/callback, /auth/logout, /auth/session and sets request.auth.
await app.register(latchkeyPlugin, { latchkey: auth });

app.get('/', async (request, reply) => {
  const user = request.auth.session?.user;
  reply.type('text/html');
  return user
    ? `<p>Signed in as ${escapeHtml(user.name ?? user.sub)}.</p>
       <a href="/profile">Your profile</a> <a href="/admin">Admin</a>
       <form method="post" action="/auth/logout"><button>Sign out</button></form>`
    : '<a href="/auth/login?returnTo=/profile">Sign in</a>';
});

// One route: signed-out visitors are sent to the IdP, then back here.
app.get('/profile', { preHandler: requireAuth() }, async (request) => {
  const session = request.auth.session!;
  return { user: session.user, roles: session.roles, acr: session.acr };
});

// Every route of a child plugin: only sessions with the role admin.
await app.register(async (admin) => {
  admin.addHook('preHandler', requireRole('admin'));
  admin.get('/admin', async (request) => ({ welcome: request.auth.session!.user.name }));
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

await app.listen({ port: 3000, host: '127.0.0.1' });
console.log('Open http://localhost:3000');
