import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Every entry imports the provider's context and `AuthError` from `dist/context.{js,cjs}` and
 * `dist/errors.{js,cjs}` instead of bundling a copy each: a second copy of the context would be a
 * second context, in which the hooks of a subpath would not find the `<AuthProvider>` of
 * `@latchkey/react`, and a second `AuthError` would fail `instanceof`. (Chunk splitting would do
 * this for ESM only; tsup's CJS splitting moves `'use client'` below `"use strict"`, where it is no
 * longer a directive.)
 */
const sharedModules: EsbuildPlugin = {
  name: 'latchkey-shared-modules',
  setup(build) {
    const extension = build.initialOptions.format === 'cjs' ? 'cjs' : 'js';
    build.onResolve({ filter: /^\.\/(context|errors)$/ }, ({ path }) => ({
      path: `${path}.${extension}`,
      external: true,
    }));
  },
};

export default defineConfig({
  // `passkeys` and `fetch` are subpaths of their own, so that apps without them load none of their
  // code, and `testing` (for tests only); `context` and `errors` are internal (not in `exports`),
  // shared by them.
  entry: [
    'src/index.ts',
    'src/fetch.ts',
    'src/passkeys.tsx',
    'src/testing.tsx',
    'src/context.ts',
    'src/errors.ts',
  ],
  format: ['esm', 'cjs'],
  esbuildPlugins: [sharedModules],
  dts: { entry: ['src/index.ts', 'src/fetch.ts', 'src/passkeys.tsx', 'src/testing.tsx'] },
  clean: true,
  // Browser code: modern evergreen browsers; React, react-dom and @latchkey/passkeys (an optional
  // peer) stay imports.
  target: 'es2020',
  platform: 'browser',
  sourcemap: true,
  // Every export is client code (hooks, context): React Server Components must import it as such.
  banner: { js: "'use client';" },
});
