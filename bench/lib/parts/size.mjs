// Bundle size: esbuild bundles of each browser package's whole public API, minified, gzip -9
// (README.md, Bundle size).
import { gzipSync } from 'node:zlib';
import { packageVersion } from '../machine.mjs';
import { BENCH_DIR } from '../processes.mjs';

const ENTRIES = [
  { name: '@latchkey/react', code: "export * from '@latchkey/react';" },
  {
    name: 'react-oidc-context + oidc-client-ts',
    code: "export * from 'react-oidc-context';\nexport * from 'oidc-client-ts';",
  },
  { name: '@auth0/auth0-react', code: "export * from '@auth0/auth0-react';" },
];

/** @param {import('./index.mjs').RunContext} context */
export async function runSizes({ log }) {
  log('bundle sizes (esbuild, minified, gzip -9)');
  const { build } = await import('esbuild');
  const size = [];
  for (const entry of ENTRIES) {
    const result = await build({
      stdin: { contents: entry.code, resolveDir: BENCH_DIR, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      write: false,
      external: ['react', 'react-dom', 'react/*', 'react-dom/*'],
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].contents;
    size.push({
      name: entry.name,
      version: packageVersion(entry.name.split(' ')[0]) ?? '?',
      minified: code.length,
      gzip: gzipSync(code, { level: 9 }).length,
    });
  }
  return { size };
}
