import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createAuditLog,
  createLatchkey,
  type LatchkeyOptions,
  type PrivateJwk,
  type StepUpKey,
} from '@latchkey/core';
import {
  ACR_LEVELS,
  ACR_MFA,
  type DevIdpClient,
  latchkeyClient,
  startDevIdp,
} from '@latchkey/dev-idp';
import { createPasskeys, MemoryCredentialStore } from '@latchkey/passkeys';
import { RedisSessionStore } from '@latchkey/redis';
import { RedisChallengeStore, RedisCredentialStore } from '@latchkey/redis/passkeys';
import type { Express } from 'express';
import { exportJWK, generateKeyPair } from 'jose';

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
  /** With AUDIT_LOG: the file, and the key that verifies its checkpoints. */
  audit: { file: string; publicKey: string } | undefined;
  /** With REDIS_URL: the server's host and port (never its credentials), and the key prefix. */
  redis: { host: string; prefix: string } | undefined;
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
 * OIDC_CLIENT_AUTH, OIDC_CLIENT_PRIVATE_KEY, OIDC_PAR and OIDC_DPOP: see {@link clientSettings}.
 * AUDIT_LOG names a file the tamper-evident audit log is appended to, under the secret AUDIT_KEY
 * (default: a random one); its checkpoints verify with `demo.audit.publicKey`.
 * REDIS_URL (`redis://` or `rediss://`) keeps sessions and passkeys in that Redis, under the key
 * prefix REDIS_PREFIX (default `latchkey:`), shared by every instance with the same SESSION_SECRET;
 * without it they live in this process's memory.
 */
