// What the servers of a run talk to: the dev IdP (one client registration per session scenario,
// and one for the micro-benchmarks), the token issuer with its access tokens, and Redis (under a
// prefix of the run's own, deleted at the end).
import { randomBytes } from 'node:crypto';
import { freePort } from './processes.mjs';
import { usesSession } from './scenarios.mjs';
import { AUDIENCE, mintTokens, REQUIRED_SCOPE, startTokenIssuer } from './tokens.mjs';

/**
 * @typedef {import('./scenarios.mjs').Scenario} Scenario
 * @typedef {{ url: string, prefix: string, available: boolean }} RedisTarget
 * @typedef {{ port: number, clientId: string, clientSecret: string, secret: string }} Registration
 *   a relying party's port, its client at the dev IdP and its session secret
 * @typedef {Awaited<ReturnType<typeof startEnvironment>>} Environment
 */

/**
 * Whether Redis answers at `url`, and the key prefix of this run.
 * @param {string} url @returns {Promise<RedisTarget>}
 */
export async function probeRedis(url) {
  const prefix = `latchkey-bench:${Date.now().toString(36)}-${randomBytes(4).toString('hex')}:`;
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return { url, prefix, available: (await client.ping()) === 'PONG' };
  } catch {
    return { url, prefix, available: false };
  } finally {
    client.disconnect();
  }
}

/** Deletes the run's keys. @param {RedisTarget} redis */
async function cleanRedis(redis) {
  const { Redis } = await import('ioredis');
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/**
 * A relying party's free port, client credentials and session secret.
 * @param {string} clientId @returns {Promise<Registration>}
 */
export const register = async (clientId) => ({
  port: await freePort(),
  clientId,
  clientSecret: randomBytes(24).toString('base64url'),
  secret: randomBytes(32).toString('base64url'),
});

/**
 * Starts the token issuer (and mints its access tokens) and the dev IdP with a client for each
 * session scenario and for the micro-benchmarks.
 * @param {{ scenarios: Scenario[], tokens: number, redis: RedisTarget, log: (message: string) => void }} options
 *   `tokens`: distinct access tokens per algorithm
 */
export async function startEnvironment({ scenarios, tokens: count, redis, log }) {
  const issuer = await startTokenIssuer();
  const tokens = {
    ES256: await mintTokens(issuer.issuer, issuer.keys.ES256, count),
    RS256: await mintTokens(issuer.issuer, issuer.keys.RS256, count),
  };
  const bearer = {
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience: AUDIENCE,
    scope: REQUIRED_SCOPE,
  };

  /** @type {Map<string, Registration>} per scenario */
  const registrations = new Map();
  for (const scenario of scenarios)
    registrations.set(scenario.id, await register(`bench-${scenario.id}`));
  const microClient = await register('bench-micro');

  const { startDevIdp } = await import('@latchkey/dev-idp');
  const idp = await startDevIdp({
    clients: [
      ...scenarios.filter(usesSession).map((scenario) => {
        const r = registrations.get(scenario.id);
        const base = `http://127.0.0.1:${r.port}`;
        return {
          client_id: r.clientId,
          client_secret: r.clientSecret,
          redirect_uris: [
            scenario.credential === 'latchkey' ? `${base}/auth/callback` : `${base}/callback`,
          ],
        };
      }),
      {
        client_id: microClient.clientId,
        client_secret: microClient.clientSecret,
        redirect_uris: [`http://127.0.0.1:${microClient.port}/auth/callback`],
      },
    ],
  });
  log(`dev IdP at ${idp.issuer}, token issuer at ${issuer.issuer}`);

  return {
    issuer,
    tokens,
    bearer,
    idp,
    microClient,
    /** The BENCH_SERVER_CONFIG of a scenario's server (less the scenario). @param {Scenario} scenario */
    serverConfig(scenario) {
      const r = registrations.get(scenario.id);
      return {
        port: r.port,
        issuer: idp.issuer,
        clientId: r.clientId,
        clientSecret: r.clientSecret,
        secret: r.secret,
        redisUrl: redis.url,
        redisPrefix: redis.prefix,
        bearer,
      };
    },
    /** Stops the dev IdP and the token issuer, and deletes the run's Redis keys. */
    async stop() {
      await idp.stop();
      await issuer.close();
      if (redis.available) await cleanRedis(redis);
    },
  };
}
