import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Both entries import the provider's context from `dist/context.{js,cjs}` instead of bundling a
 * copy each: a second copy would be a second context, in which the hooks of
 * `@latchkey/react/passkeys` would not find the `<AuthProvider>` of `@latchkey/react`. (Chunk
 * splitting would do this for ESM only; tsup's CJS splitting moves `'use client'` below
 * `"use strict"`, where it is no longer a directive.)
 */
const sharedContext: EsbuildPlugin = {
  name: 'latchkey-shared-context',
  setup(build) {
    const extension = build.initialOptions.format === 'cjs' ? 'cjs' : 'js';
    build.onResolve({ filter: /^\.\/context$/ }, () => ({
      path: `./context.${extension}`,
      external: true,
    }));
  },
};

export default defineConfig({
  // `passkeys` is a subpath of its own, so that apps without passkeys load no WebAuthn code, and
  // `testing` (for tests only); `context` is internal (not in `exports`), shared by them.
  entry: ['src/index.ts', 'src/passkeys.tsx', 'src/testing.tsx', 'src/context.ts'],
  format: ['esm', 'cjs'],
  esbuildPlugins: [sharedContext],
  dts: { entry: ['src/index.ts', 'src/passkeys.tsx', 'src/testing.tsx'] },
  clean: true,
  // Browser code: modern evergreen browsers; React, react-dom and @latchkey/passkeys (an optional
  // peer) stay imports.
  target: 'es2020',
  platform: 'browser',
  sourcemap: true,
  // Every export is client code (hooks, context): React Server Components must import it as such.
  banner: { js: "'use client';" },
});
