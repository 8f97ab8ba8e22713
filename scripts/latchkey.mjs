#!/usr/bin/env node
// The two Quickstart commands: `npm run demo` and `npm test`.
// Needs only Node >= 20.19 and npm: pnpm is fetched from the npm registry by npx when missing.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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

function run(args) {
  const [command, ...rest] = [...pnpm, ...args];
  const result = spawnSync(command, rest, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(
      `\n[latchkey] "pnpm ${args.join(' ')}" failed (exit ${result.status ?? result.signal}).`,
    );
    process.exit(result.status ?? 1);
  }
}

const task = process.argv[2];
run(['install', ...(process.env.CI ? ['--frozen-lockfile'] : [])]);

if (task === 'test') {
  run([
    'exec',
    'biome',
    'ci',
    'scripts',
    'vitest.shared.ts',
    'biome.json',
    'turbo.json',
    'package.json',
  ]);
  run([
    'exec',
    'turbo',
    'run',
    'build',
    'lint',
    'typecheck',
    'test',
    '--concurrency=2',
    '--continue',
  ]);
} else if (task === 'demo') {
  run(['exec', 'turbo', 'run', 'build', '--filter=@latchkey/demo-express...']);
  const [command, ...rest] = [...pnpm, '--filter', '@latchkey/demo-express', 'start'];
  const child = spawn(command, rest, { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.error('usage: node scripts/latchkey.mjs <demo|test>');
  process.exit(2);
}
