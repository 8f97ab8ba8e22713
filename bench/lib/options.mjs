// The command line of run.mjs (README.md, Running): which parts and scenarios run, for how long,
// and where the report goes.

/** Every part, in the order a run takes them. */
const PART_NAMES = ['throughput', 'profile', 'revocation', 'memory', 'micro', 'cold', 'size'];

/**
 * @typedef {object} Options
 * @property {boolean} quick a smoke run (`--quick`)
 * @property {Set<string>} parts the parts to run (`--only`, less `profile` in a quick run unless
 *   `--profile`, or with `--no-profile`)
 * @property {string[] | undefined} scenarios the throughput scenarios named by `--scenarios`
 * @property {number} retries measured runs that may be repeated in the whole run (`--retries`)
 * @property {number} calmWait seconds the run may wait for a calm core 0 (`--calm-wait`)
 * @property {string} memoryMethod `verify` (default) or `http` (`--memory-method`)
 * @property {string} out the report's file name or path, relative to bench/ (`--out`)
 * @property {Settings} settings
 *
 * @typedef {object} Settings the sizes of a run, recorded in its results
 * @property {number} connections
 * @property {number} warmup seconds per scenario
 * @property {number} duration seconds per measured run
 * @property {number} runs measured rounds
 * @property {number} sessions distinct sessions signed in per scenario
 * @property {number} tokens distinct access tokens per algorithm
 * @property {number[]} memoryCheckpoints distinct tokens at which memory is measured
 * @property {number} memoryWarmup distinct tokens before the memory baseline
 * @property {number} profileSeconds length of the profiled run
 */

/** @param {string[]} argv the arguments after the script @returns {Options} */
export function parseOptions(argv) {
  const flag = (name) => argv.includes(`--${name}`);
  const option = (name) => argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const quick = flag('quick');
  const number = (name, full, smoke) => Number(option(name) ?? (quick ? smoke : full));
  return {
    quick,
    parts: new Set(
      (option('only') ?? PART_NAMES.join(','))
        .split(',')
        .filter(
          (part) => !(part === 'profile' && (flag('no-profile') || (quick && !flag('profile')))),
        ),
    ),
    scenarios: option('scenarios')?.split(','),
    retries: number('retries', 10, 0),
    calmWait: number('calm-wait', 60, 0),
    memoryMethod: option('memory-method') ?? 'verify',
    out: option('out') ?? (quick ? 'RESULTS.quick.md' : 'RESULTS.md'),
    settings: {
      connections: 50,
      warmup: number('warmup', 3, 1),
      duration: number('duration', 5, 2),
      runs: number('runs', 7, 2),
      sessions: quick ? 4 : 8,
      tokens: quick ? 32 : 100,
      memoryCheckpoints: quick ? [10_000, 40_000] : [100_000, 1_000_000],
      memoryWarmup: quick ? 1_000 : 2_000,
      profileSeconds: quick ? 2 : 5,
    },
  };
}
