import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../vitest.shared';

export default defineConfig({
  // Packages and the demo apps run from their sources; the React app's client is its build
  // (made fresh by the global setup when needed), served by demo-express like in `npm run demo`.
  resolve: { alias: sourceAliases },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
