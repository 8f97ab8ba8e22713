// What the bench measures and what each row is compared with: the throughput scenarios (one per
// server configuration in servers/server.mjs), the diagnostic rows, the targets of issue #6 and
// the peers' reference figures. Constant data, shared by the parts and the report.

/**
 * @typedef {object} Scenario
 * @property {string} id the server scenario (servers/server.mjs)
 * @property {string} label
 * @property {'express' | 'fastify'} framework
 * @property {string} [baseline] the bare scenario it is compared with
 * @property {'latchkey' | 'eoc' | 'ES256' | 'RS256'} [credential]
 * @property {boolean} [redis]
 * @property {boolean} [latchkey] one of latchkey's own guards
 * @property {string} [server] runs against this scenario's server (default: its own)
 * @property {string} [credentialFrom] sends that scenario's credentials (which this route ignores)
 */

/** @type {Scenario[]} */
export const SCENARIOS = [
  { id: 'express-bare', label: 'Express 5: bare route', framework: 'express' },
  {
    id: 'express-latchkey-cookie',
    label: 'Express: latchkey `requireAuth()`, stateless cookie session',
    framework: 'express',
    baseline: 'express-bare',
    credential: 'latchkey',
    latchkey: true,
  },
  {
    id: 'express-eoc-cookie',
    label: 'Express: express-openid-connect `requiresAuth()`, cookie session',
    framework: 'express',
    baseline: 'express-bare',
    credential: 'eoc',
  },
  {
    id: 'express-latchkey-redis',
    label: 'Express: latchkey `requireAuth()`, `RedisSessionStore`',
    framework: 'express',
    baseline: 'express-bare',
    credential: 'latchkey',
    redis: true,
    latchkey: true,
  },
  {
    id: 'express-latchkey-redis-cached',
    label: 'Express: latchkey `requireAuth()`, `RedisSessionStore` with `cache: true`',
    framework: 'express',
    baseline: 'express-bare',
    credential: 'latchkey',
    redis: true,
    latchkey: true,
  },
  {
    id: 'express-eoc-redis',
    label: 'Express: express-openid-connect `requiresAuth()`, ioredis store',
    framework: 'express',
    baseline: 'express-bare',
    credential: 'eoc',
    redis: true,
  },
  {
    id: 'express-latchkey-bearer-es256',
    label: 'Express: latchkey `requireBearer()`, ES256',
    framework: 'express',
    baseline: 'express-bare',
    credential: 'ES256',
    latchkey: true,
  },
  {
    id: 'express-oauth2-jwt-bearer-es256',
    label: 'Express: express-oauth2-jwt-bearer `auth()`, ES256',
    framework: 'express',
    baseline: 'express-bare',
    credential: 'ES256',
  },
  { id: 'fastify-bare', label: 'Fastify 5: bare route', framework: 'fastify' },
  {
    id: 'fastify-latchkey-cookie',
    label: 'Fastify: latchkey `requireAuth()`, stateless cookie session',
    framework: 'fastify',
    baseline: 'fastify-bare',
    credential: 'latchkey',
    latchkey: true,
  },
  {
    id: 'fastify-latchkey-bearer-es256',
    label: 'Fastify: latchkey `requireBearer()`, ES256',
    framework: 'fastify',
    baseline: 'fastify-bare',
    credential: 'ES256',
    latchkey: true,
  },
  {
    id: 'fastify-latchkey-bearer-rs256',
    label: 'Fastify: latchkey `requireBearer()`, RS256',
    framework: 'fastify',
    baseline: 'fastify-bare',
    credential: 'RS256',
    latchkey: true,
  },
  {
    id: 'fastify-jose-es256',
    label: 'Fastify: `jose.jwtVerify` in `onRequest` (uncached floor), ES256',
    framework: 'fastify',
    baseline: 'fastify-bare',
    credential: 'ES256',
  },
  {
    id: 'express-bare-with-cookie',
    label: 'Express 5: bare route, requests carrying a latchkey session cookie (ignored)',
    framework: 'express',
    baseline: 'express-bare',
    server: 'express-bare',
    credentialFrom: 'express-latchkey-cookie',
  },
  {
    id: 'express-noop-session',
    label:
      "Express 5: floor of `requireAuth()`'s shape (no-op middleware setting `req.auth`, no-op route guard), session cookie sent",
    framework: 'express',
    baseline: 'express-bare',
    credentialFrom: 'express-latchkey-cookie',
  },
  {
    id: 'express-noop-bearer',
    label:
      "Express 5: floor of `requireBearer()`'s shape (no-op route guard setting `req.bearer`), ES256 token sent",
    framework: 'express',
    baseline: 'express-bare',
    credentialFrom: 'express-latchkey-bearer-es256',
  },
  {
    id: 'fastify-bare-with-cookie',
    label: 'Fastify 5: bare route, requests carrying a latchkey session cookie (ignored)',
    framework: 'fastify',
    baseline: 'fastify-bare',
    server: 'fastify-bare',
    credentialFrom: 'fastify-latchkey-cookie',
  },
  {
    id: 'fastify-noop-session',
    label:
      "Fastify 5: floor of `requireAuth()`'s shape (no-op `onRequest` hook setting `request.auth`, no-op `preHandler` guard), session cookie sent",
    framework: 'fastify',
    baseline: 'fastify-bare',
    credentialFrom: 'fastify-latchkey-cookie',
  },
  {
    id: 'fastify-noop-bearer',
    label:
      "Fastify 5: floor of `requireBearer()`'s shape (no-op `preHandler` guard setting `request.bearer`), ES256 token sent",
    framework: 'fastify',
    baseline: 'fastify-bare',
    credentialFrom: 'fastify-latchkey-bearer-es256',
  },
  {
    id: 'fastify-bare-with-token',
    label: 'Fastify 5: bare route, requests carrying an ES256 bearer token (ignored)',
    framework: 'fastify',
    baseline: 'fastify-bare',
    server: 'fastify-bare',
    credentialFrom: 'fastify-latchkey-bearer-es256',
  },
];

