import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: { testTimeout: 30_000, hookTimeout: 30_000 },
});
