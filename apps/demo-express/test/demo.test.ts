import { DEV_OTP, signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../src/demo';

describe('demo-express with its own dev IdP', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0001',
    });
  });
  afterAll(() => demo?.stop());

  it('shows a public home page with a sign-in link', async () => {
    const home = await new TestBrowser().get(`${demo.url}/`);
    expect(home.status).toBe(200);
    expect(home.body).toContain('href="/auth/login?returnTo=/profile"');
  });

  it('lets alice sign in and shows her profile, then sign out', async () => {
    const browser = new TestBrowser();
    const home = await browser.get(`${demo.url}/`);
    const loginPage = await browser.get(new URL('/auth/login?returnTo=/profile', home.url).href);
    const profile = await signInAtDevIdp(browser, loginPage, {
      username: 'alice',
      password: 'alice-password',
    });
    expect(profile.url).toBe(`${demo.url}/profile`);
    expect(profile.body).toContain('Alice');
    expect(profile.body).toContain('admin, viewer');
    expect(profile.body).toContain('urn:latchkey:acr:pwd');
    const afterSignOut = await browser.submitForm(profile, {}, 'form[action="/auth/logout"]');
    // The IdP asks to confirm the sign-out; confirming returns to the demo's home page.
    const home2 =
      new URL(afterSignOut.url).origin === demo.issuer
        ? await browser.submitForm(afterSignOut)
        : afterSignOut;
    expect(home2.url).toBe(`${demo.url}/`);
    expect(home2.body).toContain('You are signed out.');
  });
});

describe('demo-express authorization', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0002',
    });
  });
  afterAll(() => demo?.stop());

  const signIn = async (username: string, returnTo: string) => {
    const browser = new TestBrowser();
    const page = await signInAtDevIdp(
      browser,
      await browser.get(`${demo.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`),
      { username, password: `${username}-password` },
    );
    return { browser, page };
  };

  it('shows /admin to alice and answers bob 403', async () => {
    const alice = await signIn('alice', '/admin');
    expect(alice.page.status).toBe(200);
    expect(alice.page.body).toContain('Only the <code>admin</code> role');
    const bob = await signIn('bob', '/admin');
    expect(bob.page.status).toBe(403);
    expect(bob.page.body).toContain('forbidden');
  });

  it('sends alice through the one-time code for /transfer, then shows it', async () => {
    const { browser } = await signIn('alice', '/profile');
    const otpPage = await browser.get(`${demo.url}/transfer`);
    expect(otpPage.body).toContain('name="otp"');
    const transfer = await browser.submitForm(otpPage, { otp: DEV_OTP });
    expect(transfer.url).toBe(`${demo.url}/transfer`);
    expect(transfer.body).toContain('urn:latchkey:acr:mfa');
  });
});