export async function startDemo(env: Record<string, string | undefined>): Promise<Demo> {
  const warnings: string[] = [];
  const apiUrl = env.API_URL ?? DEFAULT_API_URL;
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol)) {
    throw new Error(`API_URL must be an http(s) URL such as ${DEFAULT_API_URL}, not '${apiUrl}'.`);
  }
  const redisUrl = env.REDIS_URL;
  if (redisUrl && !(URL.canParse(redisUrl) && /^rediss?:$/.test(new URL(redisUrl).protocol))) {
    // The value stays out of the message: a Redis URL may hold a password.
    throw new Error(
      'REDIS_URL must be a redis:// or rediss:// URL such as redis://localhost:6379.',
    );
  }
  // Before anything listens: a wrong client setting stops the demo at once.
  const client = await clientSettings(env);
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

  let issuer = env.OIDC_ISSUER;
  let stopIdp: (() => Promise<void>) | undefined;
  if (!issuer) {
    const idp = await startDevIdp({
      port: Number(env.DEV_IDP_PORT ?? 4000),
      hostname: 'localhost',
      clients: [client.register(latchkeyClient(baseUrl, clientId, ''))],
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

  let auditKey = env.AUDIT_KEY;
  if (env.AUDIT_LOG && !auditKey) {
    auditKey = randomBytes(32).toString('base64url');
    warnings.push(
      'AUDIT_KEY is not set: the audit log uses a random key, so it cannot be continued (nor its MACs checked) after a restart.',
    );
  }
  const audit = env.AUDIT_LOG ? createAuditLog({ sink: env.AUDIT_LOG, key: auditKey! }) : undefined;
  const redis = redisUrl ? redisStores(redisUrl, env.REDIS_PREFIX ?? 'latchkey:') : undefined;
  app = createApp(
    createLatchkey({
      ...(audit ? { audit } : {}),
      issuer,
      clientId,
      ...client.options,
      baseUrl,
      secrets: [secret],
      acrLevels: ACR_LEVELS,
      policy: { roles: { admin: ['*'], viewer: ['reports:read'] } },
      resource: env.API_AUDIENCE ?? 'urn:latchkey:demo-api',
      scopes: ['openid', 'profile', 'email', 'offline_access', 'reports:read', 'payments:write'],
      ...(redis ? { store: redis.sessions } : {}),
      // Without Redis, passkeys live in this process: they are gone when the demo stops.
      passkeys: createPasskeys({
        secrets: [secret],
        baseUrl,
        credentials: redis?.credentials ?? new MemoryCredentialStore(),
        ...(redis ? { challenges: redis.challenges } : {}),
      }),
      stepUp: { passkey: { acr: ACR_MFA, ...(assertionKey ? { assertionKey } : {}) } },
    }),
    { apiUrl, spa },
  );
  return {
    url: baseUrl,
    issuer,
    apiUrl,
    devIdp: stopIdp !== undefined,
    audit: audit && { file: env.AUDIT_LOG!, publicKey: await audit.publicKey() },
    redis: redis && { host: redis.host, prefix: redis.prefix },
    warnings,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await audit?.close();
      await redis?.close();
      await stopIdp?.();
    },
  };
}

/** The demo's Redis stores: sessions, passkeys and passkey challenges, under one key prefix. */
function redisStores(url: string, prefix: string) {
  const options = { url, prefix };
  const sessions = new RedisSessionStore(options);
  const credentials = new RedisCredentialStore(options);
  const challenges = new RedisChallengeStore(options);
  const { hostname, port } = new URL(url);
  return {
    sessions,
    credentials,
    challenges,
    host: `${hostname}:${port || '6379'}`,
    prefix,
    close: async () => {
      await Promise.all([sessions.close(), credentials.close(), challenges.close()]);
    },
  };
}

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** How the demo's client talks to the IdP, and how the dev IdP registers it to match. */
export interface ClientSettings {
  /** The latchkey options they come to. */
  options: Pick<
    LatchkeyOptions,
    'clientAuth' | 'clientSecret' | 'clientAssertionKey' | 'pushedAuthorizationRequests' | 'dpop'
  >;
  /** The dev IdP's registration of the client, made to match. */
  register: (client: DevIdpClient) => DevIdpClient;
}

/** An on/off environment variable: `1` or `0`, off when unset. */
function flag(env: Record<string, string | undefined>, name: string): boolean {
  const value = env[name] ?? '0';
  if (value !== '0' && value !== '1') throw new Error(`${name} must be 1 or 0, not '${value}'.`);
  return value === '1';
}

/**
 * The demo's client settings: its credentials (OIDC_CLIENT_AUTH with OIDC_CLIENT_SECRET or
 * OIDC_CLIENT_PRIVATE_KEY); with OIDC_PAR=1, pushed authorization requests; with OIDC_DPOP=1,
 * tokens bound to a key per session. The dev IdP then requires each of the client.
 */
export async function clientSettings(
  env: Record<string, string | undefined>,
): Promise<ClientSettings> {
  const credentials = await clientCredentials(env);
  const par = flag(env, 'OIDC_PAR');
  const dpop = flag(env, 'OIDC_DPOP');
  return {
    options: {
      ...credentials.options,
      ...(par ? { pushedAuthorizationRequests: true } : {}),
      ...(dpop ? { dpop: true } : {}),
    },
    register: (client) => ({
      ...credentials.register(client),
      ...(par ? { require_pushed_authorization_requests: true } : {}),
      ...(dpop ? { dpop_bound_access_tokens: true } : {}),
    }),
  };
}

async function clientCredentials(env: Record<string, string | undefined>): Promise<ClientSettings> {
  const method = env.OIDC_CLIENT_AUTH ?? 'client_secret_basic';
  if (!CLIENT_AUTH_METHODS.includes(method)) {
    throw new Error(`OIDC_CLIENT_AUTH must be ${CLIENT_AUTH_METHODS.join(', ')}, not '${method}'.`);
  }
  if (method !== 'private_key_jwt') {
    const clientSecret = env.OIDC_CLIENT_SECRET ?? 'latchkey-demo-secret';
    return {
      options: { clientAuth: method as 'client_secret_basic', clientSecret },
      register: (client) => ({
        ...client,
        client_secret: clientSecret,
        token_endpoint_auth_method: method,
      }),
    };
  }
  let key: PrivateJwk;
  if (env.OIDC_CLIENT_PRIVATE_KEY) {
    try {
      key = JSON.parse(env.OIDC_CLIENT_PRIVATE_KEY) as PrivateJwk;
    } catch {
      throw new Error('OIDC_CLIENT_PRIVATE_KEY must be a private JWK, as JSON.');
    }
  } else if (env.OIDC_ISSUER) {
    throw new Error(
      'OIDC_CLIENT_AUTH=private_key_jwt needs OIDC_CLIENT_PRIVATE_KEY: the private JWK whose public half the IdP has.',
    );
  } else {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = { ...(await exportJWK(pair.privateKey)), kid: 'demo-client-key', alg: 'ES256' };
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = key;
  return {
    options: { clientAuth: 'private_key_jwt', clientAssertionKey: key },
    register: ({ client_secret: _secret, ...client }) => ({
      ...client,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
    }),
  };
}
