import { ACR_MFA, DEV_OTP, signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import { alice, JSON_HEADERS, signedInBrowser } from '../fixtures';
import type { SuiteEnv } from './env';

const bob = { username: 'bob', password: 'bob-password' };

/** The app's session cookie only (the IdP's cookies share the host: cookies ignore ports). */
async function sessionCookie(browser: TestBrowser, url: string): Promise<string> {
  const cookies = await browser.cookies(url);
  return cookies
    .filter((cookie) => cookie.name.startsWith('lk_session'))
    .map((cookie) => `${cookie.name}=${cookie.value}`)
    .join('; ');
}
const NAVIGATION = { accept: 'text/html', 'sec-fetch-mode': 'navigate' };
const RFC_9470 =
  /^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="urn:latchkey:acr:mfa", max_age=300$/;

/** RBAC guards, step-up through the dev IdP's one-time code, and bearer-protected API routes. */
export function authorizationTests(env: SuiteEnv): void {
  it('lets alice (admin) reach /admin and answers bob (viewer) 403 forbidden', async () => {
    const { app } = env;
    const asAlice = await signedInBrowser(app);
    expect(
      (await asAlice.browser.request(`${app.url}/admin`, { headers: JSON_HEADERS })).status,
    ).toBe(200);
    const asBob = await signedInBrowser(app, { user: bob });
    const denied = await asBob.browser.request(`${app.url}/admin`, { headers: JSON_HEADERS });
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ error: 'forbidden' });
    expect(
      (await asBob.browser.request(`${app.url}/reports`, { headers: JSON_HEADERS })).status,
    ).toBe(200);
    const signedOut = await new TestBrowser().request(`${app.url}/admin`, {
      headers: JSON_HEADERS,
    });
    expect(signedOut.status).toBe(401);
  });

  it('carries roles and permissions in the session JSON', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app, { user: bob });
    const session = await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS });
    expect(session.json()).toMatchObject({ roles: ['viewer'], permissions: ['reports:read'] });
  });

  it('answers an API request below the acr with 401 and the RFC 9470 challenge', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const response = await browser.request(`${app.url}/transfer`, { headers: JSON_HEADERS });
    expect(response.status).toBe(401);
    expect(response.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    expect(response.headers.get('www-authenticate')).toMatch(RFC_9470);
  });

  it('steps alice up through the one-time code, then shows the page with acr mfa and a new session id', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const before = await sessionCookie(browser, app.url);
    expect(before).toMatch(/^lk_session/);
    const redirect = await browser.request(`${app.url}/transfer`, { headers: NAVIGATION });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(
      `/auth/step-up?acr=${encodeURIComponent(ACR_MFA)}&max_age=300&returnTo=%2Ftransfer`,
    );
    const otpPage = await browser.get(`${app.url}/transfer`);
    expect(otpPage.body).toContain('name="otp"');
    const wrong = await browser.submitForm(otpPage, { otp: '000000' });
    expect(wrong.body).toContain('name="otp"');
    expect(wrong.url.startsWith(app.url)).toBe(false);
    const landed = await browser.submitForm(wrong, { otp: DEV_OTP });
    expect(landed.url).toBe(`${app.url}/transfer`);
    expect(landed.status).toBe(200);
    expect(landed.json()).toMatchObject({ acr: ACR_MFA });
    const session = await browser.request(`${app.url}/auth/session`, { headers: JSON_HEADERS });
    expect(session.json()).toMatchObject({ acr: ACR_MFA, amr: expect.arrayContaining(['otp']) });
    expect(await sessionCookie(browser, app.url)).not.toBe(before);
    // The session that was upgraded is over: its cookie no longer works.
    const old = await new TestBrowser().request(`${app.url}/profile`, {
      headers: { ...JSON_HEADERS, cookie: before },
    });
    expect(old.status).toBe(401);
  });

  it('refuses a step-up completed by another user and leaves the original session as it was', async () => {
    // Bob's sign-in ends alice's IdP session, and the IdP's back-channel logout would (rightly)
    // end her app session on the instance it reaches: use the instance it does not reach.
    const app = env.otherSecretApp;
    const { browser } = await signedInBrowser(app);
    const before = await sessionCookie(browser, app.url);
    expect(before).toMatch(/^lk_session/);
    // max_age=0 makes the IdP ask for a password again: bob signs in instead of alice.
    const stepUp = await browser.get(
      `${app.url}/auth/step-up?acr=${encodeURIComponent(ACR_MFA)}&max_age=0&returnTo=/transfer`,
    );
    const refused = await signInAtDevIdp(browser, stepUp, { ...bob, otp: DEV_OTP });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('step_up_failed');
    expect(await sessionCookie(browser, app.url)).toBe(before);
    const profile = await browser.request(`${app.url}/profile`, { headers: JSON_HEADERS });
    expect(profile.json()).toMatchObject({ user: { name: expect.stringContaining('Alice') } });
  });

  it('refuses a step-up to an unknown level with 400 invalid_request', async () => {
    const { app } = env;
    const response = await new TestBrowser().request(
      `${app.url}/auth/step-up?acr=urn:evil&returnTo=/`,
      {
        headers: JSON_HEADERS,
      },
    );
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('protects API routes with bearer tokens: 200, 401 without, 403 insufficient_scope, 401 RFC 9470', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app, { user: alice });
    const token = (await browser.request(`${app.url}/raw-token`, { headers: JSON_HEADERS })).json<{
      token: string;
    }>().token;
    const api = (path: string, headers: Record<string, string> = {}) =>
      new TestBrowser().request(`${app.url}${path}`, { headers: { ...JSON_HEADERS, ...headers } });
    const bearer = { authorization: `Bearer ${token}` };

    const reports = await api('/api/reports', bearer);
    expect(reports.status).toBe(200);
    expect(reports.json()).toMatchObject({ sub: expect.any(String) });

    const missing = await api('/api/reports');
    expect(missing.status).toBe(401);
    // Either scheme: the test apps' APIs take DPoP-bound tokens too.
    expect(missing.headers.get('www-authenticate')).toBe(
      'Bearer, DPoP algs="ES256 EdDSA PS256 RS256"',
    );

    const garbage = await api('/api/reports', { authorization: 'Bearer not-a-token' });
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    const stepUp = await api('/api/transfer', bearer);
    expect(stepUp.status).toBe(401);
    expect(stepUp.headers.get('www-authenticate')).toMatch(RFC_9470);
  });

  it('answers 403 insufficient_scope, with the scope, when the token lacks the route scope', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const token = (await browser.request(`${app.url}/raw-token`, { headers: JSON_HEADERS })).json<{
      token: string;
    }>().token;
    const response = await new TestBrowser().request(`${app.url}/api/audit`, {
      headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(403);
    expect(response.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(response.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope".*scope="audit:write"/,
    );
  });
}
