import { createLatchkey } from '@latchkey/core';
import { latchkey, requireStepUp } from '@latchkey/express';
import express from 'express';

const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl: 'http://localhost:3000',
  secrets: [process.env.SESSION_SECRET ?? developmentSecret()],
  // #region levels
  // The IdP's authentication levels, lowest first: a higher level satisfies a lower requirement.
  acrLevels: ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'],
  // #endregion levels
});

const app = express();
app.use(latchkey(auth));

// A second factor (the dev IdP's one-time code), at most 5 minutes ago.
const recentMfa = requireStepUp({ acr: 'urn:latchkey:acr:mfa', maxAge: 300 });

app.get('/', (req, res) => {
  const session = req.auth.session;
  res
    .type('html')
    .send(
      session
        ? `<p>Signed in at ${escapeHtml(session.acr ?? 'no level')}.</p><a href="/transfer">Transfer</a>`
        : '<a href="/auth/login?returnTo=/">Sign in</a>',
    );
});

// A page: a browser that has not stepped up is sent to the IdP, and comes back here.
app.get('/transfer', recentMfa, (_req, res) => {
  res.type('html').send(
    `<h1>Transfer</h1>
     <form method="post" action="/transfer">
       <input name="amount" value="10"> EUR to <input name="to" value="bob"> <button>Send</button>
     </form>`,
  );
});

// A form post: the same rule, but a POST is answered 401, never redirected and replayed.
app.post('/transfer', recentMfa, express.urlencoded({ extended: false }), (req, res) => {
  const { amount, to } = req.body as { amount?: string; to?: string };
  res.type('html').send(`<p>Sent ${escapeHtml(`${amount} EUR to ${to}`)}.</p>`);
});

// An API: a script gets 401 with the RFC 9470 challenge.
app.post('/api/transfers', recentMfa, express.json(), (req, res) => {
  const { amount, to } = req.body as { amount?: number; to?: string };
  res.status(201).json({ amount, to, by: req.auth.session!.user.sub });
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
