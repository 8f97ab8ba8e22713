import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** How a {@link TestProcess} ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A program a test started, see {@link startProcess}. */
export interface TestProcess {
  /** Process id of the program (the leader of its own process group). */
  readonly pid: number;
  /** Everything it wrote to stdout so far. */
  stdout(): string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /**
   * Resolves with the first match of `pattern` in stdout + stderr.
   *
   * @throws When the program exits first, or after `timeoutMs` (default 30 s); the message
   *   carries its output.
   */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /**
   * Resolves once the program has exited.
   *
   * @throws After `timeoutMs` (default 30 s), with its output.
   */
  exited(timeoutMs?: number): Promise<ProcessExit>;
  /** Sends `signal` (default SIGKILL) to its whole process group: whatever it started too. */
  killGroup(signal?: NodeJS.Signals): void;
  /**
   * Resolves once no process of its group is alive: neither the program nor anything it started
   * (and did not move to another group).
   *
   * @throws After `timeoutMs` (default 5 s), listing the processes still running.
   */
  groupExited(timeoutMs?: number): Promise<void>;
}

/**
 * The processes of process group `pgid` still running, as `pid command line`: zombies (exited,
 * not yet reaped, which a container's init may leave a while) do not count. Linux only (/proc).
 */
export function runningInGroup(pgid: number): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // Exited meanwhile.
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) !== pgid || state === 'Z') continue;
    let command = '';
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {}
    found.push(`${entry} ${command}`);
  }
  return found;
}

/** Process groups still running, killed when the test process exits. */
const running = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Starts `command` in its own process group with stdout and stderr collected, for tests of
 * programs as users run them (a CLI, `npm run ...`). Stop it with {@link TestProcess.killGroup}
 * in `afterEach`; a group left running is killed when the test process exits.
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): TestProcess {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} could not be started`);
  running.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const group of running) killGroup(group, 'SIGKILL');
    });
  }
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exit = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  const timeout = (ms: number, what: string) =>
    new Promise<never>((_resolve, reject) => {
      setTimeout(
        () => reject(new Error(`${command} ${what} within ${ms} ms\n${output()}`)),
        ms,
      ).unref();
    });

  return {
    pid,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput(pattern, timeoutMs = 30_000) {
      const found = new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = (): void => {
          const match = (stdout + stderr).match(pattern);
          if (match === null) return;
          child.stdout?.off('data', check);
          child.stderr?.off('data', check);
          resolve(match);
        };
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        check();
        void exit.then((end) =>
          reject(
            new Error(
              `${command} exited (${end.code ?? end.signal}) before printing ${pattern}\n${output()}`,
            ),
          ),
        );
      });
      return Promise.race([found, timeout(timeoutMs, `did not print ${pattern}`)]);
    },
    async exited(timeoutMs = 30_000) {
      const end = await Promise.race([exit, timeout(timeoutMs, 'did not exit')]);
      return end;
    },
    killGroup(signal = 'SIGKILL') {
      killGroup(pid, signal);
      if (signal === 'SIGKILL') running.delete(pid);
    },
    async groupExited(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = runningInGroup(pid);
        if (left.length === 0) return;
        if (Date.now() > deadline) {
          throw new Error(`still running ${timeoutMs} ms later:\n${left.join('\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/**
 * The environment of a user's shell for a program a test starts: this process's, without what
 * the test runner adds (vitest's `NODE_ENV=test` and `VITEST*`), and without npm's update notice.
 */
export function shellEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'NODE_ENV' || name.startsWith('VITEST')) continue;
    env[name] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', ...extra };
}
