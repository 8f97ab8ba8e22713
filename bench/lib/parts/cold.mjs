// Cold paths: the callback and a refresh, latchkey against express-openid-connect
// (lib/cold-paths.mjs, pinned to core 0), with a dev IdP of their own whose access tokens live 30 s,
// so that every refresh goes to the IdP (README.md, Cold paths).
import { register } from '../environment.mjs';

/** @param {import('./index.mjs').RunContext} context */
export async function runCold({ options, processes, log }) {
  const clients = { latchkey: await register('cold-latchkey'), eoc: await register('cold-eoc') };
  const { startDevIdp } = await import('@latchkey/dev-idp');
  const idp = await startDevIdp({
    ttl: { accessToken: 30 },
    clients: Object.entries(clients).map(([name, client]) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: [
        `http://127.0.0.1:${client.port}${name === 'latchkey' ? '/auth/callback' : '/callback'}`,
      ],
    })),
  });
  const count = options.quick ? 10 : 50;
  log(`cold paths: ${count} sign-ins and refreshes each, latchkey and express-openid-connect`);
  try {
    const cold = await processes.runJson('0', 'lib/cold-paths.mjs', {
      BENCH_COLD: JSON.stringify({ issuer: idp.issuer, clients, count }),
    });
    return { cold };
  } finally {
    await idp.stop();
  }
}
