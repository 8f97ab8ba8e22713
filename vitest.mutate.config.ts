import { defineConfig } from 'vitest/config';
import { sourceAliases } from './vitest.shared';

/**
 * Every suite that exercises @latchkey/core, in one vitest run, for mutation testing
 * (`pnpm mutate`): core's own tests, the shared adapter suite through Express and Fastify, and the
 * Redis store's. All of them import core's source through the aliases.
 */
export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: [
      'packages/core/{src,test}/**/*.test.ts',
      'packages/express/test/**/*.test.ts',
      'packages/fastify/test/**/*.test.ts',
      'packages/redis/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
