import { describe, expect, it } from 'vitest';
import { requireAuth } from './guards';
import { createLatchkey } from './latchkey';
import { fromNodeRequest } from './node';
import { BODY_LIMIT } from './request';
import { type RouteInput, Routes } from './routes';

const answer = (text: string) => async () => new Response(text);
const table = {
  '/login': { GET: answer('login') },
  '/echo': {
    POST: async (_request: unknown, { body }: RouteInput) => new Response(`body: ${body}`),
  },
  '/logout': { GET: answer('page'), POST: answer('logout') },
  '/items/:id': {
    GET: async (_request: unknown, { params }: RouteInput) => new Response(`get ${params.id}`),
    PATCH: async (_request: unknown, { body, params }: RouteInput) =>
      new Response(`patch ${params.id} ${body}`),
    DELETE: async (_request: unknown, { body, params }: RouteInput) =>
      new Response(`delete ${params.id}${body}`),
  },
  '/fail': {
    GET: async () => {
      throw new Error('boom');
    },
  },
};

const options = {
  issuer: 'https://idp.example.com',
  clientId: 'app',
  clientSecret: 's',
  secrets: ['routes-test-secret-routes-test-secret-1'],
};

describe('Routes.routeOf', () => {
  it('claims exactly its routes under the base path', () => {
    const routes = new Routes('/auth', table);
    const route = (url: string) => routes.routeOf(new Request(url));
    expect(route('https://app.example.com/auth/login')).toBe('/login');
    expect(route('https://app.example.com/auth/logout?x=1')).toBe('/logout');
    expect(route('https://app.example.com/auth/login#top')).toBe('/login');
    expect(route('https://app.example.com/auth/unknown')).toBeUndefined();
    expect(route('https://app.example.com/auth/login/more')).toBeUndefined();
    expect(route('https://app.example.com/auth/toString')).toBeUndefined();
    expect(route('https://app.example.com/auth')).toBeUndefined();
    expect(route('https://app.example.com/authx/login')).toBeUndefined();
    expect(route('https://app.example.com/api/auth/login')).toBeUndefined();
    expect(route('https://app.example.com/?next=/auth/login')).toBeUndefined();
  });

  it('honours the path of the base URL, also for requests from Node', () => {
    const instance = createLatchkey({ ...options, baseUrl: 'https://app.example.com/shop' });
    const routes = new Routes('/shop/auth', table);
    const route = (url: string) => routes.routeOf(fromNodeRequest(instance, { url, headers: {} }));
    expect(route('/shop/auth/login')).toBe('/login');
    expect(route('//shop/auth/login')).toBe('/login');
    expect(route('/auth/login')).toBeUndefined();
    expect(route('/shop/authx')).toBeUndefined();
  });
});

