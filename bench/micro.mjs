// Micro-benchmarks (mitata, in-process; the orchestrator starts this with `taskset -c 0`):
// latchkey's session read, unseal and re-seal through the public `authenticate()`, seal and unseal
// of 1, 4, 8 and 12 KB sessions, `authenticate()` as the session cookie grows to 12 KB, `can()` and
// `permissionsFor()` over 10 to 1,000 permissions, the bearer verifier cold, uncached and warm,
// serial and 64 concurrent, next to jose's `jwtVerify`, and as the JWKS grows to 100 keys.
// Configured by BENCH_MICRO (JSON); prints one JSON line.
import { createServer } from 'node:http';
import { can, createBearerVerifier, createLatchkey, Keyring, permissionsFor } from '@latchkey/core';
import { createLocalJWKSet, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { bench, do_not_optimize, run } from 'mitata';
import { signInLocally } from './lib/local-sign-in.mjs';
import { AUDIENCE, fastMinter, REQUIRED_SCOPE } from './lib/tokens.mjs';

/**
 * @typedef {object} MicroConfig
 * @property {string} issuer the dev IdP
 * @property {string} clientId
 * @property {string} clientSecret
 * @property {string} secret
 * @property {number} port for the sign-in listener (registered at the dev IdP)
 * @property {{ issuer: string, jwksUri: string, keys: Record<string, import('./lib/tokens.mjs').SigningKey> }} bearer
 * @property {number} sessions distinct sessions to sign in
 */

/** @type {MicroConfig} */
const config = JSON.parse(process.env.BENCH_MICRO ?? '{}');
const baseUrl = `http://127.0.0.1:${config.port}`;
const options = {
  issuer: config.issuer,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  baseUrl,
  secrets: [config.secret],
};
const auth = createLatchkey(options);

const cookies = await signInLocally(options, config.sessions);

const requestWith = (cookie) =>
  new Request(`${baseUrl}/api/hello`, { headers: { cookie, accept: 'application/json' } });
const requests = cookies.map(requestWith);
const sink = () => {};
const check = async (instance, request) => {
  const context = await instance.authenticate(request, sink);
  if (!context.session) throw new Error(`no session: ${context.problem?.code}`);
  return context;
};
await check(auth, requests[0]);

// A clock past the touch interval: authenticate() re-seals the session (what a rolling session
// costs once per touch interval). A new instance each time, so no cache of any kind is involved.
const laterOptions = { ...options, now: () => Date.now() + 301_000 };
let resealed = 0;
await createLatchkey(laterOptions).authenticate(requests[0], () => {
  resealed += 1;
});
if (resealed !== 1) throw new Error('the touched session was not re-sealed');

// Bearer tokens: a warm set, and a pool of distinct tokens twice the size of a verifier's cache,
// cycled in order, so that every verify() of it misses the (FIFO) cache.
const UNCACHED_POOL = 2000;
const CACHE = 1000;
const verifierOptions = {
  issuer: config.bearer.issuer,
  audience: AUDIENCE,
  jwksUri: config.bearer.jwksUri,
};
const tokens = {};
for (const alg of ['ES256', 'RS256']) {
  const mint = fastMinter(config.bearer.issuer, config.bearer.keys[alg]);
  tokens[alg] = Array.from({ length: UNCACHED_POOL }, (_, index) => mint(index));
}
const requirement = { scopes: [REQUIRED_SCOPE] };
const warm = createBearerVerifier(verifierOptions);
const uncached = createBearerVerifier({ ...verifierOptions, cacheSize: CACHE });
for (const alg of ['ES256', 'RS256']) {
  for (const token of tokens[alg].slice(0, 64)) await warm.verify(token, requirement);
}
const localKeys = createLocalJWKSet({
  keys: [config.bearer.keys.ES256.publicJwk, config.bearer.keys.RS256.publicJwk],
});
const remoteKeys = createRemoteJWKSet(new URL(config.bearer.jwksUri));
const joseOptions = { issuer: config.bearer.issuer, audience: AUDIENCE, typ: 'at+jwt' };
await jwtVerify(tokens.ES256[0], remoteKeys, joseOptions);

let cursor = 0;
const nextOf = (list) => list[cursor++ % list.length];
const batchOf = (list) => Array.from({ length: 64 }, () => nextOf(list));

/** @type {Array<{ name: string, group: string, per?: number }>} */
const meta = [];
/** @param {string} group @param {string} name @param {() => unknown} fn @param {number} [per] ops per call */
const add = (group, name, fn, per = 1) => {
  meta.push({ name, group, per });
  bench(name, fn);
};

add('session', 'authenticate(): cookie session read (same cookie)', async () =>
  do_not_optimize(await auth.authenticate(requests[0], sink)),
);
add(
  'session',
  `authenticate(): cookie session read (${cookies.length} sessions in rotation)`,
  async () => do_not_optimize(await auth.authenticate(nextOf(requests), sink)),
);
add('session', 'authenticate(): fresh Request + cookie session read', async () =>
  do_not_optimize(await auth.authenticate(requestWith(nextOf(cookies)), sink)),
);
add('session', 'createLatchkey() alone (part of the two cold rows below)', () =>
  do_not_optimize(createLatchkey(options)),
);
add('session', 'cold: new instance + authenticate() (unseal, nothing cached)', async () =>
  do_not_optimize(await createLatchkey(options).authenticate(nextOf(requests), sink)),
);
add(
  'session',
  'cold + re-seal: new instance, clock 301 s ahead + authenticate() (unseal and seal)',
  async () =>
    do_not_optimize(await createLatchkey(laterOptions).authenticate(nextOf(requests), sink)),
);

for (const alg of ['ES256', 'RS256']) {
  add('bearer', `verify() warm (cached token), serial, ${alg}`, async () =>
    do_not_optimize(await warm.verify(tokens[alg][cursor++ % 64], requirement)),
  );
  add('bearer', `verify() uncached (distinct tokens, keys loaded), serial, ${alg}`, async () =>
    do_not_optimize(await uncached.verify(nextOf(tokens[alg]), requirement)),
  );
  add('bearer', `jose jwtVerify() floor (distinct tokens, local JWKS), serial, ${alg}`, async () =>
    do_not_optimize(await jwtVerify(nextOf(tokens[alg]), localKeys, joseOptions)),
  );
}
add(
  'bearer',
  'verify() warm, 64 concurrent, ES256',
  async () => {
    const batch = Array.from({ length: 64 }, (_, index) => tokens.ES256[index]);
    do_not_optimize(await Promise.all(batch.map((token) => warm.verify(token, requirement))));
  },
  64,
);
add(
  'bearer',
  'verify() uncached, 64 concurrent, ES256',
  async () => {
    do_not_optimize(
      await Promise.all(batchOf(tokens.ES256).map((token) => uncached.verify(token, requirement))),
    );
  },
  64,
);
add(
  'bearer',
  'jose jwtVerify() floor, 64 concurrent, ES256',
  async () => {
    do_not_optimize(
      await Promise.all(
        batchOf(tokens.ES256).map((token) => jwtVerify(token, localKeys, joseOptions)),
      ),
    );
  },
  64,
);
for (const alg of ['ES256', 'RS256']) {
  add('bearer', `verify() cold: new verifier, JWKS fetched over loopback, ${alg}`, async () =>
    do_not_optimize(
      await createBearerVerifier(verifierOptions).verify(tokens[alg][0], requirement),
    ),
  );
}

// How verification grows with the issuer's JWKS: 1, 10 and 100 keys (the signing key last, so
// every other key is passed over), served over loopback; cold (a new verifier fetches and reads
// the set) and uncached (keys loaded, every token new).
const otherKeys = [];
for (let index = 0; index < 99; index++) {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  otherKeys.push({
    ...(await exportJWK(publicKey)),
    kid: `other-${index}`,
    alg: 'ES256',
    use: 'sig',
  });
}
const jwksServer = createServer((req, res) => {
  const size = Number(new URL(req.url, 'http://jwks').searchParams.get('keys'));
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({ keys: [...otherKeys.slice(0, size - 1), config.bearer.keys.ES256.publicJwk] }),
  );
});
await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', () => resolve(undefined)));
const jwksBase = `http://127.0.0.1:${jwksServer.address().port}/jwks`;
for (const size of [1, 10, 100]) {
  const sized = { ...verifierOptions, jwksUri: `${jwksBase}?keys=${size}` };
  const loaded = createBearerVerifier({ ...sized, cacheSize: CACHE });
  await loaded.verify(tokens.ES256[0], requirement);
  add('jwks', `verify() cold: new verifier, JWKS of ${size} keys fetched, ES256`, async () =>
    do_not_optimize(await createBearerVerifier(sized).verify(tokens.ES256[0], requirement)),
  );
  add('jwks', `verify() uncached (keys loaded), JWKS of ${size} keys, ES256`, async () =>
    do_not_optimize(await loaded.verify(nextOf(tokens.ES256), requirement)),
  );
}

