// Real credentials for the throughput scenarios: sessions signed in through the dev IdP with each
// relying party's own routes, or the token issuer's access tokens; and the check that each guard
// is really there.
import { Agent } from './agent.mjs';

/** @typedef {import('./processes.mjs').RunningServer} RunningServer */

const USERS = [
  { username: 'alice', password: 'alice-password' },
  { username: 'bob', password: 'bob-password' },
];

/**
 * Signs in once through the dev IdP with the relying party's own routes; resolves the session
 * `Cookie` header.
 * @param {RunningServer} server @param {number} index
 */
async function signIn(server, index) {
  const agent = new Agent();
  const latchkey = server.scenario.credential === 'latchkey';
  const start = latchkey
    ? `${server.baseUrl}/auth/login?returnTo=/api/hello`
    : `${server.baseUrl}/login`;
  const { signInAtDevIdp } = await import('@latchkey/dev-idp');
  const page = await signInAtDevIdp(agent, await agent.get(start), USERS[index % USERS.length]);
  const prefix = latchkey ? 'lk_session' : 'appSession';
  const cookie = agent.cookieHeader(`${server.baseUrl}/api/hello`, (name) =>
    name.startsWith(prefix),
  );
  if (!cookie) {
    throw new Error(
      `signing in at ${server.scenario.id} set no ${prefix} cookie (ended at ${page.status} ${page.url})`,
    );
  }
  return cookie;
}

/**
 * The rotation of per-request headers for a scenario: fresh sessions (signed in now, so a rolling
 * session is never past its touch interval during the run) or the access tokens.
 * @param {RunningServer} server @param {Record<string, string[]>} tokens access tokens by algorithm
 * @param {number} sessions how many sessions to sign in
 */
export async function credentialsFor(server, tokens, sessions) {
  const kind = server.scenario.credential;
  if (!kind) return [{}];
  if (kind === 'ES256' || kind === 'RS256')
    return tokens[kind].map((token) => ({ authorization: `Bearer ${token}` }));
  const cookies = await Promise.all(
    Array.from({ length: sessions }, (_, index) => signIn(server, index)),
  );
  return cookies.map((cookie) => ({ cookie }));
}

/**
 * Checks that the guard is really there: 200 with the credential, refused without.
 * @param {RunningServer} server @param {Array<Record<string, string>>} rotation
 */
export async function sanityCheck(server, rotation) {
  const url = `${server.baseUrl}/api/hello`;
  const get = async (headers) => {
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      redirect: 'manual',
    });
    await response.arrayBuffer();
    return response.status;
  };
  for (const headers of rotation.slice(0, 3)) {
    const status = await get(headers);
    if (status !== 200) throw new Error(`${server.scenario.id}: ${status} with credentials`);
  }
  if (server.scenario.credential && rotation.some((headers) => Object.keys(headers).length)) {
    const status = await get({});
    if (status >= 200 && status < 300)
      throw new Error(`${server.scenario.id}: ${status} without credentials`);
  }
}