/** The scenarios profiled: latchkey's guards, and the bare routes for reference. */
export const PROFILED = [
  'express-bare',
  'express-latchkey-cookie',
  'express-latchkey-redis',
  'express-latchkey-redis-cached',
  'express-latchkey-bearer-es256',
  'fastify-bare',
  'fastify-noop-session',
  'fastify-latchkey-cookie',
  'fastify-latchkey-bearer-es256',
];

const SAME_HEADERS = 'the bare route with the same request headers, credential ignored';

/**
 * Per target scenario, the diagnostic rows of the same run that show what its requests cost
 * without latchkey; `floor` marks Express's floor for latchkey's middleware shape.
 * @type {Record<string, Array<{ id: string, what: string, floor?: boolean }>>}
 */
export const DIAGNOSTICS = {
  'express-latchkey-cookie': [
    { id: 'express-bare-with-cookie', what: SAME_HEADERS },
    {
      id: 'express-noop-session',
      what: "Express's floor for this shape, no-op middleware and guard",
      floor: true,
    },
  ],
  'express-latchkey-redis-cached': [
    {
      id: 'express-noop-session',
      what: "Express's floor for this shape, no-op middleware and guard (sent the sealed cookie, not a session id)",
      floor: true,
    },
  ],
  'express-latchkey-redis': [
    {
      id: 'express-noop-session',
      what: "Express's floor for this shape, no-op middleware and guard (sent the sealed cookie, not a session id)",
      floor: true,
    },
  ],
  'express-latchkey-bearer-es256': [
    {
      id: 'express-noop-bearer',
      what: "Express's floor for this shape, a no-op guard, same headers",
      floor: true,
    },
  ],
  'fastify-latchkey-cookie': [
    { id: 'fastify-bare-with-cookie', what: SAME_HEADERS },
    {
      id: 'fastify-noop-session',
      what: "Fastify's floor for this shape, no-op hook and guard",
      floor: true,
    },
  ],
  'fastify-latchkey-bearer-es256': [
    { id: 'fastify-bare-with-token', what: SAME_HEADERS },
    {
      id: 'fastify-noop-bearer',
      what: "Fastify's floor for this shape, a no-op guard, same headers",
      floor: true,
    },
  ],
  'fastify-latchkey-bearer-rs256': [
    { id: 'fastify-bare-with-token', what: SAME_HEADERS },
    {
      id: 'fastify-noop-bearer',
      what: "Fastify's floor for this shape, a no-op guard, same headers",
      floor: true,
    },
  ],
};

