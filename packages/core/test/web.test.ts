// The Web-standard entry in a Hono app (Hono is a dev dependency of this test only), against
// test-utils' hostile IdP in its well-behaved mode. The app below is the core README's example.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type AuthContext, createLatchkey, requireAuth } from '../src/index';
import { baseUrl, cookiesAfter, hostileClient, secrets, useHostileIdp } from './hostile';

const hostile = useHostileIdp();
const JSON_POST = {
  accept: 'application/json',
  'content-type': 'application/x-www-form-urlencoded',
};

/** The README's Hono app: latchkey's routes, `c.var.auth` on every other request, a guard. */
function honoApp(issuer: string) {
  const auth = createLatchkey({ issuer, ...hostileClient, baseUrl, secrets });
  const app = new Hono<{ Variables: { auth: AuthContext } }>();
  app.use(async (c, next) => {
    const answer = await auth.fetch(c.req.raw);
    if (answer) return answer;
    const { auth: context, setCookies } = await auth.sessionOf(c.req.raw);
    c.set('auth', context);
    await next();
    for (const line of setCookies) c.res.headers.append('set-cookie', line);
    return undefined;
  });
  app.get('/me', (c) => requireAuth(c.var.auth) ?? c.json(c.var.auth.session!.user));
  return app;
}

describe('latchkey.fetch and sessionOf in Hono', () => {
  it('signs in through latchkey routes and guards an app route with the session', async () => {
    hostile.idp.mode = 'valid';
    const app = honoApp(hostile.idp.issuer);
    const json = { accept: 'application/json' };
    const signedOut = await app.request(`${baseUrl}/me`, { headers: json });
    expect(signedOut.status).toBe(401);
    expect(await signedOut.json()).toMatchObject({ error: 'unauthenticated' });

    const login = await app.request(`${baseUrl}/auth/login?returnTo=/me`);
    expect(login.status).toBe(302);
    const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
    const callback = await app.request(authorize.headers.get('location')!, {
      headers: { cookie: cookiesAfter(login) },
    });
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/me');

    const me = await app.request(`${baseUrl}/me`, {
      headers: { ...json, cookie: cookiesAfter(login, callback) },
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'hostile-user' });
  });

  it('sessionJsonOf gives a server render the JSON of /auth/session, signed in or out', async () => {
    hostile.idp.mode = 'valid';
    const auth = createLatchkey({ issuer: hostile.idp.issuer, ...hostileClient, baseUrl, secrets });
    const page = (cookie?: string) =>
      new Request(`${baseUrl}/dashboard`, { headers: cookie ? { cookie } : {} });
    expect(await auth.sessionJsonOf(page())).toEqual({
      session: { authenticated: false },
      setCookies: [],
    });
    const login = (await auth.fetch(new Request(`${baseUrl}/auth/login?returnTo=/`)))!;
    const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
    const callback = (await auth.fetch(
      new Request(authorize.headers.get('location')!, { headers: { cookie: cookiesAfter(login) } }),
    ))!;
    const cookie = cookiesAfter(login, callback);
    const { session } = await auth.sessionJsonOf(page(cookie));
    const route = await (await auth.fetch(
      new Request(`${baseUrl}/auth/session`, { headers: { cookie, accept: 'application/json' } }),
    ))!.json();
    expect(session).toMatchObject({ authenticated: true, user: { sub: 'hostile-user' } });
    expect(session).toEqual(route);
    expect(JSON.stringify(session)).not.toMatch(/eyJ/);
  });

  it('refuses a body over 64 KiB to its routes with 413, declared or not', async () => {
    const app = honoApp(hostile.idp.issuer);
    const post = (body: BodyInit) =>
      app.request(`${baseUrl}/auth/backchannel-logout`, {
        method: 'POST',
        headers: JSON_POST,
        body,
      });
    const declared = await post(`logout_token=${'x'.repeat(64 * 1024)}`);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'payload_too_large' });
    // Streamed without Content-Length: refused once read.
    const big = new TextEncoder().encode(`logout_token=${'x'.repeat(64 * 1024)}`);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(big);
        controller.close();
      },
    });
    const streamed = await app.request(`${baseUrl}/auth/backchannel-logout`, {
      method: 'POST',
      headers: JSON_POST,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const fine = await post('logout_token=not-a-token');
    expect(fine.status).toBe(400);
    expect(await fine.json()).toMatchObject({ error: 'logout_token_invalid' });
  });

  it('leaves requests that are not latchkey routes to the app', async () => {
    const app = honoApp(hostile.idp.issuer);
    expect((await app.request(`${baseUrl}/auth/unknown`)).status).toBe(404);
  });
});
