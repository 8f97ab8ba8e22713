import { TestBrowser } from '@latchkey/test-utils';
import { expect, it, vi } from 'vitest';
import { JSON_HEADERS, signedInBrowser } from '../fixtures';
import type { SuiteEnv } from './env';

/** The largest body an adapter hands to latchkey's routes. */
export const BODY_LIMIT = 64 * 1024;

/** Translation: which requests reach latchkey, with which body, and what comes back. */
export function routeTests(env: SuiteEnv): void {
  it('hands latchkey the raw body of a form post to its routes', async () => {
    const { app } = env;
    const received: string[] = [];
    const handle = app.latchkey.handle.bind(app.latchkey);
    const spy = vi.spyOn(app.latchkey, 'handle').mockImplementation(async (request) => {
      if (request.method === 'POST') received.push(await request.text());
      return handle(request);
    });
    try {
      const body = `confirm=yes&note=caf%C3%A9+%26+cr%C3%A8me&pad=${'x'.repeat(40_000)}`;
      const response = await new TestBrowser().request(`${app.url}/auth/logout`, {
        method: 'POST',
        headers: { origin: app.url, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(response.status).toBe(303);
      expect(received).toEqual([body]);
    } finally {
      spy.mockRestore();
    }
  });

  it("takes the IdP's form post to /auth/backchannel-logout without Origin, and judges its token", async () => {
    const { app } = env;
    const response = await new TestBrowser().request(`${app.url}/auth/backchannel-logout`, {
      method: 'POST',
      body: new URLSearchParams({ logout_token: 'not-a-logout-token' }),
    });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ error: 'logout_token_invalid' });
  });

  it('refuses a body over 64 KiB to its routes with 413 payload_too_large', async () => {
    const { app } = env;
    const response = await new TestBrowser().request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: {
        ...JSON_HEADERS,
        origin: app.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `confirm=${'x'.repeat(BODY_LIMIT)}`,
    });
    expect(response.status).toBe(413);
    expect(response.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers another method on its routes with 405 and Allow', async () => {
    const { app } = env;
    const response = await new TestBrowser().request(`${app.url}/auth/session`, {
      method: 'PUT',
      headers: JSON_HEADERS,
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(response.json()).toMatchObject({ error: 'method_not_allowed' });
  });

  it('leaves paths under its base path that it does not know to the app, signed in', async () => {
    const { app } = env;
    const response = await new TestBrowser().request(`${app.url}/auth/unknown`, {
      headers: JSON_HEADERS,
    });
    expect(response.status).toBe(404);
    const { browser } = await signedInBrowser(app);
    const own = await browser.request(`${app.url}/auth/app-page`, { headers: JSON_HEADERS });
    expect(own.status).toBe(200);
    expect(own.json()).toEqual({ signedIn: true });
  });

  it("renders the app's errorPage for a failed navigation, and JSON for a script", async () => {
    const { customApp: app } = env;
    const browser = new TestBrowser();
    const page = await browser.get(`${app.url}/auth/callback?code=x&state=${'s'.repeat(43)}`);
    expect(page.status).toBe(400);
    expect(page.body).toBe('<h1>Our own page</h1><p>state_mismatch</p>');
    const script = await browser.request(
      `${app.url}/auth/callback?code=x&state=${'s'.repeat(43)}`,
      {
        headers: JSON_HEADERS,
      },
    );
    expect(script.status).toBe(400);
    expect(script.json()).toMatchObject({ error: 'state_mismatch' });
  });
}
