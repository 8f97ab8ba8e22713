// Sessions signed in through the dev IdP with latchkey's own routes, served in this process for
// the occasion (the micro-benchmarks and the cache-growth check need real sealed cookies).
import { createServer } from 'node:http';
import { createLatchkey, toWebRequest } from '@latchkey/core';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import { Agent } from './agent.mjs';

/**
 * Signs `count` sessions in (alice and bob in turn) at `options.baseUrl`, whose callback the dev
 * IdP knows; resolves each session's `Cookie` header.
 * @param {import('@latchkey/core').LatchkeyOptions} options @param {number} count
 * @returns {Promise<string[]>}
 */
export async function signInLocally(options, count) {
  const auth = createLatchkey(options);
  const baseUrl = String(options.baseUrl);
  const server = createServer(async (req, res) => {
    const response = (await auth.handle(toWebRequest(req, new URL(baseUrl)))) ?? new Response('ok');
    res.statusCode = response.status;
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') res.setHeader(name, value);
    });
    res.setHeader('set-cookie', response.headers.getSetCookie());
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  const { port } = new URL(baseUrl);
  await new Promise((resolve) =>
    server.listen(Number(port), '127.0.0.1', () => resolve(undefined)),
  );
  const cookies = [];
  try {
    for (let index = 0; index < count; index++) {
      const agent = new Agent();
      const user = index % 2 ? 'bob' : 'alice';
      await signInAtDevIdp(agent, await agent.get(`${baseUrl}/auth/login?returnTo=/`), {
        username: user,
        password: `${user}-password`,
      });
      cookies.push(agent.cookieHeader(`${baseUrl}/`, (name) => name.startsWith('lk_session')));
    }
  } finally {
    server.close();
  }
  if (cookies.some((cookie) => !cookie)) throw new Error('a sign-in produced no session cookie');
  return cookies;
}
