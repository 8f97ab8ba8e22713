import type { Latchkey } from '@latchkey/core';
import { ACR_MFA } from '@latchkey/dev-idp';
import { latchkey, requireAuth, requireRole, requireStepUp } from '@latchkey/express';
import express, { type Express } from 'express';

const escapeHtml = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · latchkey demo</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
nav a{margin-right:1rem}dt{font-weight:600}dd{margin:0 0 .5rem}</style></head>
<body><nav><a href="/">Home</a><a href="/profile">Profile</a><a href="/admin">Admin</a><a href="/transfer">Transfer</a></nav>${body}</body></html>`;
}

const signOutForm =
  '<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>';

/**
 * The demo's Express app: `/` public, `/profile` signed in, `/admin` (role `admin`), `/transfer`
 * (a step-up to the `mfa` level within 5 minutes), `/api/me` JSON.
 */
export function createApp(instance: Latchkey): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(latchkey(instance));

  app.get('/', (req, res) => {
    const session = req.auth.session;
    const body = session
      ? `<h1>latchkey demo</h1><p>Signed in as <strong>${escapeHtml(session.user.name ?? session.user.sub)}</strong>.</p>${signOutForm}`
      : '<h1>latchkey demo</h1><p>You are signed out.</p><p><a href="/auth/login?returnTo=/profile">Sign in</a></p>';
    res.type('html').send(page('Home', body));
  });

  app.get('/profile', requireAuth(), (req, res) => {
    const session = req.auth.session!;
    const rows: Array<[string, unknown]> = [
      ['Name', session.user.name ?? ''],
      ['Email', session.user.email ?? ''],
      ['Subject', session.user.sub],
      ['Roles', session.roles.join(', ') || '(none)'],
      ['Authentication level (acr)', session.acr ?? '(none)'],
      ['Methods (amr)', session.amr?.join(', ') ?? '(none)'],
      [
        'Authenticated at',
        session.authTime ? new Date(session.authTime * 1000).toISOString() : '(unknown)',
      ],
      ['Session ends', new Date(session.expiresAt * 1000).toISOString()],
    ];
    const list = rows
      .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
      .join('');
    res.type('html').send(page('Profile', `<h1>Profile</h1><dl>${list}</dl>${signOutForm}`));
  });

  app.get('/admin', requireRole('admin'), (req, res) => {
    const session = req.auth.session!;
    res
      .type('html')
      .send(
        page(
          'Admin',
          `<h1>Admin</h1><p>Only the <code>admin</code> role sees this page. Your permissions: <code>${escapeHtml(session.permissions.join(' ') || '(none)')}</code>.</p>`,
        ),
      );
  });

  app.get('/transfer', requireStepUp({ acr: ACR_MFA, maxAge: 300 }), (req, res) => {
    const session = req.auth.session!;
    const at = session.authTime ? new Date(session.authTime * 1000).toISOString() : '(unknown)';
    res
      .type('html')
      .send(
        page(
          'Transfer',
          `<h1>Transfer money</h1><p>You stepped up to <code>${escapeHtml(session.acr)}</code> at ${escapeHtml(at)}; for the next 5 minutes this page needs no new code.</p>`,
        ),
      );
  });

  app.get('/api/me', requireAuth(), (req, res) => {
    const session = req.auth.session!;
    res
      .set('cache-control', 'no-store')
      .json({ user: session.user, roles: session.roles, acr: session.acr ?? null });
  });

  return app;
}
