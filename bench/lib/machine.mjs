// What a run was measured on: the machine, the commit, the versions of the peers and tools.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR } from './processes.mjs';

/** The packages whose versions the report lists. */
const VERSIONED = [
  'express',
  'fastify',
  'express-openid-connect',
  'express-oauth2-jwt-bearer',
  'jose',
  'autocannon',
  'mitata',
  'esbuild',
  'ioredis',
];

/** The commit measured, marked `+ changes` when the working tree differs from it. */
function gitCommit() {
  const git = (...args) =>
    spawnSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD');
  if (!commit) return 'unknown (not a git checkout)';
  return git('status', '--porcelain', '--untracked-files=no') ? `${commit} + changes` : commit;
}

/**
 * The machine at the start of a run (`loadAfter` is added at its end).
 * @param {{ pinned: boolean }} options whether processes are pinned to cores
 */
export function describeMachine({ pinned }) {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    ram: os.totalmem(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    commit: gitCommit(),
    loadBefore: os.loadavg(),
    pinned,
  };
}

/** The installed version of a dependency of the bench, if it is installed. @param {string} name */
export function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8'))
      .version;
  } catch {
    return undefined;
  }
}

/** Versions of the peers and tools, by package name (those installed). */
export function packageVersions() {
  /** @type {Record<string, string>} */
  const versions = {};
  for (const name of VERSIONED) {
    const version = packageVersion(name);
    if (version !== undefined) versions[name] = version;
  }
  return versions;
}
