import { createServer } from 'node:http';
import { close, listen } from '@latchkey/test-utils';
import express5, { type ErrorRequestHandler } from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { requireAuth, requireRole } from '../src/index';

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
])('%s: guards without the latchkey() middleware', (_name, expressModule) => {
  it("hand their error to the app's error handler", async () => {
    const app = expressModule();
    app.get('/private', requireAuth(), (_req, res) => res.send('never'));
    app.get('/admin', requireRole('admin'), (_req, res) => res.send('never'));
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      res.status(500).json({ caught: (error as Error).message });
    };
    app.use(handler);
    const server = createServer(app);
    const url = await listen(server);
    try {
      for (const path of ['/private', '/admin']) {
        const response = await fetch(`${url}${path}`);
        expect(response.status).toBe(500);
        expect(await response.json()).toEqual({
          caught: 'latchkey guards need app.use(latchkey(...)) mounted before them.',
        });
      }
    } finally {
      await close(server);
    }
  });
});
