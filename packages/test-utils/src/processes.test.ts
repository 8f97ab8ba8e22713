import { describe, expect, it } from 'vitest';
import { runningInGroup, shellEnv, startProcess } from './processes';

describe('processes', () => {
  it('collects the output of a program and how it exited', async () => {
    const program = startProcess(process.execPath, [
      '-e',
      "console.log('ready'); console.error('oops'); process.exitCode = 3;",
    ]);
    expect((await program.waitForOutput(/ready/))[0]).toBe('ready');
    expect(await program.exited()).toEqual({ code: 3, signal: null });
    expect(program.stdout()).toBe('ready\n');
    expect(program.stderr()).toBe('oops\n');
  });

  it('kills the whole process group, what the program started included', async () => {
    const program = startProcess(process.execPath, [
      '-e',
      `const child = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       console.log('child ' + child.pid);
       setInterval(() => {}, 1000);`,
    ]);
    await program.waitForOutput(/child \d+/);
    expect(runningInGroup(program.pid)).toHaveLength(2);
    program.killGroup();
    expect(await program.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    await program.groupExited(2000);
  });

  it('says what it waited for when the program exits first', async () => {
    const program = startProcess(process.execPath, ['-e', "console.log('bye')"]);
    await expect(program.waitForOutput(/never/)).rejects.toThrow(/exited \(0\) before printing/);
  });

  it("gives programs a user's environment, without the test runner's", () => {
    const env = shellEnv({ PORT: '1234' });
    expect(env.PORT).toBe('1234');
    expect(env.NODE_ENV).toBeUndefined();
    expect(Object.keys(env).filter((name) => name.startsWith('VITEST'))).toEqual([]);
    expect(env.PATH).toBe(process.env.PATH);
  });
});
