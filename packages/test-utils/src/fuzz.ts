import fc from 'fast-check';
import { expect } from 'vitest';

/** A positive whole number from the environment, or `fallback`. */
function fromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Inputs per property: 1,000 in `npm test`; `pnpm fuzz` sets `LATCHKEY_FUZZ_RUNS=100000`. */
export function fuzzRuns(): number {
  return fromEnv('LATCHKEY_FUZZ_RUNS', 1000);
}

/**
 * Checks that `check` holds for `fuzzRuns()` inputs of `input`, each answered within
 * `LATCHKEY_FUZZ_SLOW_MS`: 100 ms under `pnpm fuzz`, 1,000 in `npm test`, where other suites share
 * the CPU. An input slower than that is timed once more, so one pause of the process fails
 * nothing. With `LATCHKEY_FUZZ_SEED` and `LATCHKEY_FUZZ_PATH` it replays one failure. A failure
 * throws with the counterexample, its seed and the command that replays it (`name`: the test's
 * own title).
 */
export async function fuzz<T>(
  input: fc.Arbitrary<T>,
  check: (value: T) => Promise<void> | void,
): Promise<void> {
  const name = expect.getState().currentTestName?.split(' > ').at(-1) ?? '';
  const slowMs = fromEnv('LATCHKEY_FUZZ_SLOW_MS', 1000);
  const timed = async (value: T) => {
    const start = performance.now();
    await check(value);
    return performance.now() - start;
  };
  const seed = process.env.LATCHKEY_FUZZ_SEED;
  const path = process.env.LATCHKEY_FUZZ_PATH;
  let runs = 0;
  const details = await fc.check(
    fc.asyncProperty(input, async (value) => {
      // Checks that settle in microtasks alone would starve the event loop for the whole run, and
      // vitest's worker would time out talking to its parent: let I/O in now and then.
      if (++runs % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      if ((await timed(value)) > slowMs && (await timed(value)) > slowMs) {
        throw new Error(`one input took over ${slowMs} ms, twice`);
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
      `${fc.defaultReportMessage(details)}\nFailure: ${String(details.errorInstance)}\nReplay it: LATCHKEY_FUZZ_SEED=${details.seed} LATCHKEY_FUZZ_PATH=${details.counterexamplePath} pnpm fuzz -t ${JSON.stringify(escapeRegExp(name))}`,
    );
  }
}

/** `text` as a regular expression matching it literally (vitest's `-t` takes one). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Text as an attacker sends it: ASCII, any code point, any UTF-16 code unit (lone surrogates too),
 * and the separators parsers split on.
 */
export function hostileText(separators: readonly string[] = []): fc.Arbitrary<string> {
  const pieces = fc.oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 24 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 12 }),
    fc.constantFrom(...separators, '=', ';', ',', ' ', '"', '\\', '%', '\u0000', '\uFFFD', '.'),
  );
  return fc.array(pieces, { maxLength: 16 }).map((parts) => parts.join(''));
}
