import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

export default defineConfig({
  // The React app's server renderer runs from its sources here, like the packages.
  esbuild: { jsx: 'automatic' },
  resolve: {
    alias: {
      ...sourceAliases,
      '@latchkey/demo-react/ssr': fileURLToPath(
        new URL('../demo-react/src/ssr.tsx', import.meta.url),
      ),
    },
  },
  test: { testTimeout: 30_000, hookTimeout: 30_000 },
});
