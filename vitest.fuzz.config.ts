import { defineConfig } from 'vitest/config';
import { sourceAliases } from './vitest.shared';

/**
 * The property tests of the parsers that read attacker input (`*.fuzz.test.ts`), for `pnpm fuzz`:
 * 100,000 inputs per property unless `LATCHKEY_FUZZ_RUNS` says otherwise. `npm test` runs the
 * same files with 1,000 inputs each, within each package's own suite.
 */
export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: ['packages/*/{src,test}/**/*.fuzz.test.ts'],
    // One file at a time: the 100 ms limit per input is measured on a CPU the run does not share.
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 30_000,
  },
});
