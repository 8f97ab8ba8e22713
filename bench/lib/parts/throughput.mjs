// Throughput: every scenario's server at once, a warm-up each, then interleaved measured rounds
// (README.md, Throughput scenarios).
import { credentialsFor, sanityCheck } from '../credentials.mjs';
import { createBudget, measure } from '../measure.mjs';
import { control } from '../processes.mjs';
import { usesSession } from '../scenarios.mjs';
import { fixed } from '../stats.mjs';

/**
 * @typedef {import('../processes.mjs').RunningServer} RunningServer
 * @param {import('./index.mjs').RunContext} context
 */
export async function runThroughput(context) {
  const { options, settings, scenarios, environment, processes, log } = context;
  /** @type {Map<string, RunningServer>} servers by scenario id (shared by `server`) */
  const servers = new Map();
  for (const scenario of scenarios.filter((s) => !s.server)) {
    servers.set(
      scenario.id,
      await processes.startServer(scenario, environment.serverConfig(scenario)),
    );
  }
  for (const scenario of scenarios.filter((s) => s.server))
    servers.set(scenario.id, servers.get(scenario.server));
  log(`${new Set(servers.values()).size} servers started`);
  /** @type {Map<string, Array<Record<string, string>>>} */
  const rotations = new Map();
  const refreshCredentials = async () => {
    for (const scenario of scenarios.filter((s) => !s.credentialFrom)) {
      if (!rotations.has(scenario.id) || usesSession(scenario))
        rotations.set(
          scenario.id,
          await credentialsFor(servers.get(scenario.id), environment.tokens, settings.sessions),
        );
    }
    for (const scenario of scenarios.filter((s) => s.credentialFrom))
      rotations.set(scenario.id, rotations.get(scenario.credentialFrom) ?? [{}]);
  };
  await refreshCredentials();
  for (const scenario of scenarios)
    await sanityCheck(servers.get(scenario.id), rotations.get(scenario.id));
  log('sanity checks passed (200 with credentials, refused without)');

  for (const scenario of scenarios) {
    log(`warm-up ${scenario.id} (${settings.warmup} s)`);
    await measure(context, servers.get(scenario.id), rotations.get(scenario.id), settings.warmup);
  }
  const budget = createBudget(options.retries, options.calmWait);
  /** @type {Record<string, any[]>} */
  const runs = Object.fromEntries(scenarios.map((s) => [s.id, []]));
  for (let round = 0; round < settings.runs; round++) {
    await refreshCredentials();
    // Rotate the order each round, so that drift on the machine spreads over every scenario.
    const order = scenarios.map((_, index) => scenarios[(index + round) % scenarios.length]);
    for (const scenario of order) {
      const result = await measure(
        context,
        servers.get(scenario.id),
        rotations.get(scenario.id),
        settings.duration,
        { label: scenario.id, budget },
      );
      runs[scenario.id].push({ ...result, round });
      log(
        `round ${round + 1}/${settings.runs} ${scenario.id}: ${fixed(result.rps)} req/s, p99 ${fixed(result.p99, 2)} ms, CPU server ${fixed(100 * result.serverCpu)}% client ${fixed(100 * result.clientCpu)}% others ${fixed(100 * result.foreign0)}%/${fixed(100 * result.foreign1)}%${result.non2xx || result.errors ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : ''}`,
      );
    }
  }
  /** @type {Record<string, { runs: any[], maxRss?: number }>} */
  const throughput = {};
  for (const scenario of scenarios) {
    const final = await control(servers.get(scenario.id));
    throughput[scenario.id] = {
      runs: runs[scenario.id],
      maxRss: scenario.server ? undefined : final.maxRss,
    };
  }
  for (const server of new Set(servers.values())) await processes.stopServer(server);
  const retries = budget.retries.limit - budget.retries.left;
  const waited = budget.calmWait.limit - budget.calmWait.left;
  return {
    throughput,
    jwksFetches: environment.issuer.fetches(),
    notes: options.quick
      ? []
      : [
          `Shared machine: ${retries} measured runs were repeated because other processes took more than 10% of core 0 during them, and ${fixed(waited, 0)} s were spent waiting for a calm core 0 before runs.`,
        ],
  };
}
