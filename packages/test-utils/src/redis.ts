import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from './servers';

/** A redis-server of a test's own, see {@link startRedisServer}. */
export interface RedisTestServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The loopback port it listens on, the same after {@link RedisTestServer.restart}. */
  readonly port: number;
  /** Stops the server (SIGTERM, SIGKILL after 3 s); resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
}

/** True under CI (`CI` set to anything but `''`, `0` or `false`). */
function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** Outside CI: prints why Redis tests are skipped and resolves undefined. Under CI: throws. */
function cannotRun(reason: string): undefined {
  if (inCi()) throw new Error(`Redis tests cannot run under CI: ${reason}`);
  console.warn(`[test-utils] Redis tests are skipped: ${reason}`);
  return undefined;
}

/** Resolves true when a Redis server at `host:port` answers PING (any reply, NOAUTH too). */
function answersPing(
  host: string,
  port: number,
  tls: boolean,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const socket: Socket = tls
      ? tlsConnect({ host, port, servername: host, rejectUnauthorized: false })
      : netConnect({ host, port });
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => finish(chunk[0] === 0x2b || chunk[0] === 0x2d)); // '+' or '-'
  });
}

/** The URL without credentials, for messages. */
function redacted(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** Where tests look for Redis when `REDIS_URL` is not set: the default port on this machine. */
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

/**
 * The Redis URL for tests: `REDIS_URL`, else a Redis on this machine's default port. Outside CI,
 * when the server does not answer PING, resolves undefined after printing why (the tests then
 * skip); under CI it throws.
 *
 * @example
 * const url = await redisUrlForTests();
 * describe.skipIf(!url)('on a shared Redis', () => { ... });
 */
export async function redisUrlForTests(): Promise<string | undefined> {
  const value = process.env.REDIS_URL || LOCAL_REDIS;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return cannotRun('REDIS_URL is not a URL.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return cannotRun(`REDIS_URL must start with redis:// or rediss://, not ${url.protocol}//.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  if (!(await answersPing(host, port, url.protocol === 'rediss:', 2000))) {
    return cannotRun(
      `no Redis answers at ${redacted(url)} (${process.env.REDIS_URL ? 'REDIS_URL' : 'set REDIS_URL to use another'}).`,
    );
  }
  return value;
}

/** Servers still running, stopped when the test process exits. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Why a redis-server did not start: a missing binary, a taken port, or something else. */
class LaunchError extends Error {
  constructor(
    message: string,
    readonly missingBinary: boolean,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

/**
 * Spawns redis-server on `port` (in `dir`, with `extra` arguments); resolves the child once it
 * answers PING (10 s at most).
 */
function launch(
  binary: string,
  port: number,
  extra: readonly string[] = [],
  dir = tmpdir(),
): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(binary, [...args, '--dir', dir, '--loglevel', 'warning', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-2000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: LaunchError): void => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      fail(
        new LaunchError(
          `${binary} could not start: ${error.message}`,
          error.code === 'ENOENT',
          false,
        ),
      );
    });
    child.once('exit', (code, signal) => {
      running.delete(child);
      fail(
        new LaunchError(
          `${binary} exited (${code ?? signal}) before answering PING: ${output.trim()}`,
          false,
          /address already in use/i.test(output),
        ),
      );
    });
    const deadline = Date.now() + 10_000;
    const poll = async (): Promise<void> => {
      while (!settled) {
        if (await answersPing('127.0.0.1', port, false, 500)) {
          if (settled) return;
          settled = true;
          running.add(child);
          installExitHook();
          resolve(child);
          return;
        }
        if (Date.now() > deadline) {
          fail(
            new LaunchError(
              `${binary} did not answer PING on port ${port} within 10 s`,
              false,
              false,
            ),
          );
          return;
        }
        await new Promise((wait) => setTimeout(wait, 25));
      }
    };
    void poll();
  });
}

/** Stops `child`: SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      running.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts a private redis-server on a free loopback port (no persistence), for tests that stop and
 * restart Redis or read its statistics. The binary is `REDIS_SERVER_BIN` or `redis-server` on the
 * PATH; when it is missing, resolves undefined after printing why outside CI and throws under CI.
 * Stop it in `afterAll`; one left running is killed when the test process exits.
 *
 * @example
 * const redis = await startRedisServer();
 * describe.skipIf(!redis)('when Redis goes away', () => { ... });
 */
export async function startRedisServer(): Promise<RedisTestServer | undefined> {
  const binary = process.env.REDIS_SERVER_BIN || 'redis-server';
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(binary, port);
    } catch (error) {
      if (error instanceof LaunchError && error.missingBinary) {
        return cannotRun(`${binary} is not installed (set REDIS_SERVER_BIN to its path).`);
      }
      // Another process took the free port between the probe and the start: try another.
      if (!(error instanceof LaunchError && error.portTaken && attempt < 3)) throw error;
    }
  }
  let current: ChildProcess | undefined = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      const stopping = current;
      current = undefined;
      if (stopping) await terminate(stopping);
    },
    async restart() {
      if (current) await terminate(current);
      current = await launch(binary, port);
    },
  };
}

/** A Redis Cluster of a test's own, see {@link startRedisCluster}. */
export interface RedisTestCluster {
  /** Its masters, as ioredis's `Cluster` takes them. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** Stops every node; resolves once all have exited. */
  stop(): Promise<void>;
}

/**
 * Starts a private Redis Cluster of three masters on free loopback ports (no persistence, no
 * replicas), joined with `redis-cli --cluster create`; resolves once every node says
 * `cluster_state:ok`. The binaries are `REDIS_SERVER_BIN` (or `redis-server`) and
 * `REDIS_CLI_BIN` (or `redis-cli`); when one is missing, resolves undefined after printing why
 * outside CI and throws under CI. Stop it in `afterAll`.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const client = new Cluster(cluster.nodes);
 */
export async function startRedisCluster(): Promise<RedisTestCluster | undefined> {
  const server = process.env.REDIS_SERVER_BIN || 'redis-server';
  const cli = process.env.REDIS_CLI_BIN || 'redis-cli';
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(terminate));
    rmSync(dir, { recursive: true, force: true });
  };
  const ports: number[] = [];
  try {
    while (children.length < 3) {
      const port = await freePort();
      try {
        children.push(
          await launch(
            server,
            port,
            ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
            dir,
          ),
        );
        ports.push(port);
      } catch (error) {
        if (error instanceof LaunchError && error.missingBinary) {
          await stop();
          return cannotRun(`${server} is not installed (set REDIS_SERVER_BIN to its path).`);
        }
        if (!(error instanceof LaunchError && error.portTaken)) throw error;
      }
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const created = await runCli(cli, ['--cluster', 'create', ...addresses, '--cluster-yes']);
    if (created.missing) {
      await stop();
      return cannotRun(`${cli} is not installed (set REDIS_CLI_BIN to its path).`);
    }
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.output}`);
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      while (
        !/cluster_state:ok/.test(
          (await runCli(cli, ['-p', String(port), 'cluster', 'info'])).output,
        )
      ) {
        if (Date.now() > deadline) throw new Error(`the cluster on ${addresses} did not become ok`);
        await new Promise((wait) => setTimeout(wait, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}

/** Runs redis-cli; resolves its exit code and output, or `missing` when it is not installed. */
function runCli(
  binary: string,
  args: readonly string[],
): Promise<{ code: number | null; output: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(binary, ['-h', '127.0.0.1', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: null, output: error.message, missing: error.code === 'ENOENT' }),
    );
    child.once('close', (code) => resolve({ code, output, missing: false }));
  });
}
