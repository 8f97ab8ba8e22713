// One benchmark server per process: `node --expose-gc servers/server.mjs` with its configuration
// in BENCH_SERVER_CONFIG (JSON). It serves `GET /api/hello` behind the scenario's guard on
// 127.0.0.1, plus a separate control listener (bench only) that reports memory and CPU and runs
// `gc()`. Prints one line `READY <port> <controlPort>` when both listen.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector';

/**
 * @typedef {object} ServerConfig
 * @property {string} scenario
 * @property {number} port
 * @property {string} [issuer] the dev IdP (session scenarios)
 * @property {string} [clientId]
 * @property {string} [clientSecret]
 * @property {string} [secret] session secret
 * @property {string} [redisUrl]
 * @property {string} [redisPrefix]
 * @property {{ issuer: string, jwksUri: string, audience: string, scope: string }} [bearer]
 */

/** @type {ServerConfig} */
const config = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}');
const baseUrl = `http://127.0.0.1:${config.port}`;
/** Things to close on SIGTERM (Redis clients). */
const closers = [];

const json = (sub) => ({ ok: true, sub });

async function expressApp() {
  const { default: express } = await import('express');
  const app = express();
  return app;
}

/** @type {Record<string, () => Promise<{ listen: () => Promise<void> }>>} */
const scenarios = {
  async 'express-bare'() {
    const app = await expressApp();
    app.get('/api/hello', (_req, res) => res.json(json('anonymous')));
    return expressListen(app);
  },

  async 'express-latchkey-cookie'() {
    return latchkeyExpress();
  },

  async 'express-latchkey-redis'() {
    const { RedisSessionStore } = await import('@latchkey/redis');
    const store = new RedisSessionStore({ url: config.redisUrl, prefix: config.redisPrefix });
    closers.push(() => store.close());
    return latchkeyExpress(store);
  },

  async 'express-latchkey-redis-cached'() {
    const { RedisSessionStore } = await import('@latchkey/redis');
    const store = new RedisSessionStore({
      url: config.redisUrl,
      prefix: config.redisPrefix,
      cache: true,
    });
    closers.push(() => store.close());
    return latchkeyExpress(store);
  },

  async 'express-eoc-cookie'() {
    return eocExpress();
  },

  async 'express-eoc-redis'() {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisUrl ?? 'redis://127.0.0.1:6379');
    closers.push(() => client.quit());
    return eocExpress(new IoredisSessionStore(client, `${config.redisPrefix}eoc:`));
  },

  async 'express-latchkey-bearer-es256'() {
    const { requireBearer } = await import('@latchkey/express');
    const app = await expressApp();
    app.get(
      '/api/hello',
      requireBearer(await verifier(), { scopes: [config.bearer.scope] }),
      (req, res) => res.json(json(req.bearer.sub)),
    );
    return expressListen(app);
  },

  async 'express-oauth2-jwt-bearer-es256'() {
    const { auth, requiredScopes } = await import('express-oauth2-jwt-bearer');
    const app = await expressApp();
    app.get(
      '/api/hello',
      auth({
        issuer: config.bearer.issuer,
        jwksUri: config.bearer.jwksUri,
        audience: config.bearer.audience,
        tokenSigningAlg: 'ES256',
      }),
      requiredScopes(config.bearer.scope),
      (req, res) => res.json(json(req.auth.payload.sub)),
    );
    return expressListen(app);
  },

  // Express's floor for latchkey's shapes: the same middleware and guards doing nothing but
  // setting the same request property (a constant), so no library can cost less in Express.
  async 'express-noop-session'() {
    const app = await expressApp();
    const auth = { session: { user: { sub: 'anonymous' } } };
    app.use((req, _res, next) => {
      req.auth = auth;
      next();
    });
    app.get(
      '/api/hello',
      (_req, _res, next) => next(),
      (req, res) => res.json(json(req.auth.session.user.sub)),
    );
    return expressListen(app);
  },

  async 'express-noop-bearer'() {
    const app = await expressApp();
    const bearer = { sub: 'anonymous' };
    app.get(
      '/api/hello',
      (req, _res, next) => {
        req.bearer = bearer;
        next();
      },
      (req, res) => res.json(json(req.bearer.sub)),
    );
    return expressListen(app);
  },

  async 'fastify-bare'() {
    const app = await fastifyApp();
    app.get('/api/hello', async () => json('anonymous'));
    return fastifyListen(app);
  },

  async 'fastify-latchkey-cookie'() {
    const { createLatchkey } = await import('@latchkey/core');
    const { latchkeyPlugin, requireAuth } = await import('@latchkey/fastify');
    const app = await fastifyApp();
    await app.register(latchkeyPlugin, {
      latchkey: createLatchkey({
        issuer: config.issuer,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        baseUrl,
        secrets: [config.secret],
      }),
    });
    app.get('/api/hello', { preHandler: requireAuth() }, async (request) =>
      json(request.auth.session.user.sub),
    );
    return fastifyListen(app);
  },

  // Fastify's floors for latchkey's shapes, as for Express: a no-op `onRequest` hook setting
  // `request.auth` and a no-op `preHandler` guard; a no-op guard setting `request.bearer`.
  async 'fastify-noop-session'() {
    const app = await fastifyApp();
    const auth = { session: { user: { sub: 'anonymous' } } };
    app.decorateRequest('auth');
    app.addHook('onRequest', (request, _reply, done) => {
      request.auth = auth;
      done();
    });
    const guard = (_request, _reply, done) => done();
    app.get('/api/hello', { preHandler: guard }, async (request) =>
      json(request.auth.session.user.sub),
    );
    return fastifyListen(app);
  },

  async 'fastify-noop-bearer'() {
    const app = await fastifyApp();
    const bearer = { sub: 'anonymous' };
    app.decorateRequest('bearer');
    const guard = (request, _reply, done) => {
      request.bearer = bearer;
      done();
    };
    app.get('/api/hello', { preHandler: guard }, async (request) => json(request.bearer.sub));
    return fastifyListen(app);
  },

  async 'fastify-latchkey-bearer-es256'() {
    return latchkeyFastify();
  },

  async 'fastify-latchkey-bearer-rs256'() {
    return latchkeyFastify();
  },

  async 'fastify-jose-es256'() {
    return joseFastify('ES256');
  },

  async 'fastify-jose-rs256'() {
    return joseFastify('RS256');
  },
};

