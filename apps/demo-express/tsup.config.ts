import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/server.ts', 'src/demo.ts'],
  format: ['esm'],
  clean: true,
  target: 'node20',
  sourcemap: true,
});
