import { createServer } from 'node:http';
import { createLatchkey, type LatchkeyOptions } from '@latchkey/core';
import { type DevIdp, signInAtDevIdp, startDevIdp } from '@latchkey/dev-idp';
import { latchkey, requireAuth } from '@latchkey/express';
import { close, freePort, listen, startRedisServer, TestBrowser } from '@latchkey/test-utils';
import express from 'express';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRevocationList, RedisSessionStore } from '../src/index';
import { adminClient, keysUnder, layout, sleep, storeNameOf } from './support';

const keys = layout('latchkey:');

const server = await startRedisServer();

const SECRET = 'redis-test-secret-redis-test-secret-123';
/** Where the store keeps the session of latchkey's session id `id`. */
const sessionKey = (id: string) => keys.session(storeNameOf(SECRET, id));
/** The apps' time: `offset` ms ahead of the real one, to make access tokens expire. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };
const CLIENT = { clientId: 'redis-app', clientSecret: 'redis-app-secret' };
const alice = { username: 'alice', password: 'alice-password' };
const json = { accept: 'application/json' };

interface App {
  url: string;
  stop(): Promise<void>;
}

/** An Express app with latchkey, like the README's, on a free port. */
async function startApp(
  issuer: string,
  backend: Pick<LatchkeyOptions, 'store' | 'revocations'>,
): Promise<App> {
  let app: ReturnType<typeof express> | undefined;
  const http = createServer((req, res) => app!(req, res));
  const url = await listen(http);
  const auth = createLatchkey({
    ...CLIENT,
    issuer,
    baseUrl: url,
    secrets: [SECRET],
    now: clock.now,
    ...backend,
  });
  app = express();
  app.use(latchkey(auth));
  app.get('/profile', requireAuth(), (req, res) => {
    res.json({ user: req.auth.session!.user });
  });
  app.get('/token', requireAuth(), async (req, res) => {
    res.json({ token: await req.auth.getAccessToken() });
  });
  return { url, stop: () => close(http) };
}

