import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // Browser code: modern evergreen browsers; React and react-dom stay peer imports.
  target: 'es2020',
  platform: 'browser',
  sourcemap: true,
  // Every export is client code (hooks, context): React Server Components must import it as such.
  banner: { js: "'use client';" },
});
