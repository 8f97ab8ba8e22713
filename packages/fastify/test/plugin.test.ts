import { createLatchkey, type Latchkey } from '@latchkey/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { latchkeyPlugin, requireAuth } from '../src/index';

/** An instance whose IdP is never contacted by these tests. */
function instance(baseUrl = 'http://127.0.0.1:3000'): Latchkey {
  return createLatchkey({
    issuer: 'http://127.0.0.1:9',
    clientId: 'plugin-test',
    clientSecret: 'plugin-test-secret',
    secrets: ['plugin-test-secret-plugin-test-secret'],
    baseUrl,
  });
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function fastify(): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  return app;
}

const sameOriginForm = {
  origin: 'http://127.0.0.1:3000',
  'content-type': 'application/x-www-form-urlencoded',
};

describe('latchkeyPlugin', () => {
  it("leaves the app's routes with the body parsers the app chose", async () => {
    const app = fastify();
    await app.register(latchkeyPlugin, { latchkey: instance() });
    app.post('/form', async (request) => request.body);
    app.post('/json', async (request) => request.body);

    const form = await app.inject({
      method: 'POST',
      url: '/form',
      headers: sameOriginForm,
      payload: 'a=1',
    });
    expect(form.statusCode).toBe(415);
    const json = await app.inject({ method: 'POST', url: '/json', payload: { a: 1 } });
    expect(json.json()).toEqual({ a: 1 });
    const logout = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: sameOriginForm,
      payload: 'a=1',
    });
    expect(logout.statusCode).toBe(303);
  });

  it("sends errors of the app's routes, latchkey's included, to Fastify's error handler", async () => {
    const app = fastify();
    app.setErrorHandler(async (error: Error & { code?: string }, _request, reply) =>
      reply.code(418).send({ handled: error.code ?? error.message }),
    );
    await app.register(latchkeyPlugin, { latchkey: instance() });
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    app.get('/token', async (request) => ({ token: await request.auth.getAccessToken() }));

    const boom = await app.inject('/boom');
    expect([boom.statusCode, boom.json()]).toEqual([418, { handled: 'boom' }]);
    const token = await app.inject('/token');
    expect([token.statusCode, token.json()]).toEqual([418, { handled: 'unauthenticated' }]);
  });

  it("keeps the app's own Set-Cookie lines next to latchkey's", async () => {
    const app = fastify();
    await app.register(latchkeyPlugin, { latchkey: instance() });
    app.get('/', async (_request, reply) => {
      reply.header('set-cookie', 'theme=dark; Path=/');
      reply.header('set-cookie', ['lang=en; Path=/']);
      return { ok: true };
    });
    const response = await app.inject({ url: '/', headers: { cookie: 'lk_session=garbage' } });
    const lines = response.headers['set-cookie'];
    expect(lines).toEqual([
      expect.stringMatching(/^lk_session=; .*Max-Age=0/),
      'theme=dark; Path=/',
      'lang=en; Path=/',
    ]);
  });

  it("sends the error of a guard used without the plugin to Fastify's error handler", async () => {
    const app = fastify();
    app.setErrorHandler(async (error: Error, _request, reply) =>
      reply.code(500).send({ caught: error.message }),
    );
    app.get('/private', { preHandler: requireAuth() }, async () => 'never');
    const response = await app.inject('/private');
    expect([response.statusCode, response.json()]).toEqual([
      500,
      { caught: 'latchkey guards need app.register(latchkeyPlugin, ...) before them.' },
    ]);
  });

  it('guards routes of child contexts and leaves signed-out requests out', async () => {
    const app = fastify();
    await app.register(latchkeyPlugin, { latchkey: instance() });
    await app.register(async (child) => {
      child.get('/private', { preHandler: requireAuth() }, async () => 'secret');
    });
    const api = await app.inject({ url: '/private', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(401);
    expect(api.json()).toMatchObject({ error: 'unauthenticated' });
    const page = await app.inject({
      url: '/private',
      headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' },
    });
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe('/auth/login?returnTo=%2Fprivate');
  });

  it('mounts the routes under the path of the base URL', async () => {
    const app = fastify();
    await app.register(latchkeyPlugin, { latchkey: instance('http://127.0.0.1:3000/app') });
    const session = await app.inject('/app/auth/session');
    expect(session.json()).toEqual({ authenticated: false });
    expect((await app.inject('/auth/session')).statusCode).toBe(404);
  });

  it('fails clearly when a guard runs without the plugin, or the plugin is under a prefix', async () => {
    const app = fastify();
    app.get('/private', { preHandler: requireAuth() }, async () => 'secret');
    const response = await app.inject('/private');
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ message: expect.stringMatching(/latchkeyPlugin/) });

    const prefixed = fastify();
    const register = prefixed.register(
      async (api) => {
        await api.register(latchkeyPlugin, { latchkey: instance() });
      },
      { prefix: '/api' },
    );
    await expect(register).rejects.toThrow(/outside prefixed plugins/);
  });
});
