import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { nodeLibrary } from '../../tsup.node';

export default defineConfig(() => {
  // The two builds below run at once into dist/, so neither may clean it (tsup's `clean` would
  // delete the other's files, `.d.ts` included, whenever it happens to run): clear it once here.
  rmSync('dist', { recursive: true, force: true });
  return [
    { ...nodeLibrary(), clean: false },
    {
      // `@latchkey/passkeys/browser`: browser code for evergreen browsers; @simplewebauthn/browser
      // stays an import (a dependency), bundled by the app.
      entry: ['src/browser.ts'],
      format: ['esm', 'cjs'],
      dts: true,
      clean: false,
      target: 'es2020',
      platform: 'browser',
      sourcemap: true,
    },
  ];
});
