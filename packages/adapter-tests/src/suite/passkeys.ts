import { generateKeyPairSync } from 'node:crypto';
import type { StepUpKey } from '@latchkey/core';
import { ACR_MFA } from '@latchkey/dev-idp';
import { SoftwareAuthenticator, TestBrowser } from '@latchkey/test-utils';

import { expect, it } from 'vitest';
import { type AdapterApp, PROXY_PATH } from '../app';
import { JSON_HEADERS, signedInBrowser } from '../fixtures';
import type { SuiteEnv } from './env';

/**
 * The origin the suite's passkeys are scoped to. The test apps listen on 127.0.0.1, which cannot
 * be a relying-party ID; the passkey configuration names its own origin (never the request's), and
 * the software authenticator answers for it.
 */
export const PASSKEY_ORIGIN = 'http://localhost:3999';

/** The key the suite's app signs step-up assertions with; its own bearer routes trust it. */
export const STEP_UP_ASSERTION_KEY: StepUpKey = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'jwk',
  }),
  kid: 'suite-app',
};

/** Calls the passkey routes of `app` as the app's own script in `browser` would. */
function passkeyCalls(app: AdapterApp, browser: TestBrowser) {
  return (method: string, path: string, body?: unknown, origin = app.url) =>
    browser.request(`${app.url}/auth/passkeys${path}`, {
      method,
      headers: { ...JSON_HEADERS, origin, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

/** Passkeys through the adapter: core's routes, with the adapter only translating. */
export function passkeyTests(env: SuiteEnv): void {
  /**
   * A browser signed in at the IdP with its one-time code (adding a passkey needs a recent step-up
   * to the passkey level) that has registered a passkey on a new authenticator.
   */
  async function withPasskey() {
    const { app } = env;
    const { browser } = await signedInBrowser(app, { acr: ACR_MFA });
    const call = passkeyCalls(app, browser);
    const device = new SoftwareAuthenticator({ origin: PASSKEY_ORIGIN });
    const options = await call('POST', '/register/options');
    expect(options.status).toBe(200);
    expect(options.setCookies).toEqual([expect.stringMatching(/^lk_pk=[\w-]+; Path=\/; HttpOnly/)]);
    const registered = await call('POST', '/register/verify', device.register(options.json()));
    expect(registered.status).toBe(201);
    return { browser, call, device, passkey: registered.json<{ id: string; name: string }>() };
  }

  it('registers, lists, renames and removes a passkey', async () => {
    const { call, passkey } = await withPasskey();
    expect((await call('GET', '')).json()).toEqual([passkey]);
    // A credential id is base64url: its '-' and '_' reach core's :id intact.
    const renamed = await call('PATCH', `/${passkey.id}`, { name: 'Laptop' });
    expect(renamed.status).toBe(204);
    expect(renamed.body).toBe('');
    expect((await call('GET', '')).json()).toEqual([{ ...passkey, name: 'Laptop' }]);
    expect((await call('DELETE', `/${passkey.id}`, undefined, 'https://evil.example')).status).toBe(
      403,
    );
    expect((await call('DELETE', `/${passkey.id}`)).status).toBe(204);
    expect((await call('GET', '')).json()).toEqual([]);
  });

  it('signs a fresh browser in with the passkey: the session cookie works on app routes', async () => {
    const { app } = env;
    const { device } = await withPasskey();
    const browser = new TestBrowser();
    const call = passkeyCalls(app, browser);
    const options = (await call('POST', '/authenticate/options')).json();
    const signedIn = await call(
      'POST',
      '/authenticate/verify',
      device.authenticate(options as never),
    );
    expect(signedIn.status).toBe(200);
    expect(signedIn.json()).toMatchObject({
      authenticated: true,
      acr: ACR_MFA,
      amr: ['hwk', 'user'],
      user: { name: expect.stringContaining('Alice') },
    });
    const profile = await browser.request(`${app.url}/profile`, { headers: JSON_HEADERS });
    expect(profile.status).toBe(200);
    // No IdP access token in a passkey session: the app's getAccessToken says so.
    const token = await browser.request(`${app.url}/token`, { headers: JSON_HEADERS });
    expect(token.status).toBe(401);
    expect(token.json()).toEqual({ error: 'access_token_unavailable' });
  });

  /** Alice again, signed in with her password only, in a new browser. */
  async function withPasswordOnly() {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    return { browser, call: passkeyCalls(app, browser) };
  }

  it('adds a passkey only after a recent step-up, and says so with the RFC 9470 challenge', async () => {
    const { call } = await withPasswordOnly();
    const refused = await call('POST', '/register/options');
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    expect(refused.headers.get('www-authenticate')).toMatch(/acr_values="urn:latchkey:acr:mfa"/);
  });

  it('steps up with a passkey: the step-up route opens, and the old cookie is dead', async () => {
    const { app } = env;
    const { device } = await withPasskey();
    const { browser, call } = await withPasswordOnly();
    const transfer = () => browser.request(`${app.url}/transfer`, { headers: JSON_HEADERS });
    expect((await transfer()).status).toBe(401);
    const before = await browser.cookies(app.url);
    const options = (await call('POST', '/authenticate/options?purpose=step-up')).json();
    const raised = await call(
      'POST',
      '/authenticate/verify?purpose=step-up',
      device.authenticate(options as never),
    );
    expect(raised.status).toBe(200);
    expect(raised.json()).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'hwk', 'user'] });
    expect((await transfer()).status).toBe(200);
    const stale = new TestBrowser();
    for (const { name, value } of before) await stale.jar.setCookie(`${name}=${value}`, app.url);
    const old = await stale.request(`${app.url}/auth/session`, { headers: JSON_HEADERS });
    expect(old.json()).toEqual({ authenticated: false });
  });

  it('carries a passkey step-up to the API in a step-up assertion bound to the access token', async () => {
    const { app } = env;
    const { device } = await withPasskey();
    const { browser, call } = await withPasswordOnly();
    const forwarded = async () =>
      (await browser.request(`${app.url}${PROXY_PATH}/anything`, { headers: JSON_HEADERS })).json<{
        stepUp: string | null;
      }>().stepUp;
    expect(await forwarded()).toBeNull();
    const options = (await call('POST', '/authenticate/options?purpose=step-up')).json();
    await call(
      'POST',
      '/authenticate/verify?purpose=step-up',
      device.authenticate(options as never),
    );
    const assertion = await forwarded();
    expect(assertion).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    // The app's own API route wants mfa within 5 minutes: the IdP's token alone says pwd.
    const token = (await browser.request(`${app.url}/raw-token`, { headers: JSON_HEADERS })).json<{
      token: string;
    }>().token;
    const api = (bearer: string, stepUp?: string) =>
      new TestBrowser().request(`${app.url}/api/transfer`, {
        headers: {
          ...JSON_HEADERS,
          authorization: `Bearer ${bearer}`,
          ...(stepUp ? { 'latchkey-step-up': stepUp } : {}),
        },
      });
    const without = await api(token);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/insufficient_user_authentication/);
    expect((await api(token, assertion!)).status).toBe(200);
    // Bound to that token: with another one of the same user, it is refused.
    const { browser: other } = await signedInBrowser(app);
    const otherToken = (
      await other.request(`${app.url}/raw-token`, { headers: JSON_HEADERS })
    ).json<{ token: string }>().token;
    const stolen = await api(otherToken, assertion!);
    expect(stolen.status).toBe(401);
    expect(stolen.json()).toMatchObject({ error: 'invalid_token' });
  });
}
