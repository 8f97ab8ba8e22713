import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  isListening,
  shellEnv,
  startProcess,
  type TestProcess,
  waitForPort,
} from '@latchkey/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** What the demo command starts, from the builds that turbo makes before this suite. */
const builds = [
  'packages/dev-idp/dist/index.js',
  'apps/demo-fastify/dist/api.js',
  'apps/demo-express/dist/demo.js',
];

/** A user's shell, with the demo's three ports set. */
function userEnv(ports: Record<string, number>): NodeJS.ProcessEnv {
  return shellEnv(
    Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  );
}

async function demoPorts(): Promise<{ PORT: number; API_PORT: number; DEV_IDP_PORT: number }> {
  return { PORT: await freePort(), API_PORT: await freePort(), DEV_IDP_PORT: await freePort() };
}

const started: TestProcess[] = [];
afterEach(() => {
  for (const program of started.splice(0)) program.killGroup();
});

/** `npm run demo` as a user types it, minus the install and build turbo already did. */
function npmRunDemo(ports: Record<string, number>): TestProcess {
  const program = startProcess('npm', ['run', 'demo', '--', '--no-build'], {
    cwd: root,
    env: userEnv(ports),
  });
  started.push(program);
  return program;
}

describe('npm run demo', () => {
  beforeAll(() => {
    const missing = builds.filter((path) => !existsSync(`${root}/${path}`));
    if (missing.length > 0) {
      throw new Error(
        `Build first (turbo does before this suite): pnpm exec turbo run build --filter=./apps/*... (missing ${missing.join(', ')})`,
      );
    }
  });

  it('prints one startup block, after every server listens', async () => {
    const ports = await demoPorts();
    const demo = npmRunDemo(ports);
    await demo.waitForOutput(/Press Ctrl\+C to stop/, 60_000);
    for (const port of Object.values(ports)) expect(await isListening(port)).toBe(true);
    const output = demo.stdout();
    expect(output.match(/latchkey demo/g)).toHaveLength(1);
    expect(output).toContain(`Site:              http://localhost:${ports.PORT}\n`);
    expect(output).toContain(`API:               http://localhost:${ports.API_PORT}\n`);
    expect(output).toContain(`Identity provider: http://localhost:${ports.DEV_IDP_PORT}\n`);
    // oidc-provider warns once, when it loads (one process), and the block explains it.
    const warnings = demo.stderr().match(/oidc-provider WARNING: Unsupported runtime/g) ?? [];
    expect(warnings.length).toBeLessThanOrEqual(1);
    if (warnings.length === 1)
      expect(output).toMatch(/Unsupported runtime" warning above is expected/);
  });

  it('frees all three ports within 5 s of a SIGTERM to npm, which does not pass it on', async () => {
    const ports = await demoPorts();
    const demo = npmRunDemo(ports);
    await demo.waitForOutput(/Press Ctrl\+C to stop/, 60_000);

    process.kill(demo.pid, 'SIGTERM');
    const sentAt = Date.now();
    await Promise.all(Object.values(ports).map((port) => waitForPort(port, false, 5000)));
    expect(Date.now() - sentAt).toBeLessThan(5000);
    // Nothing of the demo is left running: not npm, not its shell, not the servers' process.
    await demo.groupExited(5000);
  });

  it('stops on Ctrl+C (SIGINT to the whole foreground group) without pnpm errors', async () => {
    const ports = await demoPorts();
    const demo = npmRunDemo(ports);
    await demo.waitForOutput(/Press Ctrl\+C to stop/, 60_000);

    demo.killGroup('SIGINT');
    await Promise.all(Object.values(ports).map((port) => waitForPort(port, false, 5000)));
    await demo.groupExited(5000);
    expect(demo.stdout() + demo.stderr()).not.toMatch(/ERR_PNPM|EADDRINUSE|\n\s+at /);
  });
});

describe('a demo port already in use', () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    blocker = undefined;
  });

  for (const variable of ['PORT', 'API_PORT', 'DEV_IDP_PORT'] as const) {
    it(`answers with one line that names ${variable}`, async () => {
      const ports = await demoPorts();
      blocker = createServer();
      await new Promise<void>((resolve) => blocker?.listen(ports[variable], '127.0.0.1', resolve));

      const demo = startProcess(process.execPath, ['scripts/latchkey.mjs', 'demo', '--no-build'], {
        cwd: root,
        env: userEnv(ports),
      });
      started.push(demo);
      expect(await demo.exited()).toEqual({ code: 1, signal: null });
      const lines = demo.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`Port ${ports[variable]} `);
      expect(lines[0]).toContain(`set ${variable} to a free port`);
      // The other two ports were left alone.
      for (const [name, port] of Object.entries(ports)) {
        if (name !== variable) expect(await isListening(port)).toBe(false);
      }
    });
  }
});
