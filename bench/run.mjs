#!/usr/bin/env node
// latchkey's benchmark suite (issue #6). `pnpm bench` at the root builds the packages and runs
// this; `node run.mjs --quick` (in bench/) is a smoke run of a few seconds per scenario.
// See README.md for what each part measures. Writes RESULTS.md (RESULTS.quick.md with --quick)
// and, beside it, the results it was rendered from (RESULTS.json, RESULTS.quick.json).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { probeRedis, startEnvironment } from './lib/environment.mjs';
import { describeMachine, packageVersions } from './lib/machine.mjs';
import { parseOptions } from './lib/options.mjs';
import { PARTS } from './lib/parts/index.mjs';
import { BENCH_DIR, createProcessControl } from './lib/processes.mjs';
import { renderReport } from './lib/report.mjs';
import { selectScenarios } from './lib/scenarios.mjs';
import { fixed } from './lib/stats.mjs';

const options = parseOptions(process.argv.slice(2));
const { settings } = options;
const out = resolve(BENCH_DIR, options.out);
const started = Date.now();
/** @param {string} message */
const log = (message) =>
  process.stderr.write(
    `[bench ${fixed((Date.now() - started) / 1000, 0).padStart(4)}s] ${message}\n`,
  );

const processes = createProcessControl({ log });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    processes.stopAll();
    process.exit(130);
  });
}

/** @type {import('./lib/report.mjs').Results} */
const results = {
  machine: describeMachine({ pinned: processes.pinning }),
  settings,
  quick: options.quick,
  versions: packageVersions(),
  throughput: {},
  profiles: {},
  notes: [],
  elapsed: 0,
};

// The built packages must be there: the bench imports dist/, never the sources.
try {
  await import('@latchkey/core');
  await import('@latchkey/dev-idp');
} catch (error) {
  console.error(
    `The latchkey packages are not built (${error.message}).\nRun \`pnpm exec turbo run build\` at the repository root first, or use \`pnpm bench\`.`,
  );
  process.exit(1);
}

// This process (dev IdP, JWKS server, sign-ins) stays off the servers' core.
processes.pinThisProcess('1');

const redis = await probeRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
if (!redis.available)
  results.notes.push(`Redis at ${redis.url} was unreachable: the Redis scenarios were skipped.`);

log(`${options.quick ? 'quick' : 'full'} run; parts: ${[...options.parts].join(', ')}`);
const scenarios = selectScenarios({ redis: redis.available, only: options.scenarios });
const environment = await startEnvironment({ scenarios, tokens: settings.tokens, redis, log });
const context = { options, settings, scenarios, environment, processes, log };
try {
  for (const [name, run] of Object.entries(PARTS)) {
    if (!options.parts.has(name)) continue;
    const { notes = [], ...part } = await run(context);
    Object.assign(results, part);
    results.notes.push(...notes);
  }
} finally {
  processes.stopAll();
  await environment.stop();
}
results.machine.loadAfter = os.loadavg();
results.elapsed = (Date.now() - started) / 1000;
// RESULTS.md is rendered from exactly what the JSON file holds.
const json = JSON.stringify(results, null, 2);
writeFileSync(out.replace(/(\.md)?$/, '.json'), `${json}\n`);
writeFileSync(out, renderReport(JSON.parse(json)));
log(`wrote ${out} in ${fixed(results.elapsed, 0)} s`);
process.exit(0);
