import type { Server } from 'node:http';
import { connect, createServer } from 'node:net';

/** The loopback address every test server binds to. */
const LOOPBACK = '127.0.0.1';

/** Formats `host:port` for a URL, bracketing IPv6 literals. */
function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Starts `server` on a free port of `host` (default `127.0.0.1`).
 *
 * @returns The server's origin, e.g. `'http://127.0.0.1:43121'`.
 */
export function listen(server: Server, host: string = LOOPBACK): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(0, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`server did not bind a TCP port on ${host}`));
        return;
      }
      resolve(`http://${hostForUrl(host)}:${address.port}`);
    });
  });
}

/**
 * Ports {@link freePort} picks from: below Linux's default ephemeral range (32768-60999), from
 * which the kernel assigns `listen(0)`, so that a server another test binds to port 0 between
 * `freePort()` and the program's own `listen` cannot take the port.
 */
const RESERVED_RANGE = { from: 20_000, to: 32_767 };

/** Resolves whether `port` on `127.0.0.1` could be bound right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error),
    );
    probe.listen(port, LOOPBACK, () => probe.close(() => resolve(true)));
  });
}

/**
 * Finds a TCP port on `127.0.0.1` that is free right now, for programs that need their port
 * before they start (prefer {@link listen} when you own the server). It is picked at random
 * below the ephemeral range (see {@link RESERVED_RANGE}).
 */
export async function freePort(): Promise<number> {
  const span = RESERVED_RANGE.to - RESERVED_RANGE.from + 1;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = RESERVED_RANGE.from + Math.floor(Math.random() * span);
    if (await canBind(port)) return port;
  }
  throw new Error('could not find a free port');
}

/**
 * Stops `server` and ends its open connections, keep-alive ones included, so a
 * test run never waits for idle sockets to time out. Resolves at once when the
 * server is not listening.
 */
export function close(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => {
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING')
        reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}

/** Resolves true when something accepts TCP connections on `127.0.0.1:port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port });
    socket.setTimeout(1000);
    const settle = (listening: boolean): void => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  });
}

/**
 * Waits until `127.0.0.1:port` accepts connections (`listening` true) or refuses them
 * (`listening` false), checking every 50 ms.
 *
 * @throws After `timeoutMs` (default 10 s), naming the port and what was awaited.
 */
export async function waitForPort(
  port: number,
  listening: boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await isListening(port)) !== listening) {
    if (Date.now() > deadline) {
      throw new Error(
        `port ${port} was still ${listening ? 'closed' : 'in use'} after ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
