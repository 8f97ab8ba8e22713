// The server side of passkeys: with `passkeys` set, latchkey serves the passkey routes under
// /auth/passkeys/ next to its sign-in routes.
import { createLatchkey } from '@latchkey/core';
import { latchkey, requireAuth, requireStepUp } from '@latchkey/express';
import { createPasskeys, MemoryCredentialStore } from '@latchkey/passkeys';
import express from 'express';

// WebAuthn needs a host name: localhost, not 127.0.0.1.
const baseUrl = 'http://localhost:3000';

/** Users your app has switched off: a stand-in for your own user records. */
const disabledUsers = new Set<string>();

const secrets = [process.env.SESSION_SECRET ?? developmentSecret()];

const auth = createLatchkey({
  issuer: 'http://localhost:4000',
  clientId: 'latchkey-demo',
  clientSecret: 'latchkey-demo-secret',
  baseUrl,
  secrets,
  acrLevels: ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'],
  // Development only: a MemoryCredentialStore forgets every passkey when the process ends.
  // The same secrets seal the passkey store's names and profiles.
  passkeys: createPasskeys({ baseUrl, credentials: new MemoryCredentialStore(), secrets }),
  // The level a passkey proves: a passkey sign-in starts at it, a passkey step-up raises to it.
  stepUp: { passkey: { acr: 'urn:latchkey:acr:mfa' } },
  // Runs for every sign-in, at the IdP and with a passkey: `false` refuses it (403 access_denied).
  afterCallback: ({ claims }) => (disabledUsers.has(String(claims.sub)) ? false : undefined),
});

const app = express();
app.use(latchkey(auth));

app.get('/profile', requireAuth(), (req, res) => {
  const { user, acr, amr } = req.auth.session!;
  res.json({ user, acr, amr });
});

// A passkey step-up, or the IdP's one-time code, in the last 5 minutes.
app.get('/transfer', requireStepUp({ acr: 'urn:latchkey:acr:mfa', maxAge: 300 }), (_req, res) => {
  res.json({ ready: true });
});

/**
 * A fixed secret for trying the example on your machine. Anyone who knows a session secret can
 * forge a session for any user, so in production the app does not start without SESSION_SECRET.
 */
function developmentSecret(): string {
  if (process.env.NODE_ENV === 'production') throw new Error('SESSION_SECRET is not set.');
  return 'a-development-secret-of-32-characters-or-more';
}

app.listen(3000, '127.0.0.1', () => console.log('Open http://localhost:3000'));
