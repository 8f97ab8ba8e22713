// CPU profiles: latchkey's servers and the bare routes alone again, a V8 CPU profile of one run
// under load each (README.md, CPU profiles), kept in profiles/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { credentialsFor } from '../credentials.mjs';
import { measure } from '../measure.mjs';
import { BENCH_DIR, control } from '../processes.mjs';
import { summarize } from '../profile.mjs';
import { PROFILED } from '../scenarios.mjs';

/** @param {import('./index.mjs').RunContext} context */
export async function runProfiles(context) {
  const { settings, scenarios, environment, processes, log } = context;
  const dir = join(BENCH_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  /** @type {Record<string, object>} */
  const profiles = {};
  for (const scenario of scenarios.filter((s) => PROFILED.includes(s.id))) {
    const server = await processes.startServer(scenario, environment.serverConfig(scenario));
    try {
      const rotation = await credentialsFor(server, environment.tokens, settings.sessions);
      log(`profiling ${scenario.id} (${settings.profileSeconds} s under load, after a warm-up)`);
      await measure(context, server, rotation, settings.warmup);
      const file = join(dir, `${scenario.id}.cpuprofile`);
      await control(server, '/profile/start?interval=250');
      const result = await measure(context, server, rotation, settings.profileSeconds);
      await control(server, `/profile/stop?file=${encodeURIComponent(file)}`);
      const summary = summarize(JSON.parse(readFileSync(file, 'utf8')));
      const requests = Math.max(1, result.total);
      profiles[scenario.id] = {
        file: relative(BENCH_DIR, file),
        rps: result.rps,
        requests,
        /** µs of CPU per request: the whole process, its main thread (profiled), GC. */
        processUs: (result.serverCpu * result.seconds * 1e6) / requests,
        mainUs: (summary.busyMs * 1000) / requests,
        gcUs: (summary.gcMs * 1000) / requests,
        ...summary,
      };
    } finally {
      await processes.stopServer(server);
    }
  }
  return { profiles };
}
