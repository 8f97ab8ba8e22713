import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  isListening,
  startProcess,
  type TestProcess,
  waitForPort,
} from '@latchkey/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
/** The command from its source (tsx compiles it): no build needed. */
const cli = ['--import', 'tsx', 'src/cli.ts'];
const redirect = ['--redirect-uri', 'http://localhost:3000/auth/callback'];

const started: TestProcess[] = [];
afterEach(() => {
  for (const program of started.splice(0)) program.killGroup();
});

function run(command: string, args: string[]): TestProcess {
  const program = startProcess(command, args, { cwd: packageDir });
  started.push(program);
  return program;
}

describe('latchkey-dev-idp as a process', () => {
  it('stops when the process that started it goes away without passing a signal on', async () => {
    const port = await freePort();
    // A wrapper like npx's `sh -c` layer: it starts the command, then dies of SIGKILL.
    const wrapper = run(process.execPath, [
      '-e',
      `const { spawn } = require('node:child_process');
       spawn(process.execPath, process.argv.slice(1), { stdio: 'inherit' });
       setInterval(() => {}, 1000);`,
      '--',
      ...cli,
      '--port',
      String(port),
      ...redirect,
    ]);
    await wrapper.waitForOutput(/Press Ctrl\+C to stop/);
    expect(await isListening(port)).toBe(true);

    process.kill(wrapper.pid, 'SIGKILL');
    await waitForPort(port, false, 5000);
  });

  it('answers a taken port with one line that names --port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    try {
      const program = run(process.execPath, [...cli, '--port', String(port), ...redirect]);
      expect(await program.exited()).toEqual({ code: 1, signal: null });
      expect(program.stdout()).toBe('');
      expect(program.stderr().trim().split('\n')).toEqual([
        `latchkey-dev-idp: port ${port} is already in use; choose another with --port (0 picks a free one).`,
      ]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('stops on SIGTERM and frees its port', async () => {
    const port = await freePort();
    const program = run(process.execPath, [...cli, '--port', String(port), ...redirect]);
    await program.waitForOutput(/Press Ctrl\+C to stop/);
    expect(program.stdout()).toContain(
      'client:                    latchkey-demo / latchkey-demo-secret',
    );
    process.kill(program.pid, 'SIGTERM');
    expect(await program.exited(5000)).toEqual({ code: 0, signal: null });
    expect(await isListening(port)).toBe(false);
  });

  it('links its bin to a committed file, so installing before the build does not warn', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    const bin: string = manifest.bin['latchkey-dev-idp'];
    expect(bin).not.toMatch(/(^|\/)dist\//);
    expect(existsSync(join(packageDir, bin))).toBe(true);
    expect(manifest.files).toContain(bin.replace(/^\.\//, '').split('/')[0]);
    expect(readFileSync(join(packageDir, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });
});
