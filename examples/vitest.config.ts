import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../vitest.shared';

export default defineConfig({
  // The test's own imports (test-utils, the dev IdP's sign-in helper) run from source; the README
  // examples it starts import the packages' builds, as an app would.
  resolve: { alias: sourceAliases },
  test: { include: ['test/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 30_000 },
});
