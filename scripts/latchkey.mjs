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
  run([
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
  ]);
} else if (task === 'demo') {
  run(['exec', 'turbo', 'run', 'build', '--filter=./apps/*...']);
  await startDemo();
} else if (task === 'bench') {
  // Benchmarks (bench/README.md): not part of `test`. The bench imports the built packages.
  // Extra arguments go to bench/run.mjs, e.g. `pnpm bench --quick`.
  run(['exec', 'turbo', 'run', 'build']);
  run(['--filter', '@latchkey/bench', 'bench', ...process.argv.slice(3)]);
} else {
  console.error('usage: node scripts/latchkey.mjs <demo|test>');
  process.exit(2);
}

/**
 * One dev IdP for every demo app, then demo-fastify (the API) and demo-express (the site) pointed
 * at it, so a token demo-express obtains is accepted by demo-fastify.
 */
async function startDemo() {
  const { randomBytes } = await import('node:crypto');
  const { pathToFileURL } = await import('node:url');
  const devIdp = await import(pathToFileURL(join(root, 'packages/dev-idp/dist/index.js')).href);
  const site = `http://localhost:${process.env.PORT ?? 3000}`;
  const apiPort = process.env.API_PORT ?? '3001';
  const client = { id: 'latchkey-demo', secret: randomBytes(16).toString('base64url') };
  const idp = await devIdp.startDevIdp({
    port: Number(process.env.DEV_IDP_PORT ?? 4000),
    hostname: 'localhost',
    clients: [devIdp.latchkeyClient(site, client.id, client.secret)],
  });
  const children = [];
  const start = (name, extraEnv) => {
    const [command, ...rest] = [...pnpm, '--filter', name, 'start'];
    // Own process group, so that stopping it also stops the node process pnpm starts.
    const child = spawn(command, rest, {
      cwd: root,
      stdio: 'inherit',
      detached: true,
      env: { ...env, OIDC_ISSUER: idp.issuer, ...extraEnv },
    });
    children.push(child);
    child.on('exit', (code) => {
      if (!stopping) {
        console.error(`[latchkey] ${name} exited (${code}); stopping the demo.`);
        stop(code ?? 1);
      }
    });
  };
  let stopping = false;
  const stop = (code = 0) => {
    stopping = true;
    for (const child of children) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    void idp.stop().then(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(0));

  start('@latchkey/demo-fastify', { PORT: apiPort });
  start('@latchkey/demo-express', {
    PORT: process.env.PORT ?? '3000',
    APP_BASE_URL: site,
    OIDC_CLIENT_ID: client.id,
    OIDC_CLIENT_SECRET: client.secret,
    SESSION_SECRET: process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
    API_URL: `http://localhost:${apiPort}`,
  });
  console.log(`
latchkey demo
  Site:              ${site}
  API:               http://localhost:${apiPort}
  Identity provider: ${idp.issuer}
  Users:             alice / alice-password (roles admin, viewer)
                     bob / bob-password (role viewer)
  One-time code:     ${devIdp.DEV_OTP} (for step-up to ${devIdp.ACR_MFA})
Press Ctrl+C to stop.
`);
}