describe('Routes.handle', () => {
  const routes = new Routes('/auth', table);
  const handle = (path: string, method = 'GET') =>
    routes.handle(
      new Request(`https://app.example.com${path}`, {
        method,
        headers: { accept: 'application/json' },
      }),
    );

  it('dispatches by path and method, and leaves other paths to the app', async () => {
    expect(await (await handle('/auth/login'))!.text()).toBe('login');
    expect(await (await handle('/auth/logout'))!.text()).toBe('page');
    expect(await (await handle('/auth/logout', 'POST'))!.text()).toBe('logout');
    expect(await handle('/auth/unknown')).toBeUndefined();
  });

  it('answers other methods 405 method_not_allowed with every method the route takes', async () => {
    const login = (await handle('/auth/login', 'DELETE'))!;
    expect(login.status).toBe(405);
    expect(login.headers.get('allow')).toBe('GET');
    expect(await login.json()).toEqual({
      error: 'method_not_allowed',
      message: 'This route only answers GET.',
    });
    expect((await handle('/auth/logout', 'PUT'))!.headers.get('allow')).toBe('GET, POST');
  });

  it('hands a POST handler the body, read once, and refuses one over 64 KiB with 413', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      routes.handle(
        new Request('https://app.example.com/auth/echo', {
          method: 'POST',
          headers: { accept: 'application/json', ...headers },
          body,
        }),
      );
    expect(await (await post('a=1'))!.text()).toBe('body: a=1');
    const exact = 'é'.repeat(BODY_LIMIT / 2);
    expect(await (await post(exact))!.text()).toHaveLength(6 + BODY_LIMIT / 2);
    const declaredExact = await post(exact, { 'content-length': String(BODY_LIMIT) });
    expect(declaredExact!.status).toBe(200);
    const over = (await post('é'.repeat(BODY_LIMIT / 2 + 1)))!;
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ error: 'payload_too_large' });
    // A declared length over the limit is refused before the body is read.
    const declared = (await post('a=1', { 'content-length': String(BODY_LIMIT + 1) }))!;
    expect(declared.status).toBe(413);
  });

  it('matches a :name segment to one non-empty, decoded path segment', async () => {
    const routes = new Routes('/auth', table);
    const route = (path: string) => routes.match(new Request(`https://app.example.com${path}`));
    expect(route('/auth/items/abc')).toEqual({ route: '/items/:id', params: { id: 'abc' } });
    expect(route('/auth/items/a%20b?x=1')?.params).toEqual({ id: 'a b' });
    for (const path of [
      '/auth/items/',
      '/auth/items',
      '/auth/items/a/b',
      '/auth/items/a%2Fb',
      '/auth/items/%E0',
    ]) {
      expect(route(path)).toBeUndefined();
    }
    expect(await (await handle('/auth/items/k1'))!.text()).toBe('get k1');
  });

  it('reads the body of a PATCH, none of a DELETE, and lists every method in Allow', async () => {
    const send = (method: string, body?: string) =>
      routes.handle(
        new Request('https://app.example.com/auth/items/k1', {
          method,
          headers: { accept: 'application/json' },
          ...(body === undefined ? {} : { body }),
        }),
      );
    expect(await (await send('PATCH', '{"name":"n"}'))!.text()).toBe('patch k1 {"name":"n"}');
    expect(await (await send('DELETE'))!.text()).toBe('delete k1');
    const put = (await send('PUT', 'x'))!;
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, PATCH, DELETE');
  });

  it('turns a failing handler into an error response instead of throwing', async () => {
    const response = (await handle('/auth/fail'))!;
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: 'internal_error' });
  });
});

describe('the routes option', () => {
  const latchkey = createLatchkey({
    ...options,
    baseUrl: 'https://app.example.com',
    routes: { login: '/sign-in', callback: '/oidc/return', stepUp: false },
  });
  const owns = (path: string) => latchkey.owns(new Request(`https://app.example.com${path}`));

  it('lists the paths of the routes it answers, for frameworks that register routes', () => {
    expect([...latchkey.routePaths].sort()).toEqual([
      '/auth/backchannel-logout',
      '/auth/logout',
      '/auth/oidc/return',
      '/auth/session',
      '/auth/sign-in',
      '/auth/signed-out',
    ]);
  });

  it('moves a route to its new path and leaves a turned-off one to the app', async () => {
    expect(owns('/auth/sign-in')).toBe(true);
    expect(owns('/auth/login')).toBe(false);
    expect(owns('/auth/oidc/return')).toBe(true);
    expect(owns('/auth/step-up')).toBe(false);
    expect(owns('/auth/session')).toBe(true);
    expect(latchkey.config.redirectUri).toBe('https://app.example.com/auth/oidc/return');
    const stepUp = await latchkey.handle(new Request('https://app.example.com/auth/step-up?acr=x'));
    expect(stepUp).toBeUndefined();
  });

  it('sends guards to the moved sign-in route', async () => {
    const page = new Request('https://app.example.com/reports', {
      headers: { 'sec-fetch-mode': 'navigate' },
    });
    const context = await latchkey.authenticate(page, () => {});
    expect(requireAuth(context)?.headers.get('location')).toBe('/auth/sign-in?returnTo=%2Freports');
  });
});