// Sealing as a session grows (a cookie session, or a record in a store): what seal and unseal
// cost at 1, 4 and 12 KB of claims and tokens, through the keyring latchkey seals with.
const keyring = new Keyring([config.secret]);
const sealedUntil = Math.floor(Date.now() / 1000) + 3600;
for (const kb of [1, 4, 8, 12]) {
  const value = { claims: 'x'.repeat(kb * 1024) };
  const sealed = await keyring.seal('session', value, sealedUntil);
  add('seal', `seal a ${kb} KB session (JWE dir + A256GCM)`, async () =>
    do_not_optimize(await keyring.seal('session', value, sealedUntil)),
  );
  add('seal', `unseal a ${kb} KB session`, async () =>
    do_not_optimize(await keyring.unseal('session', sealed, Math.floor(Date.now() / 1000))),
  );
}

// How a request's cost grows with its session cookie: the signed-in session as the dev IdP made
// it, then padded (a claim in its ID token) to 4, 8 and 12 KB sealed, in chunks of at most
// 3,800 characters as latchkey writes them; read warm (cached) and cold (a new instance unseals).
const [cookieName, firstSealed] = cookies[0].split('; ')[0].split('=');
const opened = await keyring.unseal('session', firstSealed, Math.floor(Date.now() / 1000));
const sessionCookie = (sealed) => {
  if (sealed.length <= 3800) return `${cookieName}=${sealed}`;
  const parts = [];
  for (let at = 0; at * 3800 < sealed.length; at++)
    parts.push(`${cookieName}.${at}=${sealed.slice(at * 3800, (at + 1) * 3800)}`);
  return parts.join('; ');
};
for (const kb of [0, 4, 8, 12]) {
  const record = structuredClone(opened.value);
  if (kb > 0) {
    const claims = JSON.parse(record.idt.p);
    // Sealing base64url-encodes the record: 4 characters per 3 bytes.
    claims.pad = 'x'.repeat(Math.floor(((kb * 1024 - firstSealed.length) * 3) / 4));
    record.idt.p = JSON.stringify(claims);
  }
  const sealed = await keyring.seal('session', record, opened.expiresAt);
  const request = requestWith(sessionCookie(sealed));
  await check(auth, request);
  const size = `${(sealed.length / 1024).toFixed(1)} KB`;
  add('cookie', `authenticate() warm, ${size} session cookie`, async () =>
    do_not_optimize(await auth.authenticate(request, sink)),
  );
  add('cookie', `authenticate() cold (unseal), ${size} session cookie`, async () =>
    do_not_optimize(await createLatchkey(options).authenticate(request, sink)),
  );
}

