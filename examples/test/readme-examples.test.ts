import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import {
  freePort,
  type Page,
  type RedisTestServer,
  shellEnv,
  startProcess,
  startRedisServer,
  TestBrowser,
  type TestProcess,
} from '@latchkey/test-utils';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ReadmeExample, readmeExample } from './readme';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = join(here, '..');

/**
 * The README's ports: the app on 3000, the dev IdP on 4000. The test changes these numbers only,
 * to free ports, wherever they appear (command, code), and nothing else.
 */
function onPorts(text: string, app: number, idp: number): string {
  return text.replaceAll(/\b3000\b/g, String(app)).replaceAll(/\b4000\b/g, String(idp));
}

const started: TestProcess[] = [];
const directories: string[] = [];
afterEach(() => {
  for (const program of started.splice(0)) program.killGroup();
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

/**
 * A fresh app directory as the README describes it: `"type": "module"`, the example's files, and
 * the packages the README installs (this package's node_modules: the workspace builds,
 * express, fastify and tsx).
 */
function appDirectory(example: ReadmeExample, app: number, idp: number): string {
  const directory = mkdtempSync(join(tmpdir(), 'latchkey-readme-'));
  directories.push(directory);
  writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(here, 'node_modules'), join(directory, 'node_modules'), 'dir');
  for (const [name, code] of Object.entries(example.files)) {
    writeFileSync(join(directory, name), onPorts(code, app, idp));
  }
  return directory;
}

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv): TestProcess {
  const [command, ...args] = argv;
  const program = startProcess(command ?? '', args, { cwd, env });
  started.push(program);
  return program;
}

/** Waits until `url` answers (any status), or fails with the output of `program` if it exits. */
async function answering(url: string, program: TestProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void program.exited(timeoutMs + 1000).then(
    () => {
      exited = true;
    },
    () => {},
  );
  for (;;) {
    try {
      await fetch(url, { redirect: 'manual' });
      return;
    } catch {
      if (exited || Date.now() > deadline) {
        throw new Error(
          `${url} did not answer${exited ? ' (the program exited)' : ''}\nstdout:\n${program.stdout()}\nstderr:\n${program.stderr()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The sign-out form on `/` (the adapter examples), else latchkey's own page at GET /auth/logout. */
async function signOutForm(browser: TestBrowser, site: string): Promise<Page> {
  const home = await browser.get(`${site}/`);
  if (home.body.includes('action="/auth/logout"')) return home;
  return browser.get(`${site}/auth/logout`);
}

const README_EXAMPLES = [
  { pkg: 'core', redis: false },
  { pkg: 'express', redis: false },
  { pkg: 'fastify', redis: false },
  { pkg: 'redis', redis: true },
] as const;

describe('README examples, run as printed against the dev IdP started as printed', () => {
  let redis: RedisTestServer | undefined;
  let redisTried = false;
  afterAll(async () => {
    await redis?.stop();
  });

  for (const { pkg, redis: needsRedis } of README_EXAMPLES) {
    it(`@latchkey/${pkg}: signs alice in and out`, async (context) => {
      const readme = readFileSync(join(repo, 'packages', pkg, 'README.md'), 'utf8');
      const example = readmeExample(readme);
      const env = shellEnv();
      if (needsRedis) {
        if (!redisTried) {
          redisTried = true;
          redis = await startRedisServer();
        }
        if (!redis) {
          context.skip();
          return;
        }
        // The example reads REDIS_URL: a private Redis, so that its keys land nowhere shared.
        env.REDIS_URL = redis.url;
      }
      const [app, idp] = [await freePort(), await freePort()];
      const directory = appDirectory(example, app, idp);
      const site = `http://localhost:${app}`;

      const idpProcess = run(onPorts(example.idpCommand, app, idp).split(/\s+/), directory, env);
      await idpProcess.waitForOutput(/Press Ctrl\+C to stop/);
      const appProcess = run(example.runCommand.split(/\s+/), directory, env);
      await answering(`${site}/`, appProcess);
      if (example.files['server.ts']?.includes("'/healthz'")) {
        // The README says the health check answers 200 once Redis is connected.
        expect((await fetch(`${site}/healthz`)).status).toBe(200);
      }

      const browser = new TestBrowser();
      const login = await browser.get(`${site}/auth/login?returnTo=/profile`);
      expect(login.url.startsWith(`http://localhost:${idp}/`)).toBe(true);
      const profile = await signInAtDevIdp(browser, login, {
        username: 'alice',
        password: 'alice-password',
      });
      expect(profile.url).toBe(`${site}/profile`);
      expect(profile.status).toBe(200);
      expect(profile.body).toContain('Alice Example');
      const session = await browser.request(`${site}/auth/session`);
      expect(session.json()).toMatchObject({ authenticated: true, user: { sub: 'usr_alice' } });

      // Sign out: the app's form, then the IdP's confirmation; the IdP sends the user back to the
      // app's home page (the post-logout redirect URI the CLI registered by default).
      const form = await signOutForm(browser, site);
      const confirm = await browser.submitForm(form, {}, 'form[action="/auth/logout"]');
      expect(confirm.url.startsWith(`http://localhost:${idp}/`)).toBe(true);
      expect(confirm.status).toBe(200);
      const back = await browser.submitForm(confirm, { logout: 'yes' });
      expect([...back.redirects, back.url]).toContain(`${site}/`);
      expect(back.status).toBe(200);
      const after = await browser.request(`${site}/auth/session`);
      expect(after.json()).toEqual({ authenticated: false });
    });
  }
});
