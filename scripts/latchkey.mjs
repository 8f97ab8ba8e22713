#!/usr/bin/env node
// The Quickstart commands: `npm run demo`, `npm test` and `npm run docs`.
// Needs only Node >= 20.19 and npm: pnpm is fetched from the npm registry by npx when missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// npm, whose exit (it may not pass a signal on) stops the demo.
const parentPid = process.ppid;
const PNPM_VERSION = '10.34.9';
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

function pnpmCommand() {
  try {
    const version = execFileSync('pnpm', ['--version'], { encoding: 'utf8', env }).trim();
    if (version.startsWith('10.')) return ['pnpm'];
  } catch {}
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}

const pnpm = pnpmCommand();

function run(args, onFailure) {
  const [command, ...rest] = [...pnpm, ...args];
  const result = spawnSync(command, rest, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    onFailure?.();
    console.error(
      `\n[latchkey] "pnpm ${args.join(' ')}" failed (exit ${result.status ?? result.signal}).`,
    );
    process.exit(result.status ?? 1);
  }
}

/**
 * After a failed turbo run: each failed task's failures again, at the end of the output, where a
 * CI log that keeps only its tail still shows them (vitest's "Failed Tests" part, else the tail).
 */
function recapFailures() {
  const runs = join(root, '.turbo', 'runs');
  try {
    const [latest] = readdirSync(runs)
      .map((name) => join(runs, name))
      .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs);
    for (const { taskId, execution, logFile } of JSON.parse(readFileSync(latest, 'utf8')).tasks) {
      if (!execution || execution.exitCode === 0) continue;
      const lines = readFileSync(join(root, logFile), 'utf8').split('\n');
      const failed = lines.findIndex((line) => line.includes('Failed Tests'));
      const shown = (failed >= 0 ? lines.slice(failed) : lines.slice(-40)).slice(0, 80);
      console.error(`\n[latchkey] ${taskId} failed:\n${shown.join('\n')}`);
    }
  } catch {} // no run summary (turbo stopped before writing one): its own output has to do
}

const task = process.argv[2];
// `demo --no-build` starts the demo from the current build: no install, no build (its tests use it).
const prepare = !(task === 'demo' && process.argv.includes('--no-build'));
if (prepare) run(['install', ...(process.env.CI ? ['--frozen-lockfile'] : [])]);

if (task === 'test') {
  run([
    'exec',
    'biome',
    'ci',
    'scripts',
    'vitest.shared.ts',
    'tsup.node.ts',
    'biome.json',
    'turbo.json',
    'package.json',
  ]);
  // The committed mutation report must describe today's sources and meet its floor (README, Testing).
  const mutation = spawnSync(process.execPath, [join(root, 'scripts/check-mutation.mjs')], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  if (mutation.status !== 0) process.exit(mutation.status ?? 1);
  run(
    [
      'exec',
      'turbo',
      'run',
      'build',
      'lint',
      'typecheck',
      'test',
      'package-check',
      '--concurrency=2',
      '--continue',
      '--summarize',
    ],
    recapFailures,
  );
  // The release dry run: every public package packs with its build, README and LICENSE.
  const { checkPublish } = await import('./publish-check.mjs');
  if (checkPublish(root, pnpm, env) > 0) process.exit(1);
} else if (task === 'demo') {
  if (prepare) run(['exec', 'turbo', 'run', 'build', '--filter=./apps/*...']);
  const { startDemo } = await import('./demo.mjs');
  await startDemo(root, env, parentPid);
} else if (task === 'bench') {
  // Benchmarks (bench/README.md): not part of `test`. The bench imports the built packages.
  // Extra arguments go to bench/run.mjs, e.g. `pnpm bench --quick`.
  run(['exec', 'turbo', 'run', 'build']);
  run(['--filter', '@latchkey/bench', 'bench', ...process.argv.slice(3)]);
} else if (task === 'fuzz') {
  // The parsers' property tests with 100,000 inputs each (README, Testing). Extra arguments go to
  // vitest, e.g. `pnpm fuzz -t "Cookie header"`; LATCHKEY_FUZZ_SEED and _PATH replay a failure.
  env.LATCHKEY_FUZZ_RUNS ??= '100000';
  env.LATCHKEY_FUZZ_SLOW_MS ??= '100';
  run(['exec', 'vitest', 'run', '--config', 'vitest.fuzz.config.ts', ...process.argv.slice(3)]);
} else if (task === 'docs') {
  // The docs site (docs/): built with what it documents, then served on loopback until Ctrl+C.
  // VitePress prints the URL. DOCS_PORT moves it from 4173.
  run(['exec', 'turbo', 'run', 'build', '--filter=@latchkey/docs...']);
  run(['--filter', '@latchkey/docs', 'serve', '--port', env.DOCS_PORT ?? '4173', '--strictPort']);
} else {
  console.error('usage: node scripts/latchkey.mjs <demo [--no-build]|test|bench|fuzz|docs>');
  process.exit(2);
}
