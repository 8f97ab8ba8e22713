// Each way the app authenticates at the token endpoint, against the dev IdP with a client
// registered for that method: the code exchange and a refresh both authenticate (RFC 6749 section
// 2.3, RFC 7523 for private_key_jwt), and the IdP refuses what it was not registered for.
import { type DevIdp, type DevIdpClient, signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { LatchkeyOptions } from '../src/index';
import { type CoreApp, startAppWithIdp } from './helpers';

let running: Awaited<ReturnType<typeof startAppWithIdp>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/**
 * The app with `auth` as its client authentication, and the dev IdP with the client registered as
 * `registration` says.
 */
async function start(
  auth: Pick<LatchkeyOptions, 'clientAuth' | 'clientSecret' | 'clientAssertionKey'>,
  registration: Partial<DevIdpClient>,
) {
  running = await startAppWithIdp(auth, registration);
  return running;
}

/** Signs alice in, then asks for an access token twice (two refreshes); resolves the grants. */
async function signInAndRefresh({ app, idp }: { app: CoreApp; idp: DevIdp }) {
  const browser = new TestBrowser();
  const landed = await signInAtDevIdp(
    browser,
    await browser.get(`${app.url}/auth/login?returnTo=/access-token`),
    { username: 'alice', password: 'alice-password' },
  );
  const again = await browser.request(`${app.url}/access-token`, {
    headers: { accept: 'application/json' },
  });
  return {
    statuses: [landed.status, again.status],
    grants: idp.grants.map((grant) => `${grant.grantType} ${grant.clientId}`),
  };
}

const BOTH_GRANTS = [
  'authorization_code core-app',
  'refresh_token core-app',
  'refresh_token core-app',
];

describe('client authentication at the token endpoint', () => {
  it('client_secret_basic (the default with a secret)', async () => {
    const setup = await start(
      { clientSecret: 'core-app-secret' },
      { client_secret: 'core-app-secret' },
    );
    expect(await signInAndRefresh(setup)).toEqual({ statuses: [200, 200], grants: BOTH_GRANTS });
  });

  it('client_secret_post', async () => {
    const setup = await start(
      { clientAuth: 'client_secret_post', clientSecret: 'core-app-secret' },
      { client_secret: 'core-app-secret', token_endpoint_auth_method: 'client_secret_post' },
    );
    expect(await signInAndRefresh(setup)).toEqual({ statuses: [200, 200], grants: BOTH_GRANTS });
  });

  it('private_key_jwt with a private JWK (ES256), whose public half the IdP holds', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = 'app-key-1';
    const setup = await start(
      { clientAssertionKey: { ...(await exportJWK(privateKey)), kid } },
      {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
      },
    );
    expect(setup.app.latchkey.config.clientAuth).toBe('private_key_jwt');
    expect(await signInAndRefresh(setup)).toEqual({ statuses: [200, 200], grants: BOTH_GRANTS });
  });

  it('private_key_jwt with a PKCS#8 PEM (PS256)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
    const setup = await start(
      {
        clientAuth: 'private_key_jwt',
        clientAssertionKey: { key: await exportPKCS8(privateKey), alg: 'PS256', kid: 'pem-key' },
      },
      {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'pem-key', alg: 'PS256' }] },
      },
    );
    expect(await signInAndRefresh(setup)).toEqual({ statuses: [200, 200], grants: BOTH_GRANTS });
  });

  it('none: a public client with PKCE only', async () => {
    const setup = await start({ clientAuth: 'none' }, {});
    expect(await signInAndRefresh(setup)).toEqual({ statuses: [200, 200], grants: BOTH_GRANTS });
  });

  it('refuses a sign-in signed with a key the IdP does not hold, as client_auth_failed', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { publicKey: registered } = await generateKeyPair('ES256', { extractable: true });
    const setup = await start(
      { clientAssertionKey: { ...(await exportJWK(privateKey)), kid: 'k' } },
      {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(registered)), kid: 'k', alg: 'ES256' }] },
      },
    );
    const browser = new TestBrowser();
    const landed = await signInAtDevIdp(
      browser,
      await browser.get(`${setup.app.url}/auth/login?returnTo=/access-token`),
      { username: 'alice', password: 'alice-password' },
    );
    expect(landed.status).toBe(500);
    expect(landed.body).toContain('client_auth_failed');
    expect(setup.idp.grants).toEqual([]);
  });
});
