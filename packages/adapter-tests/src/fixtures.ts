import { createServer, request as httpRequest } from 'node:http';
import {
  ACR_LEVELS,
  type DevIdp,
  type DevIdpClient,
  type DevIdpCredentials,
  signInAtDevIdp,
  startDevIdp,
} from '@latchkey/dev-idp';
import { freePort, listen, type Page, TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, expect } from 'vitest';
import { type AdapterApp, type AppOptions, type StartAdapterApp, TEST_API } from './app';

/** The dev IdP's default user with roles `admin` and `viewer`. */
export const alice: DevIdpCredentials = { username: 'alice', password: 'alice-password' };

/** The client every test app is registered as at the dev IdP. */
export const TEST_CLIENT = { clientId: 'test-app', clientSecret: 'test-app-secret' } as const;

/** The session secret of test apps unless a test gives its own. */
export const TEST_SECRET = 'adapter-test-secret-adapter-test-secret';

/** Headers of an API (`fetch`) request that wants JSON. */
export const JSON_HEADERS: Readonly<Record<string, string>> = { accept: 'application/json' };

/** What a test may set on an app; the IdP and client come from the fixture. */
export type AppOverrides = Partial<Omit<AppOptions, 'issuer'>>;

/** Full options for a test app of the dev IdP at `issuer`. */
export function appOptions(issuer: string, overrides: AppOverrides = {}): AppOptions {
  return { ...TEST_CLIENT, secrets: [TEST_SECRET], issuer, ...AUTHORIZATION, ...overrides };
}

/** What every test app knows about authorization: the dev IdP's acr levels, a policy, the API. */
const AUTHORIZATION = {
  acrLevels: ACR_LEVELS,
  policy: { roles: { admin: ['*'], viewer: ['reports:read'] } },
  resource: TEST_API,
  scopes: ['openid', 'profile', 'email', 'offline_access', 'reports:read', 'payments:write'],
} satisfies AppOverrides;

/** The dev IdP registration of {@link TEST_CLIENT} for `apps`: their callbacks and home pages. */
export function testClient(apps: readonly AdapterApp[]): DevIdpClient {
  return {
    client_id: TEST_CLIENT.clientId,
    client_secret: TEST_CLIENT.clientSecret,
    redirect_uris: apps.map((app) => `${app.url}/auth/callback`),
    post_logout_redirect_uris: apps.map((app) => `${app.url}/auth/signed-out`),
    // The IdP posts logout tokens to one instance only, like a load balancer would.
    ...(apps[0] ? { backchannel_logout_uri: `${apps[0].url}/auth/backchannel-logout` } : {}),
  };
}

/** A dev IdP and the apps registered at it. */
export interface DevIdpWithApps<Name extends string> {
  readonly idp: DevIdp;
  readonly apps: Readonly<Record<Name, AdapterApp>>;
  /** Stops the apps, then the IdP. */
  stop(): Promise<void>;
}

/**
 * Starts one app per entry of `apps` (each with its overrides) and then a dev IdP on the port
 * their issuer names, with {@link TEST_CLIENT} registered for all of them.
 */
export async function startDevIdpWithApps<Name extends string>(
  startApp: StartAdapterApp,
  apps: Record<Name, AppOverrides>,
): Promise<DevIdpWithApps<Name>> {
  // The apps need the issuer and the IdP needs their URLs: reserve the IdP's port first.
  const idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  const entries = Object.entries<AppOverrides>(apps);
  const api = await echoApi();
  const started = await Promise.all(
    entries.map(([, overrides]) => startApp({ ...appOptions(issuer, overrides), apiUrl: api.url })),
  );
  const stopApps = () => Promise.all(started.map((app) => app.stop()));
  let idp: DevIdp;
  try {
    idp = await startDevIdp({ port: idpPort, clients: [testClient(started)] });
  } catch (error) {
    await stopApps();
    throw error;
  }
  const byName = Object.fromEntries(entries.map(([name], i) => [name, started[i]!]));
  return {
    idp,
    apps: byName as Record<Name, AdapterApp>,
    async stop() {
      await stopApps();
      await idp.stop();
    },
  };
}

/**
 * {@link startDevIdpWithApps} for the enclosing `describe`: started in `beforeAll`, stopped in
 * `afterAll`. Read `idp` and `apps` inside tests only.
 */
