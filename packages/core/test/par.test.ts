// Pushed authorization requests (RFC 9126) against the dev IdP over HTTP: the parameters go to the
// IdP's PAR endpoint, authenticated like a token request, and the browser's redirect carries only
// `client_id` and the `request_uri` the IdP answered.
import { type DevIdp, type DevIdpClient, signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createLatchkey, type LatchkeyOptions } from '../src/index';
import { type CoreApp, startAppWithIdp } from './helpers';
import { baseUrl, secrets, useHostileIdp } from './hostile';

const hostile = useHostileIdp();

let running: Awaited<ReturnType<typeof startAppWithIdp>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** The app with `options`, and a dev IdP where its client is registered with `registration`. */
async function start(
  options: Omit<LatchkeyOptions, 'issuer' | 'baseUrl' | 'clientId' | 'secrets'>,
  registration: Partial<DevIdpClient> = {},
  requirePushedAuthorizationRequests = false,
) {
  running = await startAppWithIdp(
    options,
    { client_secret: 'core-app-secret', ...registration },
    { requirePushedAuthorizationRequests },
  );
  return running;
}

/** The authorization request a navigation went through on its way, at the dev IdP's `/auth`. */
function authorizationUrl(page: { url: string; redirects: string[] }, idp: DevIdp): URL {
  const url = [...page.redirects, page.url].find((hop) => hop.startsWith(`${idp.issuer}/auth?`));
  if (url === undefined) throw new Error('the navigation never reached the authorization endpoint');
  return new URL(url);
}

/**
 * Follows the login redirect to the IdP, signs alice in and asks for the access token twice (two
 * refresh: the dev IdP's access tokens here live 30 s, under latchkey's 60 s margin): the authorization URL's parameter names, the
 * statuses, and the grants the IdP made.
 */
async function signInThroughPar({ app, idp }: { app: CoreApp; idp: DevIdp }) {
  const browser = new TestBrowser();
  const login = await browser.get(`${app.url}/auth/login?returnTo=/access-token`);
  const authorization = authorizationUrl(login, idp);
  const landed = await signInAtDevIdp(browser, login, {
    username: 'alice',
    password: 'alice-password',
  });
  const again = await browser.request(`${app.url}/access-token`, {
    headers: { accept: 'application/json' },
  });
  return {
    parameters: [...authorization.searchParams.keys()].sort(),
    clientId: authorization.searchParams.get('client_id'),
    pushed: idp.requestCount('/request'),
    statuses: [landed.status, again.status],
    grants: idp.grants.map((grant) => grant.grantType),
  };
}

const PUSHED = {
  parameters: ['client_id', 'request_uri'],
  clientId: 'core-app',
  pushed: 1,
  statuses: [200, 200],
  grants: ['authorization_code', 'refresh_token', 'refresh_token'],
};

describe('pushed authorization requests', () => {
  it('pushes the sign-in when asked to, to a client the IdP requires PAR of', async () => {
    const setup = await start(
      { pushedAuthorizationRequests: true },
      { require_pushed_authorization_requests: true },
    );
    expect(await signInThroughPar(setup)).toEqual(PUSHED);
  });

  it('pushes without being asked when the discovery document requires PAR', async () => {
    const setup = await start({}, {}, true);
    expect(await signInThroughPar(setup)).toEqual(PUSHED);
  });

  it('authenticates the push like a token request (private_key_jwt)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const setup = await start(
      {
        pushedAuthorizationRequests: true,
        clientAssertionKey: { ...(await exportJWK(privateKey)), kid: 'k1' },
      },
      {
        token_endpoint_auth_method: 'private_key_jwt',
        require_pushed_authorization_requests: true,
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] },
      },
    );
    expect(await signInThroughPar(setup)).toEqual(PUSHED);
  });

  it('pushes the step-up parameters too', async () => {
    const setup = await start({
      pushedAuthorizationRequests: true,
      acrLevels: ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'],
    });
    const browser = new TestBrowser();
    await signInAtDevIdp(browser, await browser.get(`${setup.app.url}/auth/login`), {
      username: 'alice',
      password: 'alice-password',
    });
    const stepUp = await browser.get(
      `${setup.app.url}/auth/step-up?acr=urn%3Alatchkey%3Aacr%3Amfa&returnTo=/`,
    );
    const authorization = authorizationUrl(stepUp, setup.idp);
    expect([...authorization.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(setup.idp.requestCount('/request')).toBe(2);
  });

  it('without PAR, the same client is refused by the IdP: the tests above prove the push', async () => {
    const setup = await start({}, { require_pushed_authorization_requests: true });
    const browser = new TestBrowser();
    const refused = await browser.get(`${setup.app.url}/auth/login`);
    expect(authorizationUrl(refused, setup.idp).searchParams.has('request_uri')).toBe(false);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('invalid_request');
  });

  it('fails sign-in with config_invalid when the IdP has no PAR endpoint', async () => {
    const latchkey = createLatchkey({
      issuer: hostile.idp.issuer,
      clientId: 'app',
      clientSecret: 'app-secret',
      baseUrl,
      secrets,
      pushedAuthorizationRequests: true,
    });
    const login = (await latchkey.handle(
      new Request(`${baseUrl}/auth/login`, { headers: { accept: 'application/json' } }),
    ))!;
    expect(login.status).toBe(500);
    const body = await login.json();
    expect(body.error).toBe('config_invalid');
    expect(body.message).toContain('names no pushed_authorization_request_endpoint');
    expect(login.headers.getSetCookie()).toEqual([]);
  });
});
