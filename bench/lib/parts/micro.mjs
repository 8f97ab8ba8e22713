// Micro-benchmarks: micro.mjs (mitata) in its own process, pinned to core 0 (README.md,
// Micro-benchmarks).

/** @param {import('./index.mjs').RunContext} context */
export async function runMicro({ settings, environment, processes, log }) {
  const { idp, issuer, microClient } = environment;
  log('micro-benchmarks (mitata)');
  const micro = await processes.runJson(
    '0',
    'micro.mjs',
    {
      BENCH_MICRO: JSON.stringify({
        issuer: idp.issuer,
        clientId: microClient.clientId,
        clientSecret: microClient.clientSecret,
        secret: microClient.secret,
        port: microClient.port,
        sessions: settings.sessions,
        bearer: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, keys: issuer.keys },
      }),
    },
    { nodeArgs: ['--expose-gc'] },
  );
  return { micro };
}
