// Outages between latchkey and the dev IdP (over HTTP), made by test-utils' fault proxy: the one
// stand-in here is the network, which breaks on demand. In each case latchkey answers a typed
// error within its timeout, writes no half session, and works again once the network heals.
import { createServer } from 'node:http';
import { type DevIdp, signInAtDevIdp, startDevIdp } from '@latchkey/dev-idp';
import {
  close,
  type FaultProxy,
  freePort,
  listen,
  startFaultProxy,
  TestBrowser,
} from '@latchkey/test-utils';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerVerifier } from '../src/index';
import { type CoreApp, startCoreApp } from './helpers';

const IDP_TIMEOUT = 500;
const JSON_HEADERS = { accept: 'application/json' };
let idp: DevIdp;
let proxy: FaultProxy;
let app: CoreApp;
/** A second instance that has not fetched the IdP's keys yet. */
let fresh: CoreApp;
beforeAll(async () => {
  const idpPort = await freePort();
  proxy = await startFaultProxy({ port: idpPort });
  const issuer = `http://127.0.0.1:${proxy.port}`;
  app = await startCoreApp({ issuer, idpTimeout: IDP_TIMEOUT });
  fresh = await startCoreApp({ issuer, idpTimeout: IDP_TIMEOUT });
  idp = await startDevIdp({
    port: idpPort,
    issuer,
    ttl: { accessToken: 30 },
    clients: [
      {
        client_id: 'core-app',
        client_secret: 'core-app-secret',
        redirect_uris: [`${app.url}/auth/callback`, `${fresh.url}/auth/callback`],
      },
    ],
  });
});
afterAll(async () => {
  await app?.stop();
  await fresh?.stop();
  await idp?.stop();
  await proxy?.stop();
});

const alice = { username: 'alice', password: 'alice-password' };

/** A browser that signs alice in; the page it lands on, how long the callback took, its cookies. */
async function signIn(target = app) {
  const browser = new TestBrowser();
  const started = performance.now();
  const landed = await signInAtDevIdp(
    browser,
    await browser.get(`${target.url}/auth/login?returnTo=/auth/session`),
    alice,
  );
  const names = (await browser.cookies(target.url)).map((cookie) => cookie.name);
  return { browser, landed, names, took: performance.now() - started };
}

const sessionOf = async (browser: TestBrowser) =>
  (await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS })).json<{
    authenticated: boolean;
  }>().authenticated;

describe('the IdP goes away', () => {
  it.each(['reset', 'blackhole', 'half', 'drop'] as const)(
    'during the code exchange (%s): 503 idp_unreachable in time, no session; then it recovers',
    async (mode) => {
      proxy.heal();
      proxy.when = /^POST \/token /m;
      proxy.mode = mode;
      const broken = await signIn();
      expect(broken.landed.status, broken.landed.body.slice(0, 600)).toBe(503);
      expect(broken.landed.body).toContain('idp_unreachable');
      expect(broken.names).not.toContain('lk_session');
      expect(broken.took).toBeLessThan(IDP_TIMEOUT + 3000);
      proxy.heal();
      const healed = await signIn();
      expect(healed.landed.json()).toMatchObject({ authenticated: true });
    },
  );

  it('during a refresh whose request never arrives: 503, the session kept, then refreshed', async () => {
    proxy.heal();
    const { browser } = await signIn();
    const grants = idp.grants.length;
    proxy.when = /^POST \/token /m;
    proxy.mode = 'blackhole';
    const started = performance.now();
    const failed = await browser.request(`${app.url}/access-token`, { headers: JSON_HEADERS });
    expect(failed.status).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'idp_unreachable' });
    expect(performance.now() - started).toBeLessThan(IDP_TIMEOUT + 1000);
    expect(idp.grants.length).toBe(grants); // the refresh token was not spent
    proxy.heal();
    expect(await sessionOf(browser)).toBe(true);
    const refreshed = await browser.request(`${app.url}/access-token`, { headers: JSON_HEADERS });
    expect(refreshed.status).toBe(200);
  });

  it('during a refresh whose answer is lost: 503, then the session ends cleanly (the IdP spent the refresh token)', async () => {
    proxy.heal();
    const { browser } = await signIn();
    proxy.when = /^POST \/token /m;
    proxy.mode = 'reset';
    const lost = await browser.request(`${app.url}/access-token`, { headers: JSON_HEADERS });
    expect(lost.status).toBe(503);
    expect(lost.json()).toMatchObject({ error: 'idp_unreachable' });
    proxy.heal();
    // The dev IdP rotates refresh tokens: the one latchkey still holds was spent, so the retry is
    // refused and the session ends, its cookie cleared; no half-refreshed session is left.
    const retry = await browser.request(`${app.url}/access-token`, { headers: JSON_HEADERS });
    expect(retry.status).toBe(401);
    expect(retry.json()).toMatchObject({ error: 'refresh_failed' });
    expect(await sessionOf(browser)).toBe(false);
    expect((await signIn()).landed.json()).toMatchObject({ authenticated: true });
  });

  it("during the JWKS fetch of a new instance's first sign-in: 503, no session; then it recovers", async () => {
    proxy.heal();
    proxy.when = /^GET \/jwks/m;
    proxy.mode = 'blackhole';
    const broken = await signIn(fresh);
    expect(broken.landed.status).toBe(503);
    expect(broken.landed.body).toContain('idp_unreachable');
    expect(broken.names).not.toContain('lk_session');
    proxy.heal();
    expect((await signIn(fresh)).landed.json()).toMatchObject({ authenticated: true });
  });
});

describe('a slow JWKS endpoint', () => {
  it('answers 50 requests with an unknown kid at once with one fetch', async () => {
    const keys = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'known', alg: 'ES256' };
    let fetches = 0;
    const jwks = createServer((_, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    const jwksUrl = await listen(jwks);
    const slow = await startFaultProxy({ port: Number(new URL(jwksUrl).port) });
    slow.mode = 'delay';
    slow.delayMs = 300;
    try {
      const verifier = createBearerVerifier({
        issuer: 'https://idp.example.com',
        audience: 'api',
        jwksUri: `http://127.0.0.1:${slow.port}/jwks`,
      });
      const stranger = await generateKeyPair('ES256');
      const token = await new SignJWT({ scope: 'a' })
        .setProtectedHeader({ alg: 'ES256', kid: 'unknown' })
        .setIssuer('https://idp.example.com')
        .setAudience('api')
        .setExpirationTime('1h')
        .sign(stranger.privateKey);
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => verifier.authenticate(`Bearer ${token}`)),
      );
      expect(answers.map((answer) => answer.response?.status)).toEqual(Array(50).fill(401));
      expect(fetches).toBe(1);
      // All of them waited for the one slow fetch, and no longer.
      expect(performance.now() - started).toBeGreaterThan(300);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await slow.stop();
      await close(jwks);
    }
  });
});
