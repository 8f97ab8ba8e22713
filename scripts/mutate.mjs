#!/usr/bin/env node
// `pnpm mutate`: StrykerJS over core's security modules (stryker.config.mjs), counting every suite
// that exercises core (vitest.mutate.config.ts). Stryker mutates files in place, so it runs on a
// copy of the working tree; the report (and the incremental file, for the next run) come back to
// reports/mutation/. Arguments go to `stryker run`, e.g. `pnpm mutate --incremental false` for a
// full run. Needs Redis for the Redis-backed suites (REDIS_URL, default redis://127.0.0.1:6379).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const copy = mkdtempSync(join(tmpdir(), 'latchkey-mutate-'));
const env = { REDIS_URL: 'redis://127.0.0.1:6379', ...process.env };

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  return result.status ?? 1;
}

let status = 1;
try {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file), { verbatimSymlinks: true });
  }
  console.log(`[mutate] ${files.length} files copied to ${copy}`);
  status = run('pnpm', ['install', '--offline', '--frozen-lockfile'], copy);
  if (status !== 0) status = run('pnpm', ['install', '--frozen-lockfile'], copy);
  if (status === 0)
    status = run('pnpm', ['exec', 'stryker', 'run', ...process.argv.slice(2)], copy);
  // The report is written even when the score is under the threshold: bring it back either way.
  mkdirSync(join(root, 'reports/mutation'), { recursive: true });
  for (const name of ['mutation.json', 'stryker-incremental.json']) {
    try {
      cpSync(join(copy, 'reports/mutation', name), join(root, 'reports/mutation', name));
    } catch {
      // Not written (Stryker failed before reporting).
    }
  }
} finally {
  rmSync(copy, { recursive: true, force: true });
}
process.exit(status);
