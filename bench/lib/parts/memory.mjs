// Bounded memory: one latchkey bearer verifier fed distinct ES256 tokens, RSS and heap after GC
// at each checkpoint (README.md, Bounded memory); in-process by default, over HTTP with
// `--memory-method=http`.
import { control, freePort } from '../processes.mjs';
import { scenarioById } from '../scenarios.mjs';

/**
 * Cookie sessions through one instance's cache: 1,000 read over and over, then distinct ones up
 * to each checkpoint (lib/memory-sessions.mjs).
 * @param {import('./index.mjs').RunContext} context
 */
async function sessionGrowth({ settings, environment, processes, log }) {
  const { idp, microClient } = environment;
  log(
    `cache growth: ${settings.memoryCheckpoints.map((n) => n.toLocaleString('en-US')).join(' and ')} distinct cookie sessions through authenticate()`,
  );
  return processes.runJson(
    undefined,
    'lib/memory-sessions.mjs',
    {
      BENCH_SESSIONS: JSON.stringify({
        options: {
          issuer: idp.issuer,
          clientId: microClient.clientId,
          clientSecret: microClient.clientSecret,
          baseUrl: `http://127.0.0.1:${microClient.port}`,
          secrets: [microClient.secret],
        },
        hot: 1000,
        passes: 10,
        checkpoints: settings.memoryCheckpoints,
        batch: 10_000,
      }),
    },
    { nodeArgs: ['--expose-gc'], echoStderr: true },
  );
}

/** @param {import('./index.mjs').RunContext} context */
export async function runMemory(context) {
  const sessions = await sessionGrowth(context);
  return { memory: { ...(await tokenMemory(context)), sessions } };
}

/** @param {import('./index.mjs').RunContext} context */
async function tokenMemory({ options, settings, environment, processes, log }) {
  const method = options.memoryMethod;
  const { issuer, bearer } = environment;
  const counts = settings.memoryCheckpoints.map((n) => n.toLocaleString('en-US')).join(' and ');
  const measured = {
    issuer: issuer.issuer,
    key: issuer.keys.ES256,
    checkpoints: settings.memoryCheckpoints,
    warmup: settings.memoryWarmup,
  };
  if (method === 'verify') {
    log(`memory check: ${counts} distinct ES256 tokens through verifier.verify(), in-process`);
    const result = await processes.runJson(
      undefined,
      'lib/memory-verify.mjs',
      { BENCH_MEMORY: JSON.stringify({ ...measured, jwksUri: issuer.jwksUri, batch: 10_000 }) },
      { nodeArgs: ['--expose-gc'], echoStderr: true },
    );
    return { ...result, method };
  }
  // Not a throughput measurement: server and client share both cores, to make it affordable.
  const scenario = scenarioById('fastify-latchkey-bearer-es256');
  const server = await processes.startServer(
    scenario,
    { port: await freePort(), bearer },
    { cores: '0,1' },
  );
  log(`memory check: ${counts} requests with distinct ES256 tokens to ${scenario.id}`);
  try {
    const result = await processes.runJson(
      undefined,
      'lib/memory-load.mjs',
      {
        BENCH_MEMORY: JSON.stringify({
          ...measured,
          url: `${server.baseUrl}/api/hello`,
          controlUrl: server.controlUrl,
          connections: settings.connections,
          batch: 20_000,
        }),
      },
      { echoStderr: true },
    );
    const final = await control(server);
    return { ...result, maxRss: final.maxRss, scenario: scenario.id, method };
  } finally {
    await processes.stopServer(server);
  }
}
