import { connect } from 'node:net';
import { ACR_MFA, signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import { PROXY_PATH } from '../app';
import {
  alice,
  cookieHeader,
  echoApi,
  JSON_HEADERS,
  postSignOut,
  rawRequest,
  signedInBrowser,
} from '../fixtures';
import type { SuiteEnv } from './env';

/** The open-redirect attempts of the security review: each once became `//evil.example/`. */
const DOT_SEGMENT_REDIRECTS = [
  '/.//evil.example/',
  '/%2e//evil.example/',
  '/a/..//evil.example/',
  '/x/%2e%2e//evil.example/',
];

/** Paths that resolve outside the forwarding mount, written raw as an attacker sends them. */
const ESCAPING_PATHS = [
  `${PROXY_PATH}/%2e%2e/internal/admin`,
  `${PROXY_PATH}/../internal/admin`,
  `${PROXY_PATH}/.%2e/internal/admin`,
  `${PROXY_PATH}/%2E%2E/internal/admin`,
  `${PROXY_PATH}/..%2finternal/admin`,
  `${PROXY_PATH}/..\\internal/admin`,
  `${PROXY_PATH}/reports/%252e%252e/%252e%252e/internal`,
  `${PROXY_PATH}/./reports`,
];

/** Regressions for the defects of the security review (issue 11), in every adapter. */
export function hardeningTests(env: SuiteEnv): void {
  it.each(DOT_SEGMENT_REDIRECTS)(
    'lands on / after signing in with returnTo=%s',
    async (returnTo) => {
      const { app } = env;
      const { landed } = await signedInBrowser(app, { returnTo });
      expect(landed.url).toBe(`${app.url}/`);
      expect(landed.redirects.every((url) => !url.includes('evil.example/'))).toBe(true);
    },
  );

  it('lands on / after a step-up whose returnTo leaves the origin after dot-segment removal', async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const query = new URLSearchParams({ acr: ACR_MFA, returnTo: DOT_SEGMENT_REDIRECTS[0]! });
    const idpPage = await browser.get(`${app.url}/auth/step-up?${query}`);
    const landed = await signInAtDevIdp(browser, idpPage, alice);
    expect(landed.url).toBe(`${app.url}/`);
  });

  it.each(ESCAPING_PATHS)(
    'refuses the forwarded path %s with 400, and the API receives nothing',
    async (path) => {
      const { app } = env;
      const api = await echoApi();
      const { browser } = await signedInBrowser(app);
      const before = api.received.length;
      const response = await rawRequest(app.url, path, {
        ...JSON_HEADERS,
        cookie: await cookieHeader(browser, app.url),
      });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_request' });
      expect(api.received.slice(before)).toEqual([]);
    },
  );

  it("keeps forwarded answers from acting as the app's content or being cached as public", async () => {
    const { app } = env;
    const { browser } = await signedInBrowser(app);
    const json = await browser.request(`${app.url}${PROXY_PATH}/reports`, {
      headers: JSON_HEADERS,
    });
    expect(json.status).toBe(200);
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    expect(json.headers.get('cache-control')).toBe('private, no-store');
    expect(json.headers.get('content-security-policy')).toBeNull();
    const html = await browser.request(`${app.url}${PROXY_PATH}/page`, { headers: JSON_HEADERS });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toBe('sandbox');
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');
    expect(html.headers.get('cache-control')).toBe('private, no-store');
  });

  it('reads a packed Cookie header of 480 chunk names as an invalid session and clears only 4 chunks', async () => {
    const { app } = env;
    const chunks = Array.from({ length: 480 }, (_, i) => `lk_session.${i}=`).join(';');
    const response = await rawRequest(app.url, '/', { cookie: `${';'.repeat(8000)} ${chunks}` });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ signedIn: false });
    const setCookies = [response.headers['set-cookie'] ?? []].flat();
    expect(setCookies).toHaveLength(4);
    expect(setCookies.map((line) => line.split('=')[0])).toEqual([
      'lk_session.0',
      'lk_session.1',
      'lk_session.2',
      'lk_session.3',
    ]);
  });

  it('sends its pages with frame-ancestors none, X-Frame-Options DENY and nosniff, and JSON with nosniff', async () => {
    const { app } = env;
    const page = await new TestBrowser().get(`${app.url}/auth/logout`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const error = await new TestBrowser().get(`${app.url}/auth/callback?state=x`);
    expect(error.status).toBe(400);
    expect(error.headers.get('x-frame-options')).toBe('DENY');
    const json = await new TestBrowser().request(`${app.url}/auth/session`, {
      headers: JSON_HEADERS,
    });
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("lets the sign-out page's form continue to the session's IdP end-session endpoint", async () => {
    const { app, idp } = env;
    const { browser } = await signedInBrowser(app);
    const page = await browser.get(`${app.url}/auth/logout`);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(new RegExp(`form-action 'self' ${idp.issuer}(;|$)`));
    // A signed-out browser's sign-out stays on the app: no IdP is allowed.
    const signedOut = await new TestBrowser().get(`${app.url}/auth/logout`);
    expect(signedOut.headers.get('content-security-policy')).toMatch(/form-action 'self'(;|$)/);
  });

  it('keeps at most 5 transaction cookies for 40 concurrent sign-in starts, and one of them completes', async () => {
    const { app } = env;
    const browser = new TestBrowser();
    const starts = await Promise.all(
      Array.from({ length: 40 }, () => browser.request(`${app.url}/auth/login?returnTo=/profile`)),
    );
    const names = (await browser.cookies(app.url)).map((cookie) => cookie.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThanOrEqual(5);
    expect(names.every((name) => /^lk_tx\.[0-4]$/.test(name))).toBe(true);
    // The start whose transaction the jar kept last in its slot.
    const jar = new Map((await browser.cookies(app.url)).map((c) => [c.name, c.value]));
    const kept = starts.find((start) => {
      const [name, value] = start.setCookies[0]!.split(';')[0]!.split('=');
      return jar.get(name!) === value;
    })!;
    const landed = await signInAtDevIdp(
      browser,
      await browser.get(kept.headers.get('location')!),
      alice,
    );
    expect(landed.url).toBe(`${app.url}/profile`);
  });

  it('answers 408 request_timeout when a POST body does not arrive within bodyTimeout', async () => {
    const { app } = env;
    const { hostname, port } = new URL(app.url);
    const socket = connect(Number(port), hostname);
    const answer = new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    socket.write(
      `POST /auth/logout HTTP/1.1\r\nHost: ${hostname}:${port}\r\nOrigin: ${app.url}\r\n` +
        'Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 100\r\n\r\nconfirm=',
    );
    const started = Date.now();
    const text = await answer;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('"error":"request_timeout"');
    expect(text.toLowerCase()).toContain('\r\nconnection: close\r\n');
  });

  it('signs out without handing the browser the ID token when logout.idTokenHint is false', async () => {
    const { customApp: app, idp } = env;
    const { browser } = await signedInBrowser(app);
    const { endSession } = await postSignOut(browser, app, idp.issuer);
    expect(endSession.searchParams.has('id_token_hint')).toBe(false);
    expect(endSession.searchParams.get('client_id')).toBe('test-app');
    expect(endSession.searchParams.get('logout_hint')).toMatch(/^[\w-]{8,}$/);
    // The IdP asks the user to confirm, then sends the browser home, signed out.
    const atIdp = await browser.get(endSession.href);
    const home = await browser.submitForm(atIdp);
    expect(home.url).toBe(`${app.url}/`);
    expect(home.json()).toEqual({ signedIn: false });
  });
}
