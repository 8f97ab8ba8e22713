import { createServer } from 'node:http';
import {
  createLatchkey,
  forward,
  type Latchkey,
  type LatchkeyOptions,
  requireAuth,
  toResponse,
  toWebRequest,
} from '@latchkey/core';
import {
  type DevIdp,
  type DevIdpClient,
  type DevIdpOptions,
  signInAtDevIdp,
  startDevIdp,
} from '@latchkey/dev-idp';
import { close, freePort, listen, TestBrowser } from '@latchkey/test-utils';

export interface CoreApp {
  url: string;
  latchkey: Latchkey;
  stop(): Promise<void>;
}

/**
 * A plain `node:http` app on core alone: latchkey's routes, `GET /access-token` answering the
 * session's raw access token (tests only: real apps never hand tokens to the browser), and with
 * `apiUrl`, `/api/*` forwarded there. `secrets` default to the core tests' own.
 */
export async function startCoreApp(
  options: Omit<LatchkeyOptions, 'baseUrl' | 'clientId' | 'secrets'> & {
    secrets?: LatchkeyOptions['secrets'];
    apiUrl?: string;
  },
): Promise<CoreApp> {
  const { apiUrl, ...latchkeyOptions } = options;
  let latchkey: Latchkey | undefined;
  const server = createServer(async (req, res) => {
    const request = toWebRequest(req, latchkey!.config.baseUrl);
    const setCookies: string[] = [];
    let response = await latchkey!.handle(request);
    if (!response) {
      const context = await latchkey!.authenticate(request, (lines) => setCookies.push(...lines));
      try {
        response =
          apiUrl && new URL(request.url).pathname.startsWith('/api/')
            ? await forward(context, apiUrl, { mountPath: '/api' })
            : (requireAuth(context) ??
              Response.json({ accessToken: await context.getAccessToken() }));
      } catch (error) {
        // What an adapter does with a failed getAccessToken(): the typed error's answer.
        response = toResponse(error, { as: 'json' });
      }
    }
    res.statusCode = response.status;
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') res.setHeader(name, value);
    });
    res.setHeader('set-cookie', [...setCookies, ...response.headers.getSetCookie()]);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  const url = await listen(server);
  // A test that names its client authentication, or its providers, brings its own credentials.
  const ownProviders = options.providers || options.resolveProvider;
  const ownCredentials =
    ownProviders || options.clientAuth || options.clientAssertionKey || options.clientSecret;
  latchkey = createLatchkey({
    ...(ownProviders ? {} : { clientId: 'core-app' }),
    ...(ownCredentials ? {} : { clientSecret: 'core-app-secret' }),
    secrets: ['core-test-secret-core-test-secret-0001'],
    ...latchkeyOptions,
    baseUrl: url,
  });
  return { url, latchkey, stop: () => close(server) };
}

/**
 * The core app with `options` and the dev IdP of its issuer (on `idpOptions.port`, else a free
 * one), where its client `core-app` is
 * registered as `registration` says (its callback and home page, no secret unless given). Access
 * tokens live 30 s, under latchkey's 60 s margin: each use of one refreshes it first. `stop` ends
 * both.
 */
export async function startAppWithIdp(
  options: Omit<Parameters<typeof startCoreApp>[0], 'issuer'>,
  registration: Partial<DevIdpClient> = {},
  idpOptions: Partial<DevIdpOptions> = {},
): Promise<{ app: CoreApp; idp: DevIdp; stop(): Promise<void> }> {
  const idpPort = idpOptions.port ?? (await freePort());
  const app = await startCoreApp({ issuer: `http://127.0.0.1:${idpPort}`, ...options });
  const idp = await startDevIdp({
    ttl: { accessToken: 30 },
    clients: [
      {
        client_id: 'core-app',
        redirect_uris: [`${app.url}/auth/callback`],
        post_logout_redirect_uris: [`${app.url}/auth/signed-out`],
        ...registration,
      },
    ],
    ...idpOptions,
    port: idpPort,
  });
  return {
    app,
    idp,
    async stop() {
      await app.stop();
      await idp.stop();
    },
  };
}

/** A dev IdP whose client is the core app at `appUrl`. */
export function startIdpFor(appUrl: string, port = 0): Promise<DevIdp> {
  return startDevIdp({
    port,
    clients: [
      {
        client_id: 'core-app',
        client_secret: 'core-app-secret',
        redirect_uris: [`${appUrl}/auth/callback`],
        post_logout_redirect_uris: [`${appUrl}/auth/signed-out`],
      },
    ],
  });
}

/** Signs in at the app through the dev IdP and returns the session's raw access token. */
export async function accessTokenFor(
  app: CoreApp,
  user = { username: 'alice', password: 'alice-password' },
): Promise<string> {
  const browser = new TestBrowser();
  const landed = await signInAtDevIdp(
    browser,
    await browser.get(`${app.url}/auth/login?returnTo=/access-token`),
    user,
  );
  return landed.json<{ accessToken: string }>().accessToken;
}
