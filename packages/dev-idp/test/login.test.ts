import { ACR_MFA, ACR_PWD, DEV_OTP, defaultUsers, signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorize,
  client,
  type Fixture,
  idTokenClaims,
  insecure,
  redeem,
  sleep,
  startFixture,
  verifyWithJwks,
} from './helpers';

const alice = { username: 'alice', password: 'alice-password' };

describe('dev IdP: discovery and sign-in', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f.stop();
  });

  it('publishes discovery metadata for code + PKCE, iss, acr levels and logout', () => {
    expect(f.as).toMatchObject({
      issuer: f.idp.issuer,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      acr_values_supported: [ACR_PWD, ACR_MFA],
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
    expect(f.as.end_session_endpoint).toBe(`${f.idp.issuer}/session/end`);
    expect(f.as.claims_supported).toEqual(
      expect.arrayContaining(['roles', 'acr', 'amr', 'auth_time']),
    );
    expect(f.as.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'offline_access', 'profile', 'email']),
    );
    expect(f.as.id_token_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['RS256', 'ES256']),
    );
  });

  it('serves a JWKS with one RS256 and one ES256 public key', async () => {
    const response = await fetch(f.as.jwks_uri ?? '');
    const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.map((key) => [key.kty, key.alg, key.use]).sort()).toEqual([
      ['EC', 'ES256', 'sig'],
      ['RSA', 'RS256', 'sig'],
    ]);
    for (const key of keys) {
      expect(key.d).toBeUndefined();
      expect(typeof key.kid).toBe('string');
    }
  });

  it('signs alice in with code + PKCE: ID token with roles, acr pwd, amr, auth_time, profile', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri);
    expect(flow.page.url).toMatch(new RegExp(`^${f.idp.issuer}/interaction/`));
    expect(flow.page.body).toContain('name="username"');
    expect(flow.page.body).toContain('name="password"');

    const before = Math.floor(Date.now() / 1000);
    const back = await browser.submitForm(flow.page, alice);
    expect(back.url.startsWith(f.rp.redirectUri)).toBe(true);
    const callback = new URL(back.url);
    expect(callback.searchParams.get('iss')).toBe(f.idp.issuer);

    const tokens = await redeem(f.as, back.url, f.rp.redirectUri, flow);
    expect(tokens.refresh_token).toBeUndefined();
    const claims = idTokenClaims(tokens);
    expect(claims).toMatchObject({
      iss: f.idp.issuer,
      aud: client.client_id,
      sub: 'usr_alice',
      acr: ACR_PWD,
      amr: ['pwd'],
      roles: ['admin', 'viewer'],
      name: 'Alice Example',
      email: 'alice@example.com',
      email_verified: true,
      preferred_username: 'alice',
    });
    expect(claims.auth_time).toBeGreaterThanOrEqual(before - 1);
    expect(typeof claims.sid).toBe('string');

    const verified = await verifyWithJwks(f.as, tokens.id_token ?? '', {
      audience: client.client_id,
    });
    expect(verified.alg).toBe('RS256');

    const userinfo = await oauth.processUserInfoResponse(
      f.as,
      client,
      'usr_alice',
      await oauth.userInfoRequest(f.as, client, tokens.access_token, insecure),
    );
    expect(userinfo).toMatchObject({
      sub: 'usr_alice',
      roles: ['admin', 'viewer'],
      email: 'alice@example.com',
    });
  });

  it('requires PKCE', async () => {
    const browser = new TestBrowser();
    const url = new URL(f.as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: f.rp.redirectUri,
      response_type: 'code',
      scope: 'openid',
    }).toString();
    const page = await browser.get(url.href);
    const callback = new URL(page.url);
    expect(callback.origin + callback.pathname).toBe(f.rp.redirectUri);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('re-renders the password form with an error on a wrong password and issues no code', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri);
    const page = await browser.submitForm(flow.page, { username: 'alice', password: 'nope' });
    expect(page.status).toBe(401);
    expect(page.url).toMatch(new RegExp(`^${f.idp.issuer}/interaction/`));
    expect(page.body).toContain('Invalid username or password');
    expect(page.body).toContain('name="password"');
    await expect(
      signInAtDevIdp(browser, page, { username: 'alice', password: 'still-wrong' }),
    ).rejects.toThrow(/Invalid username or password/);
  });

  it('signs in with password and one-time code when acr mfa is asked on a fresh session', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri, { acr_values: ACR_MFA });
    const otpPage = await browser.submitForm(flow.page, alice);
    expect(otpPage.body).toContain('name="otp"');
    expect(otpPage.body).toContain(DEV_OTP);
    await expect(signInAtDevIdp(browser, otpPage, { ...alice, otp: '999999' })).rejects.toThrow(
      /Invalid one-time code/,
    );
    const back = await signInAtDevIdp(browser, otpPage, alice);
    const claims = idTokenClaims(await redeem(f.as, back.url, f.rp.redirectUri, flow));
    expect(claims).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'otp'] });
  });

  it('steps an existing pwd session up to mfa with the code form only; a wrong code issues no code', async () => {
    const browser = new TestBrowser();
    const first = await authorize(browser, f.as, f.rp.redirectUri);
    const firstBack = await signInAtDevIdp(browser, first.page, alice);
    const pwd = idTokenClaims(await redeem(f.as, firstBack.url, f.rp.redirectUri, first));
    expect(pwd.acr).toBe(ACR_PWD);

    await sleep(1100); // auth_time has a one-second resolution
    const stepUp = await authorize(browser, f.as, f.rp.redirectUri, { acr_values: ACR_MFA });
    expect(stepUp.page.body).toContain('name="otp"');
    expect(stepUp.page.body).not.toContain('name="password"');

    const wrong = await browser.submitForm(stepUp.page, { otp: '000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.url).toMatch(new RegExp(`^${f.idp.issuer}/interaction/`));
    expect(wrong.body).toContain('Invalid one-time code');
    expect(wrong.body).toContain('name="otp"');
    expect(wrong.redirects.some((url) => url.startsWith(f.rp.redirectUri))).toBe(false);

    const back = await browser.submitForm(wrong, { otp: DEV_OTP });
    expect(back.url.startsWith(f.rp.redirectUri)).toBe(true);
    const mfa = idTokenClaims(await redeem(f.as, back.url, f.rp.redirectUri, stepUp));
    expect(mfa.sub).toBe(pwd.sub);
    expect(mfa.acr).toBe(ACR_MFA);
    expect(mfa.amr).toContain('otp');
    expect(mfa.auth_time).toBeGreaterThan(pwd.auth_time ?? Number.POSITIVE_INFINITY);

    // The session is at mfa now: asking again needs no page at all.
    const again = await authorize(browser, f.as, f.rp.redirectUri, { acr_values: ACR_MFA });
    expect(again.page.url.startsWith(f.rp.redirectUri)).toBe(true);
  });

  it('reuses the IdP session silently, but max_age=0 and prompt=login show the password form again', async () => {
    const browser = new TestBrowser();
    const first = await authorize(browser, f.as, f.rp.redirectUri);
    await signInAtDevIdp(browser, first.page, alice);

    const silent = await authorize(browser, f.as, f.rp.redirectUri);
    expect(silent.page.url.startsWith(f.rp.redirectUri)).toBe(true);

    for (const params of [{ max_age: '0' }, { prompt: 'login' }]) {
      const flow = await authorize(browser, f.as, f.rp.redirectUri, params);
      expect(flow.page.body, JSON.stringify(params)).toContain('name="password"');
      const back = await signInAtDevIdp(browser, flow.page, alice);
      expect(back.url.startsWith(f.rp.redirectUri)).toBe(true);
    }
  });

  it('signs bob in with his own roles', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri);
    const bob = defaultUsers.find((user) => user.username === 'bob');
    const back = await signInAtDevIdp(browser, flow.page, bob ?? alice);
    const claims = idTokenClaims(await redeem(f.as, back.url, f.rp.redirectUri, flow));
    expect(claims).toMatchObject({ sub: 'usr_bob', roles: ['viewer'], name: 'Bob Example' });
  });

  it('switches accounts when another user signs in over an existing session', async () => {
    const browser = new TestBrowser();
    const first = await authorize(browser, f.as, f.rp.redirectUri);
    await signInAtDevIdp(browser, first.page, alice);
    const flow = await authorize(browser, f.as, f.rp.redirectUri, { prompt: 'login' });
    const bob = { username: 'bob', password: 'bob-password' };
    const back = await signInAtDevIdp(browser, flow.page, bob);
    expect(back.url.startsWith(f.rp.redirectUri)).toBe(true);
    const claims = idTokenClaims(await redeem(f.as, back.url, f.rp.redirectUri, flow));
    expect(claims.sub).toBe('usr_bob');
  });

  it('renders errors as a small HTML page without a stack trace', async () => {
    const browser = new TestBrowser();
    const page = await browser.get(`${f.idp.issuer}/auth?client_id=nobody&response_type=code`);
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('invalid_client');
    expect(page.body).not.toMatch(/\n\s+at /);

    const stale = await browser.get(`${f.idp.issuer}/interaction/not-a-real-uid`);
    expect(stale.status).toBe(400);
    expect(stale.body).toContain('session_not_found');
  });
});
