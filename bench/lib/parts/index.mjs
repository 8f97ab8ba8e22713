// The parts of a run (README.md), in the order they run. Each takes the run's context and
// resolves its slice of the results: `{ throughput, jwksFetches, notes }`, `{ profiles }`,
// `{ revocation }`, `{ memory }`, `{ micro }`, `{ cold }`, `{ size }`.
import { runCold } from './cold.mjs';
import { runMemory } from './memory.mjs';
import { runMicro } from './micro.mjs';
import { runProfiles } from './profile.mjs';
import { runRevocation } from './revocation.mjs';
import { runSizes } from './size.mjs';
import { runThroughput } from './throughput.mjs';

/**
 * @typedef {object} RunContext
 * @property {import('../options.mjs').Options} options
 * @property {import('../options.mjs').Settings} settings
 * @property {import('../scenarios.mjs').Scenario[]} scenarios the throughput scenarios of the run
 * @property {import('../environment.mjs').Environment} environment
 * @property {import('../processes.mjs').ProcessControl} processes
 * @property {(message: string) => void} log
 */

/** @type {Record<string, (context: RunContext) => Promise<Record<string, unknown>>>} */
export const PARTS = {
  throughput: runThroughput,
  profile: runProfiles,
  revocation: runRevocation,
  memory: runMemory,
  micro: runMicro,
  cold: runCold,
  size: runSizes,
};
