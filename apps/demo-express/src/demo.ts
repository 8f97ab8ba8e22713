import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLatchkey, type StepUpKey } from '@latchkey/core';
import { ACR_LEVELS, ACR_MFA, latchkeyClient, startDevIdp } from '@latchkey/dev-idp';
import { createPasskeys, MemoryCredentialStore } from '@latchkey/passkeys';
import type { Express } from 'express';

import { createApp } from './app';
import { loadSpa } from './spa';

/** Where `/api/*` goes when API_URL is not set: demo-fastify's port in `npm run demo`. */
const DEFAULT_API_URL = 'http://localhost:3001';

/** A running demo. */
export interface Demo {
  url: string;
  issuer: string;
  /** The API that `/api/*` is forwarded to. */
  apiUrl: string;
  /** True when the demo started its own dev IdP (no OIDC_ISSUER given). */
  devIdp: boolean;
  warnings: string[];
  stop(): Promise<void>;
}

/**
 * Starts the demo from environment variables: OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
 * APP_BASE_URL, SESSION_SECRET, PORT (default 3000; 0 picks a free port), API_URL (the demo API
 * that `/api/*` is forwarded to, default http://localhost:3001: `npm run demo` starts it there)
 * and, for the dev IdP started when OIDC_ISSUER is absent, DEV_IDP_PORT (default 4000).
 * STEP_UP_ASSERTION_KEY (a private EC P-256 or Ed25519 JWK, as JSON) signs step-up assertions
 * for the API after a passkey step-up; the API needs its public half (see demo-fastify).
 */
export async function startDemo(env: Record<string, string | undefined>): Promise<Demo> {
  const warnings: string[] = [];
  const apiUrl = env.API_URL ?? DEFAULT_API_URL;
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol)) {
    throw new Error(`API_URL must be an http(s) URL such as ${DEFAULT_API_URL}, not '${apiUrl}'.`);
  }
  const spa = await loadSpa();
  if (!spa.dist) {
    warnings.push(
      'The React app is not built: pages are served without their scripts. Run `pnpm --filter @latchkey/demo-react build`.',
    );
  }
  let app: Express | undefined;
  const server = createServer((req, res) => {
    if (app) app(req, res);
    else res.writeHead(503).end('starting');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(env.PORT ?? 3000), '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = env.APP_BASE_URL ?? `http://localhost:${port}`;
  const clientId = env.OIDC_CLIENT_ID ?? 'latchkey-demo';
  const clientSecret = env.OIDC_CLIENT_SECRET ?? 'latchkey-demo-secret';

  let issuer = env.OIDC_ISSUER;
  let stopIdp: (() => Promise<void>) | undefined;
  if (!issuer) {
    const idp = await startDevIdp({
      port: Number(env.DEV_IDP_PORT ?? 4000),
      hostname: 'localhost',
      clients: [latchkeyClient(baseUrl, clientId, clientSecret)],
    });
    issuer = idp.issuer;
    stopIdp = () => idp.stop();
  }

  let assertionKey: StepUpKey | undefined;
  if (env.STEP_UP_ASSERTION_KEY) {
    try {
      assertionKey = JSON.parse(env.STEP_UP_ASSERTION_KEY) as StepUpKey;
    } catch {
      throw new Error('STEP_UP_ASSERTION_KEY must be a private JWK, as JSON.');
    }
  }

  let secret = env.SESSION_SECRET;
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    warnings.push(
      'SESSION_SECRET is not set: using a random one, so sessions end when the demo restarts.',
    );
  }

  app = createApp(
    createLatchkey({
      issuer,
      clientId,
      clientSecret,
      baseUrl,
      secrets: [secret],
      acrLevels: ACR_LEVELS,
      policy: { roles: { admin: ['*'], viewer: ['reports:read'] } },
      resource: env.API_AUDIENCE ?? 'urn:latchkey:demo-api',
      scopes: ['openid', 'profile', 'email', 'offline_access', 'reports:read', 'payments:write'],
      // Passkeys live in this process: they are gone when the demo stops.
      passkeys: createPasskeys({ baseUrl, credentials: new MemoryCredentialStore() }),
      stepUp: { passkey: { acr: ACR_MFA, ...(assertionKey ? { assertionKey } : {}) } },
    }),
    { apiUrl, spa },
  );
  return {
    url: baseUrl,
    issuer,
    apiUrl,
    devIdp: stopIdp !== undefined,
    warnings,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopIdp?.();
    },
  };
}