describe.skipIf(!server)('Express apps on one Redis (a private redis-server)', () => {
  let idp: DevIdp;
  let admin: Redis;
  const stores: Array<{ close(): Promise<void> }> = [];
  let storeA: App;
  let storeB: App;
  let statelessA: App;
  let statelessB: App;

  beforeAll(async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`;
    const store = () => {
      const created = new RedisSessionStore({ url: server!.url, onError: () => {} });
      stores.push(created);
      return created;
    };
    const revocations = () => {
      const created = new RedisRevocationList({ url: server!.url, onError: () => {} });
      stores.push(created);
      return created;
    };
    storeA = await startApp(issuer, { store: store() });
    storeB = await startApp(issuer, { store: store() });
    statelessA = await startApp(issuer, { revocations: revocations() });
    statelessB = await startApp(issuer, { revocations: revocations() });
    const apps = [storeA, storeB, statelessA, statelessB];
    idp = await startDevIdp({
      port: Number(new URL(issuer).port),
      clients: [
        {
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
          redirect_uris: apps.map((app) => `${app.url}/auth/callback`),
          post_logout_redirect_uris: apps.map((app) => `${app.url}/auth/signed-out`),
          backchannel_logout_uri: `${storeB.url}/auth/backchannel-logout`,
        },
      ],
    });
    admin = adminClient(server!.url);
  });
  afterAll(async () => {
    await Promise.all([storeA, storeB, statelessA, statelessB].map((app) => app?.stop()));
    await Promise.all(stores.map((store) => store.close()));
    admin?.disconnect();
    await idp?.stop();
    await server?.stop();
  });

  async function signIn(app: App) {
    const browser = new TestBrowser();
    const landed = await signInAtDevIdp(browser, await browser.get(`${app.url}/profile`), alice);
    expect(landed.status).toBe(200);
    // The jar also holds the IdP's cookies (same host, other port): keep the app's.
    const cookies = (await browser.cookies(app.url)).filter((c) => c.name.startsWith('lk_session'));
    return { browser, cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '), cookies };
  }

  it('keeps the session in Redis: the cookie holds only an id, any instance reads it', async () => {
    const { browser, cookies } = await signIn(storeA);
    expect(cookies.map((c) => c.name)).toEqual(['lk_session']);
    const sessionId = cookies[0]!.value;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = JSON.parse((await admin.get(sessionKey(sessionId)))!);
    expect(stored).toEqual({
      sub: storeNameOf(SECRET, 'usr_alice'),
      idpSid: expect.stringMatching(/^[\w-]{43}$/),
      data: { jwe: expect.any(String) },
    });
    expect(
      await admin.zscore(keys.bySub(stored.sub), storeNameOf(SECRET, sessionId)),
    ).not.toBeNull();

    const other = await browser.request(`${storeB.url}/profile`, { headers: json });
    expect(other.status).toBe(200);
    expect(other.json()).toMatchObject({ user: { name: expect.stringContaining('Alice') } });
  });

  it('leaves in Redis no token, email, name or session id, after sign-in and after a refresh', async () => {
    const { browser, cookies } = await signIn(storeA);
    const sessionId = cookies[0]!.value;
    clock.offset = 3601 * 1000; // the access token has expired: the next use refreshes it
    const refreshes = () => idp.grants.filter((grant) => grant.grantType === 'refresh_token');
    const before = refreshes().length;
    let token: string;
    try {
      const refreshed = await browser.request(`${storeB.url}/token`, { headers: json });
      expect(refreshed.status).toBe(200);
      token = (refreshed.json() as { token: string }).token;
    } finally {
      clock.offset = 0;
    }
    expect(refreshes().length).toBe(before + 1);
    const dump: string[] = [];
    for (const key of await keysUnder(admin, '')) {
      const type = await admin.type(key);
      const value =
        type === 'string'
          ? await admin.get(key)
          : type === 'zset'
            ? (await admin.zrange(key, 0, -1)).join(' ')
            : type;
      dump.push(`${key} ${value}`);
    }
    const everything = dump.join('\n');
    expect(everything).toContain(storeNameOf(SECRET, sessionId));
    for (const secret of [sessionId, token, 'usr_alice', 'alice@example.com', 'Alice', 'Example']) {
      expect(everything).not.toContain(secret);
    }
    // No JWT (ID, access or logout token) and no opaque token outside the sealed records.
    expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+(?!\.)/);
  });

  it('refuses both sessions when their records are swapped in Redis', async () => {
    const first = await signIn(storeA);
    const second = await signIn(storeA);
    const [a, b] = [sessionKey(first.cookies[0]!.value), sessionKey(second.cookies[0]!.value)];
    const [valueA, valueB] = [await admin.get(a), await admin.get(b)];
    await admin.set(a, valueB!, 'KEEPTTL');
    await admin.set(b, valueA!, 'KEEPTTL');
    for (const { cookie } of [first, second]) {
      const page = await new TestBrowser().request(`${storeB.url}/profile`, {
        headers: { ...json, cookie },
      });
      expect(page.status).toBe(401);
      expect(page.json()).toMatchObject({ error: 'session_invalid' });
    }
  });

  it('signing out on one instance ends the session on all of them', async () => {
    const { browser, cookie, cookies } = await signIn(storeA);
    const logout = await browser.request(`${storeA.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: storeA.url },
    });
    expect(logout.status).toBe(303);
    expect(await admin.exists(sessionKey(cookies[0]!.value))).toBe(0);
    const replay = await new TestBrowser().request(`${storeB.url}/profile`, {
      headers: { ...json, cookie },
    });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'session_revoked' });
  });

  it('a sign-out at the IdP (back-channel logout to one instance) ends the sessions of all', async () => {
    const { browser, cookie, cookies } = await signIn(storeA);
    // A second sign-in, on the other instance: the same IdP session (no password asked), a new
    // app session that replaces the first one's cookie (same host), and so ends the first one.
    const other = await browser.get(`${storeB.url}/auth/login?returnTo=%2Fprofile`);
    expect(other.url).toBe(`${storeB.url}/profile`);
    const otherId = (await browser.cookies(storeB.url)).find((c) => c.name === 'lk_session')!.value;
    expect(otherId).not.toBe(cookies[0]!.value);
    expect(await admin.exists(sessionKey(cookies[0]!.value))).toBe(0);
    const ids = [otherId];
    for (const id of ids) expect(await admin.exists(sessionKey(id))).toBe(1);

    const discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    const confirm = await browser.get(discovery.end_session_endpoint);
    await browser.submitForm(confirm);
    const started = performance.now();
    while ((await admin.exists(...ids.map((id) => sessionKey(id)))) > 0) {
      expect(performance.now() - started).toBeLessThan(3000);
      await sleep(20);
    }
    const replay = await new TestBrowser().request(`${storeA.url}/profile`, {
      headers: { ...json, cookie },
    });
    expect(replay.status).toBe(401);
  });

  it('stateless sessions: a sign-out on one instance is refused by the others', async () => {
    const { browser, cookie } = await signIn(statelessA);
    expect(cookie.length).toBeGreaterThan(200); // the sealed session itself
    const before = await new TestBrowser().request(`${statelessB.url}/profile`, {
      headers: { ...json, cookie },
    });
    expect(before.status).toBe(200);
    await browser.request(`${statelessA.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: statelessA.url },
    });
    const replay = await new TestBrowser().request(`${statelessB.url}/profile`, {
      headers: { ...json, cookie },
    });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'session_revoked' });
  });

  it('answers 503 store_unavailable while Redis is down, and recovers when it is back', async () => {
    const { cookie } = await signIn(storeA);
    const stateless = await signIn(statelessA);
    await server!.stop();
    for (const [url, sessionCookie] of [
      [storeA.url, cookie],
      [statelessA.url, stateless.cookie],
    ] as const) {
      const started = performance.now();
      const down = await new TestBrowser().request(`${url}/auth/session`, {
        headers: { ...json, cookie: sessionCookie },
      });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(down.status).toBe(503);
      expect(down.json()).toMatchObject({ error: 'store_unavailable' });
      expect(down.body).not.toMatch(/redis/i); // the reason stays in the error's cause, for logs
      const api = await new TestBrowser().request(`${url}/profile`, {
        headers: { ...json, cookie: sessionCookie },
      });
      expect(api.status).toBe(503); // the body is the adapter's (Express's error handler here)
    }
    await server!.restart();
    const restarted = performance.now();
    for (;;) {
      const page = await new TestBrowser().request(`${statelessA.url}/auth/session`, {
        headers: { ...json, cookie: stateless.cookie },
      });
      if (page.status === 200) {
        expect(page.json()).toMatchObject({ authenticated: true });
        break;
      }
      expect(performance.now() - restarted).toBeLessThan(5000);
      await sleep(50);
    }
  });
});
