import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { close, freePort, isListening, listen, waitForPort } from './servers';

describe('servers', () => {
  it('listens on a free loopback port and returns the origin', async () => {
    const server = createServer((_req, res) => res.end('hello'));
    const origin = await listen(server);
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(origin)).text()).toBe('hello');
    await close(server);
    expect(server.listening).toBe(false);
  });

  it('closes promptly even with a keep-alive connection open', async () => {
    const server = createServer((_req, res) => res.end('kept'));
    server.keepAliveTimeout = 60_000;
    const origin = await listen(server);
    await (await fetch(origin)).text();
    const started = Date.now();
    await close(server);
    expect(Date.now() - started).toBeLessThan(1000);
    await close(server);
  });

  it('finds a free port that can be bound', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(server.address()).toMatchObject({ port });
    await close(server);
  });

  it('tells whether a port is listening and waits until that changes', async () => {
    const server = createServer();
    const port = Number(new URL(await listen(server)).port);
    expect(await isListening(port)).toBe(true);
    const closing = close(server);
    await waitForPort(port, false, 2000);
    await closing;
    expect(await isListening(port)).toBe(false);
    await expect(waitForPort(port, true, 200)).rejects.toThrow(
      `port ${port} was still closed after 200 ms`,
    );
  });
});
