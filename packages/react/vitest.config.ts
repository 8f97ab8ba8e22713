import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    environment: 'jsdom',
    setupFiles: ['./test/setup.ts'],
    env: { LATCHKEY_REACT_MAJOR: '19' },
  },
});
