import { createLatchkey } from '@latchkey/core';
import { latchkey, requireAuth, requireRole, requireStepUp } from '@latchkey/express';
import express, { type Express } from 'express';

/** What the app is told about its IdP and itself: from the environment in production, from the test here. */
export interface AppOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  baseUrl: string;
  sessionSecret: string;
  /** The API the app calls with the user's access token. */
  apiUrl: string;
}

export function createApp(options: AppOptions): Express {
  const auth = createLatchkey({
    issuer: options.issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    baseUrl: options.baseUrl,
    secrets: [options.sessionSecret],
    acrLevels: ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'],
  });
  const app = express();
  app.use(latchkey(auth));

  app.get('/profile', requireAuth(), (req, res) => {
    const { user, roles, acr } = req.auth.session!;
    res.json({ sub: user.sub, name: user.name, roles, acr });
  });

  app.get('/audit-log', requireRole('auditor'), (_req, res) => {
    res.json({ entries: [] });
  });

  app.get('/transfer', requireStepUp({ acr: 'urn:latchkey:acr:mfa', maxAge: 300 }), (req, res) => {
    res.json({ ready: true, acr: req.auth.session!.acr });
  });

  app.get('/api/me', requireAuth(), async (req, res) => {
    const token = await req.auth.getAccessToken(); // refreshed first when about to expire
    const answer = await fetch(options.apiUrl, { headers: { authorization: `Bearer ${token}` } });
    res.status(answer.status).json(await answer.json());
  });

  return app;
}
