import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const app = dirname(require.resolve('@latchkey/demo-react/package.json'));
const react = dirname(
  createRequire(join(app, 'package.json')).resolve('@latchkey/react/package.json'),
);

/** Newest modification time (ms) of a file or of any file under a folder; 0 when absent. */
function newest(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Oldest modification time of the build's outputs; 0 when one is missing. */
function builtAt(): number {
  const outputs = ['dist/index.html', 'dist/server/ssr.js'].map((file) => newest(join(app, file)));
  return Math.min(...outputs);
}

/**
 * The suite drives the React app's build, as `npm run demo` serves it. Turbo builds it before
 * this package's tests; a direct `vitest run` gets a build here when it is missing or older than
 * the sources it comes from.
 */
export default function setup(): void {
  // Screenshots of failed tests land there: only this run's.
  rmSync(new URL('../test-output/', import.meta.url), { recursive: true, force: true });
  const sources = [
    ...['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(app, p)),
    join(react, 'src'),
  ];
  if (builtAt() >= Math.max(...sources.map(newest))) return;
  console.log('[e2e] Building apps/demo-react: its build is missing or older than its sources.');
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const env = { ...process.env, NODE_ENV: 'production' };
  const result = spawnSync('npm', ['run', 'build'], { cwd: app, stdio: 'inherit', env });
  if (result.status !== 0) {
    throw new Error(`Building apps/demo-react failed (exit ${result.status ?? result.signal}).`);
  }
}
