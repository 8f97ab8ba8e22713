import { defineConfig } from 'tsup';

/** The build of every Node.js package: ESM + CJS + `.d.ts`/`.d.cts` for Node 20. */
export function nodeLibrary(entry: string[] = ['src/index.ts']) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    sourcemap: true,
  });
}
