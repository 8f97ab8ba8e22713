import { TestBrowser } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import { PROXY_PATH } from '../app';
import { ECHO_CHALLENGE, JSON_HEADERS, signedInBrowser } from '../fixtures';
import type { SuiteEnv } from './env';

/** Backend-for-frontend forwarding to an API with the session's access token. */
export function forwardingTests(env: SuiteEnv): void {
  it('forwards API calls with the access token, never the cookie, and passes the answer back', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const get = await browser.request(`${app.url}${PROXY_PATH}/reports?year=2026`, {
      headers: JSON_HEADERS,
    });
    expect(get.status).toBe(200);
    expect(get.json()).toEqual({
      method: 'GET',
      path: `${PROXY_PATH}/reports`,
      query: '?year=2026',
      bearer: true,
      cookie: false,
      contentType: null,
      stepUp: null,
      body: '',
    });
    const post = await browser.request(`${app.url}${PROXY_PATH}/payments`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'content-type': 'application/json', origin: app.url },
      body: JSON.stringify({ amount: 5 }),
    });
    expect(post.json()).toMatchObject({ method: 'POST', body: '{"amount":5}', bearer: true });
  });

  it.each([
    ['a form', 'application/x-www-form-urlencoded', 'name=Ada+Lovelace&note=caf%C3%A9'],
    ['JSON', 'application/json', '{"amount":5,"note":"café"}'],
  ])(
    'forwards %s body with the bytes and Content-Type the browser sent',
    async (_kind, type, body) => {
      const { app } = env;
      const { browser } = await signedInBrowser(app);
      const post = await browser.request(`${app.url}${PROXY_PATH}/notes`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, 'content-type': type, origin: app.url },
        body,
      });
      expect(post.status).toBe(200);
      expect(post.json()).toMatchObject({ method: 'POST', contentType: type, body });
    },
  );

  it('refuses a forwarded write from another origin with 403 origin_mismatch', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const response = await browser.request(`${app.url}${PROXY_PATH}/payments`, {
      method: 'POST',
      headers: {
        ...JSON_HEADERS,
        'content-type': 'application/json',
        origin: 'http://localhost:4000',
      },
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(response.json()).toMatchObject({ error: 'origin_mismatch' });
  });

  it("passes the API's RFC 9470 challenge back unchanged", async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const response = await browser.request(`${app.url}${PROXY_PATH}/step-up`, {
      headers: JSON_HEADERS,
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(ECHO_CHALLENGE);
  });

  it('answers 401 unauthenticated when signed out, without calling the API', async () => {
    const { app } = env;
    const response = await new TestBrowser().request(`${app.url}${PROXY_PATH}/reports`, {
      headers: JSON_HEADERS,
    });
    expect(response.status).toBe(401);
    expect(response.json()).toMatchObject({ error: 'unauthenticated' });
  });
}
