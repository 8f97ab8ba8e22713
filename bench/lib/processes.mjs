// Process control: the child processes of a run (benchmark servers, load generators, the memory
// check, the micro-benchmarks), pinned to cores with `taskset` when it is there, and free ports.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bench folder: scripts given to {@link ProcessControl.runJson} are relative to it. */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * @typedef {import('./scenarios.mjs').Scenario} Scenario
 * @typedef {{ scenario: Scenario, port: number, baseUrl: string, controlUrl: string, child: import('node:child_process').ChildProcess, stderr: () => string }} RunningServer
 * @typedef {ReturnType<typeof createProcessControl>} ProcessControl
 */

/**
 * The processes of one run. It keeps every child it started, so that an interrupted run stops
 * exactly those ({@link ProcessControl.stopAll}).
 * @param {{ log: (message: string) => void }} options
 */
export function createProcessControl({ log }) {
  /** @type {Set<import('node:child_process').ChildProcess>} */
  const children = new Set();
  const pinning = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  if (!pinning) log('taskset is not available: processes are NOT pinned to cores');

  /** @param {string | undefined} cores @param {string[]} args @returns {[string, string[]]} */
  const pinned = (cores, args) =>
    pinning && cores ? ['taskset', ['-c', cores, ...args]] : [args[0], args.slice(1)];

  /** @param {string[]} args @param {Record<string, string>} env */
  const start = (args, env) => {
    const child = spawn(args[0], args[1], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    return child;
  };

  return {
    /** Whether processes are pinned to cores (`taskset` works here). */
    pinning,

    /** Moves this process (every thread) to `cores`, off the servers' core. */
    pinThisProcess(cores) {
      if (pinning) spawnSync('taskset', ['-a', '-cp', cores, String(process.pid)]);
    },

    /**
     * Runs a node script of the bench to completion (pinned to `cores`), resolving the last JSON
     * line of its stdout.
     * @param {string | undefined} cores @param {string} script relative to the bench folder
     * @param {Record<string, string>} env
     * @param {{ nodeArgs?: string[], echoStderr?: boolean }} [options] `echoStderr` passes its
     *   progress on to this process's stderr
     */
    runJson(cores, script, env, { nodeArgs = [], echoStderr = false } = {}) {
      const command = pinned(cores, [process.execPath, ...nodeArgs, join(BENCH_DIR, script)]);
      return new Promise((resolve, reject) => {
        const child = start(command, env);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
        });
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
          if (echoStderr) process.stderr.write(chunk);
        });
        child.on('exit', (code) => {
          children.delete(child);
          const line = stdout.trim().split('\n').pop();
          if (code === 0 && line) {
            try {
              resolve(JSON.parse(line));
              return;
            } catch {}
          }
          reject(new Error(`${script} exited with ${code}: ${stderr.slice(-2000)}`));
        });
      });
    },

    /**
     * Starts one benchmark server (servers/server.mjs) pinned to `cores`, resolving once it
     * prints `READY <port> <controlPort>`.
     * @param {Scenario} scenario @param {object} config its BENCH_SERVER_CONFIG, less the scenario
     * @param {{ nodeArgs?: string[], cores?: string }} [options]
     * @returns {Promise<RunningServer>}
     */
    startServer(scenario, config, { nodeArgs = [], cores = '0' } = {}) {
      const child = start(
        pinned(cores, [
          process.execPath,
          '--expose-gc',
          ...nodeArgs,
          join(BENCH_DIR, 'servers/server.mjs'),
        ]),
        { BENCH_SERVER_CONFIG: JSON.stringify({ scenario: scenario.id, ...config }) },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      return new Promise((resolve, reject) => {
        let stdout = '';
        const timer = setTimeout(
          () => reject(new Error(`${scenario.id} did not start: ${stderr}`)),
          20_000,
        );
        child.once('exit', (code) => {
          children.delete(child);
          clearTimeout(timer);
          reject(new Error(`${scenario.id} exited with ${code}: ${stderr}`));
        });
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
          const match = /READY (\d+) (\d+)/.exec(stdout);
          if (match) {
            clearTimeout(timer);
            resolve({
              scenario,
              port: Number(match[1]),
              baseUrl: `http://127.0.0.1:${match[1]}`,
              controlUrl: `http://127.0.0.1:${match[2]}`,
              child,
              stderr: () => stderr,
            });
          }
        });
      });
    },

    /** Stops a server: SIGTERM, SIGKILL after 10 s. @param {RunningServer} server */
    stopServer(server) {
      return new Promise((resolve) => {
        if (server.child.exitCode !== null) return resolve(undefined);
        const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
        server.child.once('exit', () => {
          clearTimeout(timer);
          children.delete(server.child);
          resolve(undefined);
        });
        server.child.kill('SIGTERM');
      });
    },

    /** Sends SIGTERM to every child still running. */
    stopAll() {
      for (const child of children) {
        try {
          child.kill('SIGTERM');
        } catch {}
      }
    },
  };
}

/** A port free on 127.0.0.1 now. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Calls a server's bench-only control endpoint: `/stats`, `/gc`, `/profile/start`,
 * `/profile/stop` (servers/server.mjs).
 * @param {RunningServer} server
 */
export const control = async (server, path = '/stats') =>
  (await fetch(server.controlUrl + path)).json();
