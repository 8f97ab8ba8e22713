import { signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorize,
  client,
  type Fixture,
  idTokenClaims,
  redeem,
  sleep,
  startFixture,
  verifyWithJwks,
} from './helpers';

const alice = { username: 'alice', password: 'alice-password' };

async function signedIn(f: Fixture, browser: TestBrowser) {
  const flow = await authorize(browser, f.as, f.rp.redirectUri);
  const back = await signInAtDevIdp(browser, flow.page, alice);
  return redeem(f.as, back.url, f.rp.redirectUri, flow);
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await sleep(20);
  }
}

describe('dev IdP: logout', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f.stop();
  });

  it('RP-initiated logout: the confirm form reaches post_logout_redirect_uri and ends the IdP session', async () => {
    const browser = new TestBrowser();
    const tokens = await signedIn(f, browser);
    const events: unknown[] = [];
    f.idp.on('end_session.success', () => events.push('end_session.success'));

    const url = new URL(f.as.end_session_endpoint ?? '');
    url.search = new URLSearchParams({
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: f.rp.postLogoutRedirectUri,
      client_id: client.client_id,
      state: 'bye',
    }).toString();
    const confirm = await browser.get(url.href);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('name="xsrf"');
    expect(confirm.body).toContain('name="logout"');

    const done = await browser.submitForm(confirm);
    expect(done.url).toBe(`${f.rp.postLogoutRedirectUri}?state=bye`);
    expect(events).toEqual(['end_session.success']);

    // The IdP session is gone: the next authorization shows the password form.
    const again = await authorize(browser, f.as, f.rp.redirectUri);
    expect(again.page.body).toContain('name="password"');
  });

  it('back-channel logout POSTs a logout token with sid to the client', async () => {
    const browser = new TestBrowser();
    const tokens = await signedIn(f, browser);
    const sid = idTokenClaims(tokens).sid;
    expect(sid).toEqual(expect.any(String));
    const received = f.rp.logoutTokens.length;

    const url = new URL(f.as.end_session_endpoint ?? '');
    url.search = new URLSearchParams({
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: f.rp.postLogoutRedirectUri,
    }).toString();
    await browser.submitForm(await browser.get(url.href));

    const token = await waitFor(() => f.rp.logoutTokens[received]);
    const { payload, typ } = await verifyWithJwks(f.as, token, { audience: client.client_id });
    expect(typ).toBe('logout+jwt');
    expect(payload).toMatchObject({
      iss: f.idp.issuer,
      aud: client.client_id,
      sub: 'usr_alice',
      sid,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
    expect(payload.nonce).toBeUndefined();
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('shows a signed-out page when no post_logout_redirect_uri is given', async () => {
    const browser = new TestBrowser();
    await signedIn(f, browser);
    const confirm = await browser.get(f.as.end_session_endpoint ?? '');
    const done = await browser.submitForm(confirm);
    expect(done.status).toBe(200);
    expect(done.url.startsWith(f.idp.issuer)).toBe(true);
    expect(done.body).toContain('You are signed out');
  });
});