/**
 * The throughput targets (issue #18, which keeps those of issue #6 that it does not raise): each
 * row's ratio to the bare route of its framework, or with `floor`, to that floor row, both paired
 * round by round, at least `min`.
 * @type {Array<{ name: string, scenarios: string[], min: number, floor?: string }>}
 */
export const TARGETS = [
  {
    name: 'Fastify session route ≥ 0.85× bare Fastify',
    scenarios: ['fastify-latchkey-cookie'],
    min: 0.85,
  },
  {
    name: 'Fastify session route ≥ 0.95× its floor row',
    scenarios: ['fastify-latchkey-cookie'],
    min: 0.95,
    floor: 'fastify-noop-session',
  },
  {
    name: 'Fastify bearer route ≥ 0.90× bare Fastify',
    scenarios: ['fastify-latchkey-bearer-es256', 'fastify-latchkey-bearer-rs256'],
    min: 0.9,
  },
  {
    name: 'Express session route ≥ 0.95× its floor row',
    scenarios: ['express-latchkey-cookie'],
    min: 0.95,
    floor: 'express-noop-session',
  },
  {
    name: 'Express bearer route ≥ 0.95× its floor row',
    scenarios: ['express-latchkey-bearer-es256'],
    min: 0.95,
    floor: 'express-noop-bearer',
  },
  {
    name: 'Express session in Redis ≥ 0.80× bare Express',
    scenarios: ['express-latchkey-redis-cached', 'express-latchkey-redis'],
    min: 0.8,
  },
];

/** Every latchkey row's p99 latency, at most this many times its bare route's, paired by round. */
export const P99_TARGET = 1.3;

export const PEER_REFERENCES = [
  { scenario: 'express-eoc-cookie', name: 'express-openid-connect', ratio: 0.28, addedUs: 258 },
  {
    scenario: 'express-oauth2-jwt-bearer-es256',
    name: 'express-oauth2-jwt-bearer',
    ratio: 0.51,
    addedUs: 97,
  },
  { scenario: 'fastify-jose-es256', name: 'Fastify + jose.jwtVerify', ratio: 0.18, addedUs: 67 },
];

/** @param {string} id @returns {Scenario | undefined} */
export const scenarioById = (id) => SCENARIOS.find((scenario) => scenario.id === id);

/** Whether the scenario's credential is a session signed in through the dev IdP. */
export const usesSession = (scenario) =>
  scenario.credential === 'latchkey' || scenario.credential === 'eoc';

/**
 * The scenarios of a run, in table order: those named by `--scenarios` (all by default), without
 * the Redis ones when Redis is unreachable, and without a diagnostic row whose server or
 * credentials come from a scenario left out.
 * @param {{ redis: boolean, only?: string[] }} choice @returns {Scenario[]}
 */
export function selectScenarios({ redis, only }) {
  const selected = SCENARIOS.filter(
    (scenario) => (redis || !scenario.redis) && (!only || only.includes(scenario.id)),
  );
  return selected.filter((scenario) =>
    [scenario.server, scenario.credentialFrom].every(
      (id) => !id || selected.some((other) => other.id === id),
    ),
  );
}
