import { defineConfig } from 'vitest/config';
import { sourceAliases } from './vitest.shared';

/**
 * The suites that exercise @latchkey/core, in one vitest run, for mutation testing (`pnpm
 * mutate`): core's own unit and integration tests, the shared adapter suite with Express's own
 * tests, through Express 5, and the passkey route tests. All import core's source through the aliases. The same shared
 * suite through Express 4 and Fastify, and the Redis suites, run the same core code through other
 * adapters and stores: they would triple the time of a run (every mutant restarts the dev IdP of
 * each suite that reaches it) without reaching a line of core these do not.
 */
export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: [
      'packages/core/{src,test}/**/*.test.ts',
      'packages/express/test/**/*.test.ts',
      // Core's passkey routes, driven through latchkey.fetch with the software authenticator.
      'packages/passkeys/test/**/*.test.ts',
    ],
    // It reads the contract's source text, which Stryker rewrites in place: nothing to kill there.
    // Fuzz properties draw new random inputs each run: a mutant's result must not depend on them.
    exclude: ['packages/core/src/contract.test.ts', '**/*.fuzz.test.ts'],
    testNamePattern: /^(?!Express 4)/,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
