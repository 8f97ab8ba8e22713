// DPoP as a client (RFC 9449) against the dev IdP over HTTP: the code is bound to the session's
// key (`dpop_jkt`), the code exchange and every refresh prove it, and forwarded API calls carry
// `Authorization: DPoP` with a proof that a real `createBearerVerifier({ dpop })` accepts. Nonces
// are asked for by the IdP and by the API, and each is answered with exactly one retry.
import { createServer, type IncomingMessage } from 'node:http';
import { type DevIdp, type DevIdpOptions, signInAtDevIdp } from '@latchkey/dev-idp';
import { close, freePort, listen, TestBrowser } from '@latchkey/test-utils';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createBearerVerifier, type DpopOptions, type LatchkeyOptions } from '../src/index';
import { type CoreApp, startAppWithIdp, startCoreApp } from './helpers';

const API = 'urn:latchkey:demo-api';
const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

/** An API that takes DPoP-bound tokens only, and counts the requests that reached it. */
async function startApi(issuer: string, dpop: Omit<DpopOptions, 'mode'> = {}) {
  const verifier = createBearerVerifier({
    issuer,
    audience: API,
    dpop: { mode: 'required', ...dpop },
  });
  const seen: Array<{ status: number }> = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const url = `http://${req.headers.host}${req.url}`;
    const { token, response } = await verifier.authenticate({
      authorization: req.headers.authorization,
      dpop: req.headers.dpop,
      method: req.method!,
      url,
    });
    const answer = response ?? Response.json({ sub: token.sub, jkt: token.claims.cnf });
    seen.push({ status: answer.status });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(await answer.text());
  });
  const url = await listen(server);
  running.push(() => close(server));
  return { url, seen };
}

/** The app with `dpop: true` (and `options`), forwarding `/api/*` to an API, and its dev IdP. */
async function start(
  apiFor: (issuer: string) => Promise<{ url: string }>,
  options: Partial<LatchkeyOptions> = {},
  idpOptions: Partial<DevIdpOptions> = {},
) {
  const idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  const settings = {
    issuer,
    resource: API,
    scopes: ['openid', 'profile', 'offline_access', 'reports:read'],
    dpop: true,
    apiUrl: (await apiFor(issuer)).url,
    ...options,
  };
  const started = await startAppWithIdp(
    settings,
    // The IdP refuses this client's token requests without a proof.
    { client_secret: 'core-app-secret', dpop_bound_access_tokens: true },
    { port: idpPort, ...idpOptions },
  );
  running.push(() => started.stop());
  return { ...started, settings };
}

/** Signs alice in; the `dpop_jkt` of the authorization request, and the browser. */
async function signIn(app: CoreApp, idp: DevIdp) {
  const browser = new TestBrowser();
  const login = await browser.get(`${app.url}/auth/login`);
  const authorization = [...login.redirects, login.url].find((hop) =>
    hop.startsWith(`${idp.issuer}/auth?`),
  );
  await signInAtDevIdp(browser, login, { username: 'alice', password: 'alice-password' });
  return { browser, jkt: new URL(authorization!).searchParams.get('dpop_jkt') };
}

const cnfOf = async (browser: TestBrowser, app: CoreApp) => {
  const page = await browser.request(`${app.url}/access-token`, {
    headers: { accept: 'application/json' },
  });
  return decodeJwt(page.json<{ accessToken: string }>().accessToken).cnf;
};

describe('DPoP-bound tokens as a client', () => {
  it('binds the code, the tokens and each refresh to the session key, and calls the API with proofs', async () => {
    let api!: Awaited<ReturnType<typeof startApi>>;
    const { app, idp } = await start(async (issuer) => (api = await startApi(issuer)));
    const { browser, jkt } = await signIn(app, idp);
    expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Each call refreshes first (30 s tokens): the new tokens are bound to the same key.
    expect(await cnfOf(browser, app)).toEqual({ jkt });
    const call = await browser.request(`${app.url}/api/reports`, {
      headers: { accept: 'application/json' },
    });
    expect(call.status).toBe(200);
    expect(call.json()).toEqual({ sub: 'usr_alice', jkt: { jkt } });
    expect(api.seen).toEqual([{ status: 200 }]);
    // The code, then one refresh per use of the token: the landing page, and two calls.
    expect(idp.grants.map((grant) => grant.grantType)).toEqual([
      'authorization_code',
      'refresh_token',
      'refresh_token',
      'refresh_token',
    ]);
  });

  it('keeps the key in the sealed cookie, so another instance refreshes with it', async () => {
    const { app, idp, settings } = await start(startApi);
    const { browser, jkt } = await signIn(app, idp);
    const other = await startCoreApp(settings);
    running.push(() => other.stop());
    const cookie = (await browser.cookies(app.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const page = await new TestBrowser().request(`${other.url}/access-token`, {
      headers: { accept: 'application/json', cookie },
    });
    expect(page.status).toBe(200);
    expect(decodeJwt(page.json<{ accessToken: string }>().accessToken).cnf).toEqual({ jkt });
    expect(idp.grants.at(-1)?.grantType).toBe('refresh_token');
  });

  it('answers the IdP and the API asking for nonces with exactly one retry each', async () => {
    let api!: Awaited<ReturnType<typeof startApi>>;
    const nonceSecret = 'api-dpop-nonce-secret-api-dpop-nonce-01';
    const { app, idp } = await start(
      async (issuer) => (api = await startApi(issuer, { nonceSecret })),
      {},
      { requireDpopNonce: true },
    );
    const { browser, jkt } = await signIn(app, idp);
    const call = await browser.request(`${app.url}/api/reports`, {
      headers: { accept: 'application/json' },
    });
    expect(call.status).toBe(200);
    expect(call.json()).toEqual({ sub: 'usr_alice', jkt: { jkt } });
    // The first proof had no nonce; the retry carried the one the API answered.
    expect(api.seen).toEqual([{ status: 401 }, { status: 200 }]);
    // The session's handle kept the API's nonce: the next call needs no retry.
    const again = await browser.request(`${app.url}/api/reports`, {
      headers: { accept: 'application/json' },
    });
    expect(again.status).toBe(200);
    expect(api.seen).toHaveLength(3);
    // The code, then one refresh per use of the token: the landing page, and two calls.
    expect(idp.grants.map((grant) => grant.grantType)).toEqual([
      'authorization_code',
      'refresh_token',
      'refresh_token',
      'refresh_token',
    ]);
  });

  it('binds a pushed authorization request too (PAR and DPoP together)', async () => {
    const { app, idp } = await start(startApi, { pushedAuthorizationRequests: true });
    const browser = new TestBrowser();
    const landed = await signInAtDevIdp(browser, await browser.get(`${app.url}/auth/login`), {
      username: 'alice',
      password: 'alice-password',
    });
    expect(landed.status).toBe(200);
    expect(idp.requestCount('/request')).toBe(1);
    const call = await browser.request(`${app.url}/api/reports`, {
      headers: { accept: 'application/json' },
    });
    expect(call.status).toBe(200);
  });

  it('without dpop, the same client is refused a token: the tests above prove the binding', async () => {
    const { app, idp } = await start(startApi, { dpop: false });
    const browser = new TestBrowser();
    const landed = await signInAtDevIdp(browser, await browser.get(`${app.url}/auth/login`), {
      username: 'alice',
      password: 'alice-password',
    });
    expect(landed.status).toBe(400);
    expect(idp.grants).toEqual([]);
  });
});
