import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What a {@link FaultProxy} does to each new connection:
 * - `pass`: forwards both ways, untouched;
 * - `delay`: forwards, holding each chunk of the answer `delayMs` first;
 * - `drop`: accepts, then closes at once, before any byte;
 * - `reset`: forwards the request, then resets the connection (RST) at the first byte of the
 *   answer: the server did the work, the client never hears of it;
 * - `blackhole`: accepts and never answers (the request goes nowhere);
 * - `half`: forwards the request, then sends the answer's headers and half of what follows them in
 *   the same chunk (or of the next one), and closes: a body cut short.
 */
export type FaultMode = 'pass' | 'delay' | 'drop' | 'reset' | 'blackhole' | 'half';

/** A TCP proxy that misbehaves on demand, see {@link startFaultProxy}. */
export interface FaultProxy {
  /** Its loopback port. */
  readonly port: number;
  /**
   * What it does from now on: to new connections, or with `when`, to each connection from the
   * request that matches on. Default `pass`.
   */
  mode: FaultMode;
  /**
   * Only requests whose bytes match break (e.g. `/^POST \/token /m`, for the IdP's token
   * endpoint); the others pass. Default: every connection breaks.
   */
  when: RegExp | undefined;
  /** The wait of `delay`, in ms. Default 1000. */
  delayMs: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Back to `pass`, and every open connection closed, so clients reconnect through it. */
  heal(): void;
  /** Stops it and closes every connection. */
  stop(): Promise<void>;
}

/**
 * Starts a TCP proxy on a free loopback port in front of `target`, for outage tests: put it
 * between latchkey and the IdP or Redis, change `mode`, and see latchkey fail fast with a typed
 * error and recover once it is healed.
 */
export async function startFaultProxy(target: {
  host?: string;
  port: number;
}): Promise<FaultProxy> {
  const open = new Set<Socket>();
  let connections = 0;
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
  };
  const proxy: FaultProxy = {
    port: 0,
    mode: 'pass',
    when: undefined,
    delayMs: 1000,
    get connections() {
      return connections;
    },
    heal() {
      proxy.mode = 'pass';
      proxy.when = undefined;
      for (const socket of open) socket.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    connections += 1;
    track(client);
    // This connection's fault: chosen now, or with `when`, at the first request that matches.
    let fault: FaultMode = proxy.when ? 'pass' : proxy.mode;
    if (fault === 'drop') return void client.destroy();
    if (fault === 'blackhole') return void client.resume();
    const upstream = connect(target.port, target.host ?? '127.0.0.1');
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      if (proxy.when) proxy.when.lastIndex = 0; // a /g or /y pattern would match every other time
      if (fault === 'pass' && proxy.when?.test(chunk.toString('latin1'))) fault = proxy.mode;
      if (fault === 'drop') return void client.destroy();
      if (fault !== 'blackhole') upstream.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let headersSent = false;
    upstream.on('data', (chunk: Buffer) => {
      if (fault === 'reset') return void client.resetAndDestroy();
      if (fault === 'half') {
        if (client.writableEnded) return;
        const bodyAt = headersSent ? 0 : chunk.indexOf('\r\n\r\n') + 4;
        if (bodyAt === 3) return void client.write(chunk); // the headers go on in the next chunk
        headersSent = true;
        if (bodyAt === chunk.length) return void client.write(chunk); // the body comes next
        return void client.end(chunk.subarray(0, bodyAt + Math.ceil((chunk.length - bodyAt) / 2)));
      }
      if (fault === 'delay') {
        upstream.pause();
        setTimeout(() => {
          client.write(chunk);
          upstream.resume();
        }, proxy.delayMs);
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { port: number }).port = (server.address() as { port: number }).port;
  return proxy;
}