async function verifier() {
  const { createBearerVerifier } = await import('@latchkey/core');
  return createBearerVerifier({
    issuer: config.bearer.issuer,
    audience: config.bearer.audience,
    jwksUri: config.bearer.jwksUri,
  });
}

/** @param {import('@latchkey/core').SessionStore} [store] */
async function latchkeyExpress(store) {
  const { createLatchkey } = await import('@latchkey/core');
  const { latchkey, requireAuth } = await import('@latchkey/express');
  const auth = createLatchkey({
    issuer: config.issuer,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    baseUrl,
    secrets: [config.secret],
    ...(store ? { store } : {}),
  });
  const app = await expressApp();
  app.use(latchkey(auth));
  app.get('/api/hello', requireAuth(), (req, res) => res.json(json(req.auth.session.user.sub)));
  return expressListen(app);
}

/** @param {unknown} [store] an express-session compatible store */
async function eocExpress(store) {
  const { default: eoc } = await import('express-openid-connect');
  const { auth, requiresAuth } = eoc;
  const app = await expressApp();
  app.use(
    auth({
      authRequired: false,
      idpLogout: false,
      issuerBaseURL: config.issuer,
      baseURL: baseUrl,
      clientID: config.clientId,
      clientSecret: config.clientSecret,
      secret: config.secret,
      authorizationParams: {
        response_type: 'code',
        scope: 'openid profile email offline_access',
      },
      ...(store ? { session: { store } } : {}),
    }),
  );
  app.get('/api/hello', requiresAuth(), (req, res) => res.json(json(req.oidc.user.sub)));
  return expressListen(app);
}

/**
 * The smallest express-session compatible store on ioredis (`get`, `set`, `destroy` with
 * callbacks), as express-openid-connect's `session.store` takes.
 */
class IoredisSessionStore {
  /** @param {import('ioredis').Redis} client @param {string} prefix */
  constructor(client, prefix) {
    this.client = client;
    this.prefix = prefix;
  }

  /** @param {string} id @param {(error: unknown, session?: unknown) => void} callback */
  get(id, callback) {
    this.client.get(this.prefix + id).then(
      (value) => callback(null, value ? JSON.parse(value) : null),
      (error) => callback(error),
    );
  }

  /** @param {string} id @param {{ cookie?: { expires?: number } }} session @param {(error?: unknown) => void} callback */
  set(id, session, callback) {
    const expires = Number(session.cookie?.expires);
    const ttl = Number.isFinite(expires) ? Math.ceil((expires - Date.now()) / 1000) : 86400;
    this.client
      .set(this.prefix + id, JSON.stringify(session), 'EX', Math.max(1, ttl))
      .then(() => callback(), callback);
  }

