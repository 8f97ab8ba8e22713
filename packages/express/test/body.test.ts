import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { BODY_LIMIT } from '@latchkey/adapter-tests';
import { createLatchkey, type Latchkey } from '@latchkey/core';
import { close, listen, TestBrowser } from '@latchkey/test-utils';
import express5, { type RequestHandler } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { latchkey } from '../src/index';

type ExpressModule = typeof express5;

/** An app whose IdP is never contacted: signed-out sign-out needs none. */
async function startBodyApp(expressModule: ExpressModule, before: RequestHandler[]) {
  let app: ReturnType<ExpressModule> | undefined;
  const server = createServer((req, res) => app!(req, res));
  const url = await listen(server);
  const instance = createLatchkey({
    issuer: 'http://127.0.0.1:9',
    clientId: 'body-test',
    clientSecret: 'body-test-secret',
    secrets: ['body-test-secret-body-test-secret-1'],
    baseUrl: url,
  });
  app = expressModule();
  for (const middleware of before) app.use(middleware);
  app.use(latchkey(instance));
  app.post('/echo', expressModule.urlencoded({ extended: false }), (req, res) => {
    res.json(req.body);
  });
  const received = spyOnBodies(instance);
  return { url, received, stop: () => close(server) };
}

/** The bodies latchkey is handed (requests without one are not listed). */
function spyOnBodies(instance: Latchkey): string[] {
  const received: string[] = [];
  const handle = instance.handle.bind(instance);
  vi.spyOn(instance, 'handle').mockImplementation(async (request) => {
    const response = await handle(request);
    // Read once by latchkey (if at all) and kept: what it was handed, or nothing when refused.
    const body = await request.text().catch(() => '');
    if (body) received.push(body);
    return response;
  });
  return received;
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function startApp(expressModule: ExpressModule, before: RequestHandler[] = []) {
  const app = await startBodyApp(expressModule, before);
  stops.push(app.stop);
  return app;
}

const form = 'confirm=yes&note=caf%C3%A9+cr%C3%A8me&tag=a&tag=b';

function postForm(url: string, body: string, contentType = 'application/x-www-form-urlencoded') {
  return new TestBrowser().request(`${url}/auth/logout`, {
    method: 'POST',
    headers: { origin: url, 'content-type': contentType },
    body,
  });
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s: the body of a POST to latchkey', (_name, expressModule) => {
  it('is read from the stream when no body parser ran', async () => {
    const app = await startApp(expressModule);
    expect((await postForm(app.url, form)).status).toBe(303);
    expect(app.received).toEqual([form]);
  });

  it.each([
    ['express.urlencoded()', () => expressModule.urlencoded({ extended: false })],
    ['express.urlencoded({ extended: true })', () => expressModule.urlencoded({ extended: true })],
  ])('is re-encoded from req.body after %s', async (_parser, parser) => {
    const app = await startApp(expressModule, [parser()]);
    expect((await postForm(app.url, form)).status).toBe(303);
    expect([...new URLSearchParams(app.received[0])]).toEqual([...new URLSearchParams(form)]);
  });

  it('is still read from the stream after a parser for another type (Express 4 sets req.body = {})', async () => {
    const app = await startApp(expressModule, [expressModule.json()]);
    expect((await postForm(app.url, form)).status).toBe(303);
    expect(app.received).toEqual([form]);
  });

  it('keeps JSON as JSON after express.json()', async () => {
    const app = await startApp(expressModule, [expressModule.json()]);
    const json = '{"confirm":"yes"}';
    expect((await postForm(app.url, json, 'application/json')).status).toBe(303);
    expect(app.received).toEqual([json]);
  });

  it.each([
    ['express.text()', () => expressModule.text({ type: '*/*' })],
    ['express.raw()', () => expressModule.raw({ type: '*/*' })],
  ])('is the string or Buffer that %s left in req.body', async (_parser, parser) => {
    const app = await startApp(expressModule, [parser()]);
    expect((await postForm(app.url, form)).status).toBe(303);
    expect(app.received).toEqual([form]);
  });

  it('is refused with 413 over 64 KiB, also when it is sent without Content-Length', async () => {
    const app = await startApp(expressModule);
    const declared = await postForm(app.url, `confirm=${'x'.repeat(BODY_LIMIT)}`);
    expect(declared.status).toBe(413);
    // A form post is a page request: the HTML error page names the code.
    expect(declared.body).toContain('payload_too_large');

    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${app.url}/auth/logout`, {
        method: 'POST',
        headers: { origin: app.url, 'content-type': 'application/x-www-form-urlencoded' },
      });
      request.on('error', reject);
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      for (let i = 0; i < 8; i++) request.write('x'.repeat(BODY_LIMIT / 4));
      request.end();
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toContain('payload_too_large');
    expect(app.received).toEqual([]);
  });

  it("is left for the app's own routes to parse", async () => {
    const app = await startApp(expressModule);
    const echo = await new TestBrowser().request(`${app.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(echo.json()).toEqual({ a: '1' });
    expect(app.received).toEqual([]);
  });

  it('prints nothing when the client goes away before its body ended, and keeps serving', async () => {
    const app = await startApp(expressModule, [
      (req, _res, next) => {
        // Express logs errors that reach its final handler outside NODE_ENV=test: as in production.
        req.app.set('env', 'production');
        next();
      },
    ]);
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { hostname, port } = new URL(app.url);
      const socket = connect(Number(port), hostname);
      await new Promise((resolve) => socket.on('connect', resolve));
      socket.write(
        `POST /auth/logout HTTP/1.1\r\nHost: ${hostname}\r\nOrigin: ${app.url}\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nconfirm=',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(printed).not.toHaveBeenCalled();
      expect((await postForm(app.url, form)).status).toBe(303);
    } finally {
      printed.mockRestore();
    }
  });
});
