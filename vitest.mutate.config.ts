import { defineConfig } from 'vitest/config';
import { sourceAliases } from './vitest.shared';

/**
 * The suites that exercise @latchkey/core, in one vitest run, for mutation testing (`pnpm
 * mutate`): core's own tests, the shared adapter suite through Express 5 and Fastify 5, Express's
 * body tests, and the Redis store's suites that run core on top of it. All import core's source
 * through the aliases. Left out, because they run no code of core's that these do not: Express 4
 * (the same suite and adapter as Express 5) and the Redis package's own unit and outage suites.
 */
export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: [
      'packages/core/{src,test}/**/*.test.ts',
      'packages/express/test/**/*.test.ts',
      'packages/fastify/test/**/*.test.ts',
      'packages/redis/test/{express,instances}.test.ts',
    ],
    testNamePattern: /^(?!Express 4)/,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