  /** @param {string} id @param {(error?: unknown) => void} callback */
  destroy(id, callback) {
    this.client.del(this.prefix + id).then(() => callback(), callback);
  }
}

async function fastifyApp() {
  const { default: Fastify } = await import('fastify');
  return Fastify({ logger: false });
}

async function latchkeyFastify() {
  const { requireBearer } = await import('@latchkey/fastify');
  const app = await fastifyApp();
  const guard = requireBearer(await verifier(), { scopes: [config.bearer.scope] });
  app.get('/api/hello', { preHandler: guard }, async (request) => json(request.bearer.sub));
  return fastifyListen(app);
}

/**
 * The floor of an uncached verifier: jose's `jwtVerify` against `createRemoteJWKSet` on every
 * request, with the same checks (issuer, audience, algorithm, typ, scope).
 * @param {'ES256' | 'RS256'} alg
 */
async function joseFastify(alg) {
  const { createRemoteJWKSet, jwtVerify } = await import('jose');
  const keys = createRemoteJWKSet(new URL(config.bearer.jwksUri));
  const app = await fastifyApp();
  const unauthorized = (reply) =>
    reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'invalid_token' });
  app.get(
    '/api/hello',
    {
      async onRequest(request, reply) {
        const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '');
        if (!match) return unauthorized(reply);
        try {
          const { payload } = await jwtVerify(match[1], keys, {
            issuer: config.bearer.issuer,
            audience: config.bearer.audience,
            algorithms: [alg],
            typ: 'at+jwt',
            requiredClaims: ['exp'],
          });
          if (
            !String(payload.scope ?? '')
              .split(' ')
              .includes(config.bearer.scope)
          )
            return reply.code(403).send({ error: 'insufficient_scope' });
          request.user = payload;
        } catch {
          return unauthorized(reply);
        }
      },
    },
    async (request) => json(request.user.sub),
  );
  return fastifyListen(app);
}

/** @param {import('express').Express} app */
function expressListen(app) {
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        const server = app.listen(config.port, '127.0.0.1', (error) =>
          error ? reject(error) : resolve(),
        );
        closers.push(() => new Promise((done) => server.close(() => done(undefined))));
      }),
  };
}

/** @param {import('fastify').FastifyInstance} app */
function fastifyListen(app) {
  closers.push(() => app.close());
  return { listen: () => app.listen({ port: config.port, host: '127.0.0.1' }).then(() => {}) };
}

/**
 * The control listener (bench only): `/stats` (memory, CPU), `/gc` (runs `gc()` twice, then
 * `/stats`), `/profile/start?interval=<µs>` and `/profile/stop?file=<path>` (a V8 CPU profile of
 * just the window between them, written as a .cpuprofile).
 */
function control() {
  /** @type {Session | undefined} */
  let inspector;
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      inspector.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  const server = createServer(async (req, res) => {
    res.setHeader('content-type', 'application/json');
    const url = new URL(req.url, 'http://control');
    try {
      if (url.pathname === '/profile/start') {
        inspector = new Session();
        inspector.connect();
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', {
          interval: Number(url.searchParams.get('interval') ?? 250),
        });
        await post('Profiler.start');
        res.end('{}');
        return;
      }
      if (url.pathname === '/profile/stop') {
        const { profile } = await post('Profiler.stop');
        inspector.disconnect();
        inspector = undefined;
        writeFileSync(url.searchParams.get('file'), JSON.stringify(profile));
        res.end('{}');
        return;
      }
      if (url.pathname === '/gc') {
        if (typeof globalThis.gc !== 'function')
          throw new Error('start the server with --expose-gc');
        globalThis.gc();
        globalThis.gc();
      }
      const memory = process.memoryUsage();
      res.end(
        JSON.stringify({
          rss: memory.rss,
          heapUsed: memory.heapUsed,
          external: memory.external,
          arrayBuffers: memory.arrayBuffers,
          maxRss: process.resourceUsage().maxRSS * 1024,
          cpu: process.cpuUsage(),
        }),
      );
    } catch (error) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: String(error) }));
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(server.address().port)),
  );
}

const build = scenarios[config.scenario];
if (!build) {
  console.error(`unknown scenario ${config.scenario}`);
  process.exit(2);
}
const app = await build();
await app.listen();
const controlPort = await control();
process.stdout.write(`READY ${config.port} ${controlPort}\n`);

process.on('SIGTERM', async () => {
  await Promise.allSettled(closers.map((close) => close()));
  process.exit(0);
});
