import { describe, expect, it } from 'vitest';
import { requireAuth } from './guards';
import { createLatchkey } from './latchkey';
import { fromNodeRequest } from './node';
import { Routes } from './routes';

const answer = (text: string) => async () => new Response(text);
const table = {
  '/login': { GET: answer('login') },
  '/logout': { GET: answer('page'), POST: answer('logout') },
  '/fail': {
    GET: async () => {
      throw new Error('boom');
    },
  },
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
    const base = new URL('https://app.example.com/shop');
    const routes = new Routes('/shop/auth', table);
    const route = (url: string) => routes.routeOf(fromNodeRequest({ url, headers: {} }, base));
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

  it('turns a failing handler into an error response instead of throwing', async () => {
    const response = (await handle('/auth/fail'))!;
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: 'internal_error' });
  });
});

describe('the routes option', () => {
  const latchkey = createLatchkey({
    issuer: 'https://idp.example.com',
    clientId: 'app',
    clientSecret: 's',
    baseUrl: 'https://app.example.com',
    secrets: ['routes-test-secret-routes-test-secret-1'],
    routes: { login: '/sign-in', callback: '/oidc/return', stepUp: false },
  });
  const owns = (path: string) => latchkey.owns(new Request(`https://app.example.com${path}`));

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
