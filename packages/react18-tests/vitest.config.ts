// Runs @latchkey/react's own test files against React 18. Every import of react, react-dom and
// Testing Library (from the tests and from the package's source) is resolved from this package,
// whose dependencies are React 18; Testing Library's own react-dom import resolves to React 18 too,
// as pnpm links its peers per dependent. src/react-version.test.tsx asserts the major version.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

const require = createRequire(import.meta.url);
const ownCopy = (specifier: string) => ({
  find: new RegExp(`^${specifier.replace('/', '\\/')}$`),
  replacement: require.resolve(specifier),
});
const reactPackage = fileURLToPath(new URL('../react/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      ...[
        'react',
        'react/jsx-runtime',
        'react/jsx-dev-runtime',
        'react-dom',
        'react-dom/client',
        'react-dom/server',
        '@testing-library/react',
      ].map(ownCopy),
      ...Object.entries(sourceAliases).map(([find, replacement]) => ({ find, replacement })),
    ],
  },
  test: {
    dir: reactPackage,
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'jsdom',
    setupFiles: [`${reactPackage}test/setup.ts`],
    env: { LATCHKEY_REACT_MAJOR: '18' },
  },
});
