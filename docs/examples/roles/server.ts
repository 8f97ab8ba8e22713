import { can, createLatchkey, definePolicy, idpPresets } from '@latchkey/core';
import { latchkey, requirePermission, requireRole } from '@latchkey/express';
import express from 'express';

// #region policy
// Which permissions each role grants. A role the policy does not list grants nothing.
const policy = definePolicy({
  roles: {
    admin: ['reports:*', 'users:manage'], // `reports:*` covers every `reports:...` permission
    viewer: ['reports:read'],
  },
});
// #endregion policy

const auth = createLatchkey({
  // The dev IdP's vocabulary: roles from the `roles` claim, its two authentication levels.
  ...idpPresets.devIdp(),
  policy,
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl: 'http://localhost:3000',
  secrets: [process.env.SESSION_SECRET ?? developmentSecret()],
});

const app = express();
app.use(latchkey(auth));

app.get('/', (req, res) => {
  const session = req.auth.session;
  if (!session) {
    res.type('html').send('<a href="/auth/login?returnTo=/">Sign in</a>');
    return;
  }
  // `can` applies the policy's rule, wildcards included: use it rather than `includes`.
  const exportLink = can(session, 'reports:export') ? '<a href="/reports/export">Export</a>' : '';
  res.type('html').send(
    `<p>Your roles: ${escapeHtml(session.roles.join(', '))}.</p>
     <a href="/reports">Reports</a> ${exportLink} <a href="/admin">Admin</a>
     <form method="post" action="/auth/logout"><button>Sign out</button></form>`,
  );
});

app.get('/reports', requirePermission('reports:read'), (_req, res) => {
  res.json({ reports: ['Q1', 'Q2'] });
});

app.get('/reports/export', requirePermission('reports:export'), (_req, res) => {
  res.type('csv').send('quarter,total\nQ1,100\nQ2,120\n');
});

app.get('/admin', requireRole('admin'), (_req, res) => {
  res.type('html').send('<h1>Admin</h1><p>Only admins see this page.</p>');
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
