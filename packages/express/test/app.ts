import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import {
  createLatchkey,
  isLatchkeyError,
  type Latchkey,
  type LatchkeyOptions,
} from '@latchkey/core';
import { close, listen } from '@latchkey/test-utils';
import express5 from 'express';
import express4 from 'express4';
import { latchkey, requireAuth } from '../src/index';

/** The Express majors every adapter test runs against. */
export const expressVersions = [
  ['Express 5', express5],
  ['Express 4', express4],
] as const;

export interface TestApp {
  url: string;
  latchkey: Latchkey;
  stop(): Promise<void>;
}

export const TEST_SECRET = 'express-test-secret-express-test-secret';
export const CLIENT = { clientId: 'test-app', clientSecret: 'test-app-secret' };

/**
 * Starts an Express app on a free loopback port with latchkey mounted and three routes: `/`
 * (public), `/profile` (signed in, JSON) and `/token` (signed in; a hash of a fresh access token).
 */
export async function startApp(
  expressModule: typeof express5,
  options: Omit<LatchkeyOptions, 'baseUrl' | 'clientId' | 'clientSecret' | 'secrets'> &
    Partial<Pick<LatchkeyOptions, 'secrets'>>,
): Promise<TestApp> {
  // Bind first, so the base URL (and the redirect URI registered at the IdP) has the real port.
  let app: ReturnType<typeof express5> | undefined;
  const server = createServer((req, res) => app!(req, res));
  const url = await listen(server);
  const instance = createLatchkey({ ...CLIENT, secrets: [TEST_SECRET], ...options, baseUrl: url });
  app = expressModule();
  app.use(latchkey(instance));
  app.get('/', (req, res) => {
    res.json({ signedIn: req.auth.session !== null });
  });
  app.get('/profile', requireAuth(), (req, res) => {
    res.json({ user: req.auth.session!.user, roles: req.auth.session!.roles });
  });
  app.get('/token', requireAuth(), async (req, res) => {
    try {
      const token = await req.auth.getAccessToken();
      res.json({ token: createHash('sha256').update(token).digest('hex') });
    } catch (error) {
      if (!isLatchkeyError(error)) throw error;
      res.status(error.status).json({ error: error.code });
    }
  });
  return { url, latchkey: instance, stop: () => close(server) };
}

/** The redirect URI to register at the IdP for a test app. */
export function clientFor(appUrl: string) {
  return {
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    redirect_uris: [`${appUrl}/auth/callback`],
    post_logout_redirect_uris: [`${appUrl}/`],
  };
}
