#!/usr/bin/env node
// The release dry run, offline and without an npm login: packs every public workspace package the
// way `pnpm publish` does (`pnpm pack --dry-run`, which writes nothing) and checks that each
// tarball holds its build, its README, its LICENSE and every file its package.json points at.
// (`pnpm publish -r --dry-run` would first ask the registry which versions already exist.)
//
// Run after the build: `node scripts/publish-check.mjs` (`npm test` runs it last).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs pnpm with `args` in `root`; returns its stdout, throws with its stderr on failure. */
function pnpmOutput(pnpm, args, root, env) {
  const [command, ...rest] = [...pnpm, ...args];
  const result = spawnSync(command, rest, {
    cwd: root,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`"pnpm ${args.join(' ')}" failed (exit ${result.status}): ${result.stderr}`);
  }
  return result.stdout;
}

/** Every file a package.json points at: main, module, types, bin and each export target. */
function declaredFiles(manifest) {
  const targets = [manifest.main, manifest.module, manifest.types, manifest.typings];
  if (typeof manifest.bin === 'string') targets.push(manifest.bin);
  else if (manifest.bin) targets.push(...Object.values(manifest.bin));
  const collect = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object')
      for (const inner of Object.values(value)) collect(inner);
  };
  collect(manifest.exports);
  return [
    ...new Set(
      targets
        .filter((target) => typeof target === 'string' && !target.includes('*'))
        .map((target) => target.replace(/^\.\//, '')),
    ),
  ];
}

/** What is wrong with the tarball of the package at `dir` whose file list is `files`. */
function problemsOf(dir, files) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const packed = new Set(files);
  const problems = [];
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!packed.has(required)) problems.push(`${required} is missing`);
  }
  if (!files.some((file) => file.startsWith('dist/'))) {
    problems.push('no dist/ files (build it first)');
  }
  for (const file of declaredFiles(manifest)) {
    if (!packed.has(file)) problems.push(`package.json points at ${file}, which is not packed`);
  }
  const stray = files.filter((file) => /(^|\/)\.turbo\/|\.test\.[cm]?[jt]sx?$/.test(file));
  if (stray.length > 0) problems.push(`test or cache files packed: ${stray.join(', ')}`);
  if (!manifest.license) problems.push('package.json has no "license"');
  if (
    manifest.license === 'MIT' &&
    packed.has('LICENSE') &&
    !readFileSync(join(dir, 'LICENSE'), 'utf8').startsWith('MIT License')
  ) {
    problems.push('"license" is MIT but LICENSE is not the MIT License');
  }
  return problems;
}

/**
 * Packs every public workspace package (dry run) and prints one line per package.
 *
 * @returns The number of packages with problems.
 */
export function checkPublish(root, pnpm = ['pnpm'], env = process.env) {
  const projects = JSON.parse(pnpmOutput(pnpm, ['-r', 'ls', '--json', '--depth', '-1'], root, env));
  const publicProjects = projects.filter((project) => !project.private);
  const filters = publicProjects.flatMap((project) => ['--filter', project.name]);
  const packs = JSON.parse(
    pnpmOutput(pnpm, ['-r', ...filters, 'pack', '--dry-run', '--json'], root, env),
  );
  let failed = 0;
  for (const project of publicProjects) {
    const pack = (Array.isArray(packs) ? packs : [packs]).find((p) => p.name === project.name);
    const problems = pack
      ? problemsOf(
          project.path,
          pack.files.map((file) => file.path),
        )
      : ['pnpm pack did not pack it'];
    if (problems.length === 0) {
      console.log(`[publish] ${project.name}: ${pack.files.length} files, ready to publish`);
    } else {
      failed += 1;
      console.error(`[publish] ${project.name}: ${problems.join('; ')}`);
    }
  }
  return failed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), '../..');
  process.exitCode = checkPublish(root) === 0 ? 0 : 1;
}