export function useDevIdpWithApps<Name extends string>(
  startApp: StartAdapterApp,
  apps: Record<Name, AppOverrides>,
): DevIdpWithApps<Name> {
  let running: DevIdpWithApps<Name> | undefined;
  beforeAll(async () => {
    running = await startDevIdpWithApps(startApp, apps);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = () => {
    if (!running) throw new Error('the dev IdP and apps start in beforeAll: use them in tests');
    return running;
  };
  return {
    get idp() {
      return current().idp;
    },
    get apps() {
      return current().apps;
    },
    stop: () => current().stop(),
  };
}

/** Options of {@link signedInBrowser}. */
export interface SignInOptions {
  /** Where the app sends the browser after sign-in. Default `'/profile'`. */
  returnTo?: string;
  /** Default {@link alice}. */
  user?: DevIdpCredentials;
  /** Sign in at this level (through the step-up route: the dev IdP asks for its one-time code). */
  acr?: string;
}

/**
 * Posts sign-out as the app's own page does; expects the 303 to the IdP's end-session endpoint
 * and returns that answer and the end-session URL.
 */
export async function postSignOut(
  browser: TestBrowser,
  app: AdapterApp,
  issuer: string,
): Promise<{ logout: Page; endSession: URL }> {
  const logout = await browser.request(`${app.url}/auth/logout`, {
    method: 'POST',
    headers: { origin: app.url },
  });
  expect(logout.status).toBe(303);
  const endSession = new URL(logout.headers.get('location')!);
  expect(endSession.origin).toBe(issuer);
  return { logout, endSession };
}

/** A new browser signed in to `app` through its login route and the dev IdP's pages. */
export async function signedInBrowser(
  app: AdapterApp,
  { returnTo = '/profile', user = alice, acr }: SignInOptions = {},
): Promise<{ browser: TestBrowser; landed: Page }> {
  const browser = new TestBrowser();
  const query = new URLSearchParams({ returnTo, ...(acr ? { acr } : {}) });
  const loginPage = await browser.get(`${app.url}/auth/${acr ? 'step-up' : 'login'}?${query}`);
  const landed = await signInAtDevIdp(browser, loginPage, user);
  return { browser, landed };
}

/**
 * One request sent with its path exactly as written (no dot-segment removal, no encoding), as
 * `curl --path-as-is` does: what a browser library or `fetch` would never send.
 */
export function rawRequest(
  appUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  const { hostname, port } = new URL(appUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `Cookie` header `browser` would send to `url`, e.g. to replay it from another client. */
export async function cookieHeader(browser: TestBrowser, url: string): Promise<string> {
  return (await browser.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
}

/** How many grants of `grantType` (e.g. `'refresh_token'`) the IdP has made so far. */
export function grantCount(idp: DevIdp, grantType: string): number {
  return idp.grants.filter((grant) => grant.grantType === grantType).length;
}

/** A fake clock for expiry tests: an app given `now` runs `offset` ms ahead of real time. */
export class FakeClock {
  /** Milliseconds added to the real time. */
  offset = 0;
  /** Pass as latchkey's `now` option. */
  readonly now = (): number => Date.now() + this.offset;
  /** Back to real time. */
  reset(): void {
    this.offset = 0;
  }
}

/**
 * A stand-in API for forwarding tests: echoes what it received (method, path, query, whether a
 * bearer token and a cookie came, the body) and answers `/api-proxy/step-up` with an RFC 9470
 * challenge. Shared by every test app in the process.
 */
let echo: Promise<EchoApi> | undefined;

/** The stand-in API of the forwarding tests. */
export interface EchoApi {
  url: string;
  /** The raw path (and query) of every request it received, in order. */
  received: string[];
}

export function echoApi(): Promise<EchoApi> {
  echo ??= (async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      received.push(req.url ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://api');
        if (url.pathname.endsWith('/page')) {
          // User data that an API wrongly marks cacheable, as HTML.
          res.writeHead(200, {
            'content-type': 'text/html',
            'cache-control': 'public, max-age=3600',
          });
          res.end('<script>alert(document.cookie)</script>');
          return;
        }
        if (url.pathname.endsWith('/step-up')) {
          res.writeHead(401, {
            'content-type': 'application/json',
            'www-authenticate': ECHO_CHALLENGE,
          });
          res.end(JSON.stringify({ error: 'insufficient_user_authentication' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            method: req.method,
            path: url.pathname,
            query: url.search,
            bearer: /^Bearer [\w.-]+$/.test(req.headers.authorization ?? ''),
            cookie: req.headers.cookie !== undefined,
            contentType: req.headers['content-type'] ?? null,
            stepUp: req.headers['latchkey-step-up'] ?? null,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
    });
    const url = await listen(server);
    server.unref();
    return { url, received };
  })();
  return echo;
}

/** The challenge {@link echoApi} answers for step-up. */
export const ECHO_CHALLENGE =
  'Bearer error="insufficient_user_authentication", error_description="step up", acr_values="urn:latchkey:acr:mfa", max_age=300';
