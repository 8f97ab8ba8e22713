import fc from 'fast-check';

/** Inputs per property: 1,000 in `npm test`; `pnpm fuzz` sets `LATCHKEY_FUZZ_RUNS=100000`. */
export function fuzzRuns(): number {
  const runs = Number(process.env.LATCHKEY_FUZZ_RUNS ?? 1000);
  return Number.isInteger(runs) && runs > 0 ? runs : 1000;
}

/** Longest one input may keep a parser busy (timed twice before it counts as a hang). */
const SLOW_MS = 100;

/**
 * Checks that `check` holds for `fuzzRuns()` inputs of `input`, each within 100 ms: an input slower
 * than that is timed once more, so a pause of the test process alone fails nothing. With
 * `LATCHKEY_FUZZ_SEED` and `LATCHKEY_FUZZ_PATH` it replays one failure. A failure throws with the
 * counterexample, its seed and the command that replays it.
 */
export async function fuzz<T>(
  name: string,
  input: fc.Arbitrary<T>,
  check: (value: T) => Promise<void> | void,
): Promise<void> {
  const timed = async (value: T) => {
    const start = performance.now();
    await check(value);
    return performance.now() - start;
  };
  const seed = process.env.LATCHKEY_FUZZ_SEED;
  const path = process.env.LATCHKEY_FUZZ_PATH;
  const details = await fc.check(
    fc.asyncProperty(input, async (value) => {
      if ((await timed(value)) > SLOW_MS && (await timed(value)) > SLOW_MS) {
        throw new Error(`one input took over ${SLOW_MS} ms, twice`);
      }
    }),
    {
      numRuns: fuzzRuns(),
      ...(seed === undefined ? {} : { seed: Number(seed) }),
      ...(path === undefined ? {} : { path, endOnFailure: true }),
    },
  );
  if (details.failed) {
    throw new Error(
      `${name}: ${fc.defaultReportMessage(details)}\nReplay it: LATCHKEY_FUZZ_SEED=${details.seed} LATCHKEY_FUZZ_PATH=${details.counterexamplePath} pnpm fuzz -t ${JSON.stringify(name)}`,
    );
  }
}

/** Text as an attacker sends it: any code units, and the separators parsers split on. */
export function hostileText(separators: readonly string[] = []): fc.Arbitrary<string> {
  const pieces = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.constantFrom(...separators, '=', ';', ',', ' ', '"', '\\', '%', '\u0000', '\uFFFD', '.'),
  );
  return fc.array(pieces, { maxLength: 16 }).map((parts) => parts.join(''));
}
