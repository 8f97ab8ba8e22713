// `npm run demo` after the build: one dev IdP, the demo API (apps/demo-fastify) and the site
// (apps/demo-express) pointed at it, all three in this one process, so that stopping this process
// (Ctrl+C, SIGTERM, or npm going away) stops every server.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** How often the demo checks that the process that started it (npm) is still there. */
const PARENT_CHECK_MS = 500;
/** Longest wait for the servers to close before the demo exits anyway. */
const STOP_TIMEOUT_MS = 3000;

/** A port of the demo that another program holds. */
class PortInUse extends Error {
  constructor(server) {
    super(
      `[latchkey] Port ${server.port} (${server.role}) is already in use: set ${server.variable} to a free port, e.g. ${server.variable}=${server.port + 100} npm run demo`,
    );
  }
}

/** The demo's three ports, each with the environment variable that moves it. */
function demoPorts(env) {
  const port = (variable, fallback, role) => {
    const value = env[variable] ?? String(fallback);
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65_535) {
      throw new Error(
        `[latchkey] ${variable} must be a port number from 1 to 65535, not '${value}'`,
      );
    }
    return { variable, port: Number(value), role };
  };
  return {
    site: port('PORT', 3000, 'the site'),
    api: port('API_PORT', 3001, 'the API'),
    idp: port('DEV_IDP_PORT', 4000, 'the dev IdP'),
  };
}

/** Resolves true when `port` of 127.0.0.1, where every demo server listens, is taken. */
function portInUse(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

/** Runs `start`, turning its EADDRINUSE (a port taken since the check) into {@link PortInUse}. */
async function listening(server, start) {
  try {
    return await start();
  } catch (error) {
    if (error?.code === 'EADDRINUSE') throw new PortInUse(server);
    throw error;
  }
}

/**
 * Starts the demo from the builds under `root` and keeps it running until a signal or until the
 * process that started this one (`parentPid`) is gone.
 *
 * @param {string} root the repository
 * @param {Record<string, string | undefined>} env PORT, API_PORT, DEV_IDP_PORT, SESSION_SECRET,
 *   API_AUDIENCE and whatever else demo-express reads
 * @param {number} parentPid `process.ppid` when the command started
 */
export async function startDemo(root, env, parentPid) {
  const stops = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  let stopping = false;
  const stop = (reason) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[latchkey] ${reason}: stopping the demo.`);
    setTimeout(() => process.exit(0), STOP_TIMEOUT_MS).unref();
    void stopAll().then(() => process.exit(0));
  };
  // Signals sent to `npm run demo` stop at npm's `sh -c` layer; npm's exit re-parents this process.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  setInterval(() => {
    if (process.ppid !== parentPid) stop('the process that started the demo exited');
  }, PARENT_CHECK_MS).unref();

  let ports;
  try {
    ports = demoPorts(env);
    for (const server of Object.values(ports)) {
      if (await portInUse(server.port)) throw new PortInUse(server);
    }
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }

  const built = (path) => import(pathToFileURL(join(root, path)).href);
  const devIdp = await built('packages/dev-idp/dist/index.js');
  const { createApi } = await built('apps/demo-fastify/dist/api.js');
  const site = await built('apps/demo-express/dist/demo.js');

  const siteUrl = `http://localhost:${ports.site.port}`;
  const apiUrl = `http://localhost:${ports.api.port}`;
  const client = { id: 'latchkey-demo', secret: randomBytes(16).toString('base64url') };
  // The site signs step-up assertions (after a passkey step-up) that the API trusts.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stepUpKey = {
    private: privateKey.export({ format: 'jwk' }),
    public: publicKey.export({ format: 'jwk' }),
  };
  // OIDC_CLIENT_AUTH picks how the site authenticates at the IdP, OIDC_PAR=1 turns on pushed
  // authorization requests and OIDC_DPOP=1 DPoP-bound tokens; the IdP registers the client to
  // match, and the API takes DPoP-bound tokens.
  let credentials;
  try {
    credentials = await site.clientSettings({
      ...env,
      OIDC_ISSUER: undefined,
      OIDC_CLIENT_SECRET: client.secret,
    });
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  const { clientAssertionKey } = credentials.options;
  let idp;
  let demo;
  try {
    idp = await listening(ports.idp, () =>
      devIdp.startDevIdp({
        port: ports.idp.port,
        hostname: 'localhost',
        clients: [credentials.register(devIdp.latchkeyClient(siteUrl, client.id, client.secret))],
      }),
    );
    stops.push(() => idp.stop());
    const api = createApi({
      issuer: idp.issuer,
      dpop: credentials.options.dpop === true,
      ...(env.API_AUDIENCE ? { audience: env.API_AUDIENCE } : {}),
      stepUpAssertions: { issuer: siteUrl, keys: { keys: [stepUpKey.public] } },
    });
    stops.push(() => api.close());
    await listening(ports.api, () => api.listen({ port: ports.api.port, host: '127.0.0.1' }));
    demo = await listening(ports.site, () =>
      site.startDemo({
        ...env,
        PORT: String(ports.site.port),
        APP_BASE_URL: siteUrl,
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: client.id,
        OIDC_CLIENT_SECRET: client.secret,
        ...(clientAssertionKey
          ? { OIDC_CLIENT_PRIVATE_KEY: JSON.stringify(clientAssertionKey) }
          : {}),
        SESSION_SECRET: env.SESSION_SECRET || randomBytes(32).toString('base64url'),
        API_URL: apiUrl,
        STEP_UP_ASSERTION_KEY: JSON.stringify(stepUpKey.private),
      }),
    );
    stops.push(() => demo.stop());
  } catch (error) {
    await stopAll();
    if (!(error instanceof PortInUse)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  if (stopping) return;

  const users = devIdp.defaultUsers.map((user) => {
    const roles = Array.isArray(user.claims.roles) ? user.claims.roles : [];
    const label = roles.length === 1 ? 'role' : 'roles';
    return `${user.username} / ${user.password} (${label} ${roles.join(', ')})`;
  });
  const lts = process.release.lts;
  console.log(
    [
      '',
      'latchkey demo',
      `  Site:              ${siteUrl}`,
      `  API:               ${apiUrl}`,
      `  Identity provider: ${idp.issuer}`,
      `  Users:             ${users[0]}`,
      ...users.slice(1).map((user) => `                     ${user}`),
      `  One-time code:     ${devIdp.DEV_OTP} (for step-up to ${devIdp.ACR_MFA})`,
      ...(demo.audit
        ? [
            `  Audit log:         ${resolve(demo.audit.file)}; verify it with`,
            `    pnpm --filter @latchkey/demo-express exec latchkey-audit verify ${resolve(demo.audit.file)} --public-key ${demo.audit.publicKey}`,
          ]
        : []),
      ...(demo.redis
        ? [`  Sessions:          Redis at ${demo.redis.host}, keys under '${demo.redis.prefix}'`]
        : []),
      ...demo.warnings.map((warning) => `  Note: ${warning}`),
      // oidc-provider 9 warns on every Node.js before 22 LTS ("Jod") when it loads.
      ...(typeof lts !== 'string' || lts < 'Jod'
        ? [
            `  Note: oidc-provider's "Unsupported runtime" warning above is expected: the demo is tested on Node.js 20.19+.`,
          ]
        : []),
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
}
