// One load run against a benchmark server (lib/load.mjs in its own process, pinned to core 1),
// with the CPU the server, the load generator and other processes used meanwhile: the machine is
// shared, so a measured run waits for a calm core 0 and is repeated when others disturbed it.
import { readFileSync } from 'node:fs';
import { control } from './processes.mjs';
import { fixed } from './stats.mjs';

/** Foreign CPU on core 0 above which a measured run is repeated. */
const FOREIGN_LIMIT = 0.1;
/** Repeats of one measured run, at most. */
const MAX_RETRIES = 2;

/**
 * @typedef {import('./processes.mjs').RunningServer} RunningServer
 * @typedef {{ processes: import('./processes.mjs').ProcessControl, settings: { connections: number }, log: (message: string) => void }} MeasureContext
 * @typedef {{ retries: { limit: number, left: number }, calmWait: { limit: number, left: number } }} Budget
 *   what a whole run may spend on repeated runs and on waiting for a calm core 0 (seconds)
 */

/** @param {number} retries @param {number} calmWait seconds @returns {Budget} */
export const createBudget = (retries, calmWait) => ({
  retries: { limit: retries, left: retries },
  calmWait: { limit: calmWait, left: calmWait },
});

/** Busy and total jiffies of each core, from /proc/stat (every process on the machine). */
function coreTimes() {
  try {
    const cores = {};
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+) (.*)$/.exec(line);
      if (!match) continue;
      const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2]
        .split(' ')
        .map(Number);
      const busy = user + nice + system + irq + softirq + steal;
      cores[match[1]] = { busy, total: busy + idle + iowait };
    }
    return cores;
  } catch {
    return undefined;
  }
}

/**
 * One measured (or warm-up) autocannon run against a server, with its CPU use and the CPU that
 * other processes took on the two cores meanwhile ("foreign": the machine is shared).
 * @param {MeasureContext} context @param {RunningServer} server
 * @param {Array<Record<string, string>>} rotation @param {number} seconds
 */
async function measureOnce({ processes, settings }, server, rotation, seconds) {
  const before = await control(server);
  const coresBefore = coreTimes();
  const result = await processes.runJson('1', 'lib/load.mjs', {
    BENCH_LOAD: JSON.stringify({
      url: `${server.baseUrl}/api/hello`,
      connections: settings.connections,
      duration: seconds,
      headers: { accept: 'application/json' },
      rotate: rotation,
    }),
  });
  const coresAfter = coreTimes();
  const after = await control(server);
  const cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  // The server idles while the load process starts: its CPU time is the run's.
  const serverCpu = cpuUs / (result.seconds * 1e6);
  // CPU seconds that other processes used on each core while the load ran (USER_HZ is 100).
  const busySeconds = (core) =>
    coresBefore?.[core] && coresAfter?.[core]
      ? (coresAfter[core].busy - coresBefore[core].busy) / 100
      : Number.NaN;
  const foreign0 = Math.max(0, (busySeconds('0') - cpuUs / 1e6) / result.seconds);
  const foreign1 = Math.max(
    0,
    (busySeconds('1') - result.clientProcessCpuUs / 1e6) / result.seconds,
  );
  return { ...result, serverCpu, foreign0, foreign1 };
}

/**
 * Waits (up to 5 s, within the budget's calm wait) until others use at most 15% of core 0.
 * @param {MeasureContext} context @param {Budget} budget @param {string} label
 */
async function waitForCalm({ log }, budget, label) {
  const sample = async () => {
    const before = coreTimes();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = coreTimes();
    if (!before?.['0'] || !after?.['0']) return 0;
    return (after['0'].busy - before['0'].busy) / Math.max(1, after['0'].total - before['0'].total);
  };
  let busy = await sample();
  let waited = 0;
  while (busy > 0.15 && waited < 5 && budget.calmWait.left > 0) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    waited += 1.4;
    budget.calmWait.left -= 1.4;
    busy = await sample();
  }
  if (waited)
    log(
      `  ${label}: waited ${fixed(waited, 1)} s for core 0 (others now at ${fixed(100 * busy)}%)`,
    );
}

/**
 * A run of `seconds`. Measured runs (with a `label` and the run's budget) first wait briefly for
 * a calm core 0; when other processes still took more than 10% of core 0 during the run, it is
 * repeated (twice at most, within the budget) and the least disturbed attempt kept.
 * @param {MeasureContext} context @param {RunningServer} server
 * @param {Array<Record<string, string>>} rotation @param {number} seconds
 * @param {{ label: string, budget: Budget }} [measured]
 */
export async function measure(context, server, rotation, seconds, measured) {
  if (measured) await waitForCalm(context, measured.budget, measured.label);
  let best = await measureOnce(context, server, rotation, seconds);
  for (let attempt = 0; measured && attempt < MAX_RETRIES; attempt++) {
    const { label, budget } = measured;
    if (budget.retries.left <= 0 || best.foreign0 <= FOREIGN_LIMIT) break;
    budget.retries.left -= 1;
    context.log(
      `  ${label}: others took ${fixed(100 * best.foreign0)}% of core 0, repeating the run`,
    );
    await waitForCalm(context, budget, label);
    const again = await measureOnce(context, server, rotation, seconds);
    again.retried = (best.retried ?? 0) + 1;
    if (again.foreign0 < best.foreign0) best = again;
    else best.retried = again.retried;
  }
  return best;
}
