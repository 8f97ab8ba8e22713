import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  resolve: { alias: sourceAliases },
});