// How authorization grows with the policy: a user holding 10, 100 and 1,000 permissions (one
// role each), `can()` for the last of them and for one they lack (both scan every grant), and
// `permissionsFor()`, which builds a session's permissions from its roles.
for (const size of [10, 100, 1000]) {
  const roles = Array.from({ length: size }, (_, index) => `role-${index}`);
  const policy = {
    roles: Object.fromEntries(roles.map((role, index) => [role, [`resource-${index}:read`]])),
  };
  // Frozen, as a session's permissions are.
  const subject = { roles, permissions: Object.freeze(permissionsFor(roles, policy)) };
  add('rbac', `can(), ${size} permissions, the last one held`, () =>
    do_not_optimize(can(subject, `resource-${size - 1}:read`)),
  );
  add('rbac', `can(), ${size} permissions, one not held`, () =>
    do_not_optimize(can(subject, 'elsewhere:write')),
  );
  add('rbac', `permissionsFor(), ${size} roles`, () =>
    do_not_optimize(permissionsFor(roles, policy)),
  );
}

const { benchmarks } = await run({ format: 'quiet', throw: true });
jwksServer.close();
const results = benchmarks.map((trial, index) => {
  const stats = trial.runs[0].stats;
  return {
    ...meta[index],
    avg: stats.avg,
    p50: stats.p50,
    p99: stats.p99,
    min: stats.min,
    max: stats.max,
    samples: stats.samples.length,
  };
});
process.stdout.write(`${JSON.stringify({ results })}\n`);
process.exit(0);
