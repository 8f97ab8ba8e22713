import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../vitest.shared';

export default defineConfig({
  // The tests' own imports run from source; the example apps they start import the packages'
  // builds, as a reader's app would. Starting an example (the dev IdP, then tsx) takes seconds.
  resolve: { alias: sourceAliases },
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
});
