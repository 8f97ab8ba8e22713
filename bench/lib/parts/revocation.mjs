// Revocation across instances (issue #18): two processes of the Redis-store server with its read
// cache on, sharing Redis; a session signed in on A and just read on B (so B holds it in memory),
// signed out on A, and B polled until it refuses the cookie (README.md, Revocation across
// instances).
import { request } from 'node:http';
import { credentialsFor } from '../credentials.mjs';
import { freePort } from '../processes.mjs';
import { scenarioById } from '../scenarios.mjs';

const SCENARIO = 'express-latchkey-redis-cached';
/** Longest wait for B to refuse a signed-out session before the sample counts as a failure. */
const GIVE_UP_MS = 5000;

/**
 * One request over a fresh connection (node:http: a browser's navigation, not a script's fetch);
 * resolves its status.
 * @param {string} url @param {{ method?: string, headers?: Record<string, string> }} [init]
 */
function statusOf(url, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const call = request(url, { method, headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    call.on('error', reject);
    call.end();
  });
}

/** @param {import('./index.mjs').RunContext} context */
export async function runRevocation({ options, scenarios, environment, processes, log }) {
  if (!scenarios.some((s) => s.id === SCENARIO)) return {};
  const scenario = scenarioById(SCENARIO);
  const config = environment.serverConfig(scenario);
  const a = await processes.startServer(scenario, config);
  const b = await processes.startServer(scenario, { ...config, port: await freePort() });
  const count = options.quick ? 10 : 100;
  log(`revocation: ${count} sign-outs on instance A, each polled on instance B until refused`);
  const api = (server) => `${server.baseUrl}/api/hello`;
  const json = { accept: 'application/json' };
  /** @type {Array<{ answered: number, refused: number }>} ms from the sign-out's request */
  const samples = [];
  let failures = 0;
  try {
    for (let index = 0; index < count; index++) {
      const [{ cookie }] = await credentialsFor(a, environment.tokens, 1);
      // B reads it twice: the second read is answered from B's memory.
      for (let read = 0; read < 2; read++) {
        const status = await statusOf(api(b), { headers: { ...json, cookie } });
        if (status !== 200) throw new Error(`instance B answered ${status} to a live session`);
      }
      const sent = performance.now();
      const signedOut = await statusOf(`${a.baseUrl}/auth/logout`, {
        method: 'POST',
        headers: { ...json, cookie, origin: a.baseUrl },
      });
      const answered = performance.now() - sent;
      if (signedOut >= 400) throw new Error(`sign-out on instance A answered ${signedOut}`);
      let refused = Number.NaN;
      while (performance.now() - sent < GIVE_UP_MS) {
        if ((await statusOf(api(b), { headers: { ...json, cookie } })) === 401) {
          refused = performance.now() - sent;
          break;
        }
      }
      if (Number.isNaN(refused)) failures += 1;
      else samples.push({ answered, refused });
    }
  } finally {
    await processes.stopServer(a);
    await processes.stopServer(b);
  }
  return { revocation: { scenario: SCENARIO, count, failures, samples } };
}
