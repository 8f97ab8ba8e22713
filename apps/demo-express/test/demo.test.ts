import { signInAtDevIdp } from '@latchkey/dev-idp';
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
