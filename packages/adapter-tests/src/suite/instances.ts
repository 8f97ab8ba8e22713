import { createServer } from 'node:http';
import { type DevIdp, startDevIdp } from '@latchkey/dev-idp';
import { close, freePort, listen, TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { AdapterApp, StartAdapterApp } from '../app';
import {
  type AppOverrides,
  appOptions,
  cookieHeader,
  FakeClock,
  grantCount,
  JSON_HEADERS,
  signedInBrowser,
  testClient,
} from '../fixtures';

/** Options of {@link instanceTests}. */
export interface InstanceTestOptions {
  /**
   * What the instances share (a store, a revocation list): called once per `describe`, or, with
   * `perInstance`, once per instance (each its own client of one shared backend, such as Redis).
   */
  shared: () => AppOverrides;
  /** Calls `shared` once per instance. */
  perInstance?: boolean;
  /**
   * How long, in milliseconds, a sign-out on one instance may take to reach the other (a store
   * that caches reads and learns of changes by message). Default 0: at once.
   */
  propagationMs?: number;
  /** True when the shared state is a session store, which also locks refreshes across instances. */
  locksRefresh: boolean;
}

/**
 * Stands in for a load balancer in front of the IdP's back-channel calls: forwards each logout
 * POST to one instance and keeps its body, so tests can replay a real logout token.
 */
async function startLogoutRelay(target: () => string) {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      const forwarded = await fetch(target(), {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body,
      });
      res.writeHead(forwarded.status).end(await forwarded.text());
    });
  });
  const url = await listen(server);
  return { url, bodies, stop: () => close(server) };
}

/**
 * Two instances of one app behind one origin (the test browser's cookie reaches both, as behind
 * a load balancer), sharing state: sign-out at the IdP, back-channel logout reaching one instance,
 * replayed logout tokens and, with a store, concurrent refreshes.
 */
export function instanceTests(startApp: StartAdapterApp, options: InstanceTestOptions): void {
  const clock = new FakeClock();
  let idp: DevIdp;
  let a: AdapterApp;
  let b: AdapterApp;
  let relay: Awaited<ReturnType<typeof startLogoutRelay>>;

  beforeAll(async () => {
    const idpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    const shared = options.shared();
    a = await startApp(appOptions(issuer, { ...shared, now: clock.now }));
    const ofB = options.perInstance ? options.shared() : shared;
    b = await startApp(appOptions(issuer, { ...ofB, now: clock.now }));
    relay = await startLogoutRelay(() => `${a.url}/auth/backchannel-logout`);
    idp = await startDevIdp({
      port: idpPort,
      clients: [{ ...testClient([a, b]), backchannel_logout_uri: relay.url }],
    });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), relay?.stop()]);
    await idp?.stop();
  });
  beforeEach(() => clock.reset());

  /** The session, as instance `app` sees it with `cookie`. */
  const statusOn = async (app: AdapterApp, cookie: string) =>
    (
      await new TestBrowser().request(`${app.url}/profile`, {
        headers: { ...JSON_HEADERS, cookie },
      })
    ).status;

  /**
   * The status on `app` once a sign-out has had `propagationMs` to reach it: polled until refused
   * or out of time, so a refusal that comes late still fails the test.
   */
  async function statusAfterSignOut(app: AdapterApp, cookie: string): Promise<number> {
    const deadline = Date.now() + (options.propagationMs ?? 0);
    for (;;) {
      const status = await statusOn(app, cookie);
      if (status !== 200 || Date.now() >= deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Signs out at the IdP itself (its end-session page), as a user would from another app. */
  async function endIdpSession(browser: TestBrowser) {
    const confirm = await browser.get(`${idp.issuer}/session/end`);
    await browser.submitForm(confirm);
  }

  it('ends the session on every instance when the IdP posts a back-channel logout to one of them', async () => {
    const { browser } = await signedInBrowser(a);
    const cookie = await cookieHeader(browser, a.url);
    expect(await statusOn(a, cookie)).toBe(200);
    expect(await statusOn(b, cookie)).toBe(200);
    const posted = relay.bodies.length;
    await endIdpSession(browser);
    expect(relay.bodies.length).toBe(posted + 1);
    expect(await statusOn(a, cookie)).toBe(401);
    expect(await statusAfterSignOut(b, cookie)).toBe(401);
    // Revocation is for sessions that existed then: signing in again works at once.
    const again = await signedInBrowser(b);
    expect(again.landed.status).toBe(200);
    expect(await statusOn(a, await cookieHeader(again.browser, a.url))).toBe(200);
  });

  it('refuses a replayed logout token on any instance, and a malformed one, with 400 JSON and no-store', async () => {
    const { browser } = await signedInBrowser(a);
    await endIdpSession(browser);
    const token = relay.bodies.at(-1)!;
    const replay = await fetch(`${b.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: token,
    });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('cache-control')).toBe('no-store');
    expect(await replay.json()).toMatchObject({ error: 'logout_token_invalid' });
    const forged = await fetch(`${a.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: 'logout_token_invalid' });
  });

  // Stateless cookie sessions cannot lock a refresh across instances (documented): store only.
  if (!options.locksRefresh) return;
  it('refreshes a session once when two instances need it at the same time', async () => {
    const { browser } = await signedInBrowser(a);
    const cookie = await cookieHeader(browser, a.url);
    clock.offset = 3601 * 1000;
    const before = grantCount(idp, 'refresh_token');
    const [fromA, fromB] = await Promise.all(
      [a, b].map((app) => fetch(`${app.url}/token`, { headers: { ...JSON_HEADERS, cookie } })),
    );
    expect([fromA!.status, fromB!.status]).toEqual([200, 200]);
    const [tokenA, tokenB] = await Promise.all([fromA!.json(), fromB!.json()]);
    expect(tokenA).toEqual(tokenB);
    expect(grantCount(idp, 'refresh_token')).toBe(before + 1);
    // The rotated refresh token was stored for both: a later refresh still works.
    clock.offset = 2 * 3601 * 1000;
    const later = await fetch(`${b.url}/token`, { headers: { ...JSON_HEADERS, cookie } });
    expect(later.status).toBe(200);
    expect(grantCount(idp, 'refresh_token')).toBe(before + 2);
  });
}
