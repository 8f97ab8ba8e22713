// Redis going away at the worst moments, made by test-utils' fault proxy between latchkey and a
// Redis of the file's own (the network is the one stand-in): right after a refresh, and while a
// refresh lock is held. The sign-in is at the dev IdP over HTTP.
import { signInAtDevIdp } from '@latchkey/dev-idp';
import {
  type FaultProxy,
  startFaultProxy,
  startRedisServer,
  TestBrowser,
} from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Core's own test app: latchkey on node:http with the dev IdP, here with the Redis store.
import { startAppWithIdp } from '../../core/test/helpers';
import { RedisSessionStore, RedisUnavailableError } from '../src/index';
import { commandsSent, sleep, uniquePrefix } from './support';

const server = await startRedisServer();
const JSON_HEADERS = { accept: 'application/json' };

describe.skipIf(!server)('when Redis goes away at the worst moment', () => {
  let proxy: FaultProxy;
  const stores: RedisSessionStore[] = [];
  /** A store through the proxy; those made with the same `prefix` share their keys. */
  const storeVia = (prefix = uniquePrefix('outage'), cache = false) => {
    const store = new RedisSessionStore({ url: `redis://127.0.0.1:${proxy.port}`, prefix, cache });
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    proxy = await startFaultProxy({ port: server!.port });
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await proxy?.stop();
    await server?.stop();
  });

  it('right after a refresh: 503 store_unavailable; then the session ends cleanly, never half-saved', async () => {
    const store = storeVia();
    const setup = await startAppWithIdp(
      { store, clientSecret: 'core-app-secret' },
      { client_secret: 'core-app-secret' },
    );
    try {
      const browser = new TestBrowser();
      await signInAtDevIdp(browser, await browser.get(`${setup.app.url}/auth/login?returnTo=/`), {
        username: 'alice',
        password: 'alice-password',
      });
      const grants = setup.idp.grants.length;
      // Reads pass; the scripts that write the refreshed session meet a dead connection.
      proxy.when = /evalsha/i;
      proxy.mode = 'reset';
      const lost = await browser.request(`${setup.app.url}/access-token`, {
        headers: JSON_HEADERS,
      });
      expect(lost.status).toBe(503);
      expect(lost.json()).toMatchObject({ error: 'store_unavailable' });
      // The IdP did refresh: its answer could not be kept.
      expect(setup.idp.grants.length).toBe(grants + 1);
      proxy.heal();
      // The session in Redis still holds the refresh token the IdP has rotated away: the retry is
      // refused, and the session ends, its cookie cleared and its record deleted. (The retry
      // first waits out the refresh lock, whose release was lost with the connection.)
      // (Polled: the store's client reconnects first, answering 503 meanwhile.)
      let retry = await browser.request(`${setup.app.url}/access-token`, { headers: JSON_HEADERS });
      for (let waited = 0; retry.status === 503 && waited < 5000; waited += 100) {
        await sleep(100);
        retry = await browser.request(`${setup.app.url}/access-token`, { headers: JSON_HEADERS });
      }
      expect(retry.status).toBe(401);
      expect(retry.json()).toMatchObject({ error: 'refresh_failed' });
      const session = await browser.request(`${setup.app.url}/auth/session`, {
        headers: JSON_HEADERS,
      });
      expect(session.json()).toEqual({ authenticated: false });
    } finally {
      proxy.heal();
      await setup.stop();
    }
  });

  it('while a refresh lock is held: the holder cannot release it, and it lapses by itself', async () => {
    const prefix = uniquePrefix('lock');
    const holder = storeVia(prefix);
    const other = storeVia(prefix);
    const release = await holder.lock('refresh:s', 4000);
    const taken = performance.now();
    expect(release).toBeTypeOf('function');
    proxy.when = /./;
    proxy.mode = 'blackhole';
    await expect(release!()).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(other.lock('refresh:s', 4000)).rejects.toBeInstanceOf(RedisUnavailableError);
    proxy.heal();
    // Back (once its client reconnected), the lock is still held: its release never arrived. It
    // is free only when its time is up.
    let next: (() => Promise<void>) | undefined;
    while (next === undefined) {
      await sleep(100);
      next = await other.lock('refresh:s', 4000).catch(() => undefined);
    }
    expect(performance.now() - taken).toBeGreaterThan(3900);
    await next();
  });

  it('with the read cache on, a store that lost Redis answers nothing from memory', async () => {
    const store = storeVia(uniquePrefix('cache'), true);
    const session = { sub: 'alice', data: { jwe: 'sealed' } };
    await store.set('s', session, 60);
    // Once subscribed, and once the write's own message is back (it drops the key), a read is kept.
    await sleep(50);
    let kept = false;
    for (let tries = 0; !kept && tries < 100; tries++) {
      await store.get('s');
      await sleep(10);
      kept = (await commandsSent(() => store.get('s'))).length === 0;
    }
    expect(kept).toBe(true);
    // Every connection cut, and none let back in: changes published now would be missed.
    proxy.heal();
    proxy.mode = 'drop';
    await sleep(50);
    await expect(store.get('s')).rejects.toBeInstanceOf(RedisUnavailableError);
    proxy.heal();
    let back = await store.get('s').catch(() => undefined);
    for (let waited = 0; !back && waited < 5000; waited += 100) {
      await sleep(100);
      back = await store.get('s').catch(() => undefined);
    }
    expect(back).toEqual(session);
  });
});
