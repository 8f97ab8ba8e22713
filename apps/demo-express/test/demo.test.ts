import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditLog } from '@latchkey/core';
import { createApi } from '@latchkey/demo-fastify';
import { DEV_OTP, signInAtDevIdp } from '@latchkey/dev-idp';
import { close, freePort, listen, TestBrowser } from '@latchkey/test-utils';
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

describe('demo-express with AUDIT_LOG', () => {
  it('appends sign-in and sign-out to a tamper-evident log that verifies with the key it prints', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'demo-audit-')), 'audit.ndjson');
    const demo = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0001',
      AUDIT_LOG: file,
      AUDIT_KEY: 'demo-audit-key-demo-audit-key-000001',
    });
    try {
      const browser = new TestBrowser();
      const loginPage = await browser.get(`${demo.url}/auth/login?returnTo=/profile`);
      await signInAtDevIdp(browser, loginPage, { username: 'alice', password: 'alice-password' });
      await browser.request(`${demo.url}/auth/logout`, {
        method: 'POST',
        headers: { origin: demo.url },
      });
    } finally {
      await demo.stop();
    }
    const written = readFileSync(file, 'utf8');
    expect(written).not.toContain('alice');
    expect(
      written
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).type),
    ).toEqual(['login', 'logout', 'checkpoint']);
    expect(await verifyAuditLog(written, { publicKey: demo.audit!.publicKey })).toEqual({
      records: 3,
      checkpoints: 1,
      unsigned: 0,
    });
  });
});

describe('demo-express client authentication from OIDC_CLIENT_AUTH', () => {
  it.each(['client_secret_post', 'private_key_jwt'])(
    'signs alice in with %s, the dev IdP registering the client to match',
    async (method) => {
      const demo = await startDemo({
        PORT: '0',
        DEV_IDP_PORT: '0',
        SESSION_SECRET: 'demo-test-secret-demo-test-secret-0009',
        OIDC_CLIENT_AUTH: method,
      });
      try {
        const browser = new TestBrowser();
        const profile = await signInAtDevIdp(
          browser,
          await browser.get(`${demo.url}/auth/login?returnTo=/profile`),
          { username: 'alice', password: 'alice-password' },
        );
        expect(profile.url).toBe(`${demo.url}/profile`);
        expect(profile.body).toContain('Alice');
      } finally {
        await demo.stop();
      }
    },
  );

  it('refuses private_key_jwt against an outside IdP without OIDC_CLIENT_PRIVATE_KEY, and an unknown method', async () => {
    await expect(
      startDemo({
        PORT: '0',
        OIDC_ISSUER: 'https://idp.example.com',
        OIDC_CLIENT_AUTH: 'private_key_jwt',
      }),
    ).rejects.toThrow(/needs OIDC_CLIENT_PRIVATE_KEY/);
    await expect(
      startDemo({ PORT: '0', DEV_IDP_PORT: '0', OIDC_CLIENT_AUTH: 'basic' }),
    ).rejects.toThrow(
      /OIDC_CLIENT_AUTH must be client_secret_basic, client_secret_post, private_key_jwt/,
    );
  });
});

describe('demo-express with OIDC_PAR=1', () => {
  it('pushes the sign-in to the dev IdP, which requires it of the client', async () => {
    const demo = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0010',
      OIDC_PAR: '1',
    });
    try {
      const browser = new TestBrowser();
      const login = await browser.get(`${demo.url}/auth/login?returnTo=/profile`);
      const authorization = new URL(
        login.redirects.find((hop) => hop.startsWith(`${demo.issuer}/auth?`))!,
      );
      expect([...authorization.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      const profile = await signInAtDevIdp(browser, login, {
        username: 'alice',
        password: 'alice-password',
      });
      expect(profile.url).toBe(`${demo.url}/profile`);
      expect(profile.body).toContain('Alice');
    } finally {
      await demo.stop();
    }
  });

  it('refuses an OIDC_PAR other than 1 or 0', async () => {
    await expect(startDemo({ PORT: '0', DEV_IDP_PORT: '0', OIDC_PAR: 'yes' })).rejects.toThrow(
      "OIDC_PAR must be 1 or 0, not 'yes'.",
    );
  });
});

describe('demo-express with OIDC_DPOP=1 and demo-fastify', () => {
  it('calls the API with DPoP-bound tokens and their proofs', async () => {
    const idpPort = await freePort();
    const api = createApi({ issuer: `http://localhost:${idpPort}`, dpop: true });
    await api.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.server.address() as AddressInfo;
    const demo = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: String(idpPort),
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0011',
      API_URL: `http://localhost:${port}`,
      OIDC_DPOP: '1',
    });
    try {
      const browser = new TestBrowser();
      await signInAtDevIdp(browser, await browser.get(`${demo.url}/auth/login?returnTo=/profile`), {
        username: 'alice',
        password: 'alice-password',
      });
      const me = await browser.request(`${demo.url}/api/me`, {
        headers: { accept: 'application/json' },
      });
      expect(me.status).toBe(200);
      expect(me.json()).toMatchObject({ sub: 'usr_alice', dpopBound: true });
    } finally {
      await demo.stop();
      await api.close();
    }
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

describe('demo-express serving the React app', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0003',
    });
  });
  afterAll(() => demo?.stop());

  it('renders the pages on the server, with the session for hydration and a strict CSP', async () => {
    const browser = new TestBrowser();
    const signedOut = await browser.get(`${demo.url}/`);
    expect(signedOut.headers.get('cache-control')).toBe('no-store');
    expect(signedOut.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(signedOut.body).toContain('<div id="root">');
    expect(signedOut.body).toContain(
      '<script type="application/json" id="latchkey-session">{"authenticated":false}</script>',
    );
    const profile = await signInAtDevIdp(
      browser,
      await browser.get(`${demo.url}/auth/login?returnTo=/payments`),
      { username: 'alice', password: 'alice-password' },
    );
    expect(profile.url).toBe(`${demo.url}/payments`);
    expect(profile.body).toContain('<title>Payments · latchkey demo</title>');
    expect(profile.body).toMatch(
      /id="latchkey-session">\{"authenticated":true,"user":\{"sub":"usr_alice","name":"Alice Example"/,
    );
    // The session never carries a token to the page.
    expect(profile.body).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it('shows bob the admin page with its refusal and status 403', async () => {
    const browser = new TestBrowser();
    const admin = await signInAtDevIdp(
      browser,
      await browser.get(`${demo.url}/auth/login?returnTo=/admin`),
      { username: 'bob', password: 'bob-password' },
    );
    expect(admin.status).toBe(403);
    expect(admin.body).toContain('Not allowed');
    expect(admin.body).not.toContain('Only the <code>admin</code> role');
  });

  it('answers unknown paths 404: the app page for browsers, JSON for API clients', async () => {
    const browser = new TestBrowser();
    const page = await browser.get(`${demo.url}/nowhere`);
    expect(page.status).toBe(404);
    expect(page.body).toContain('Page not found');
    const json = await browser.request(`${demo.url}/nowhere`, {
      headers: { accept: 'application/json' },
    });
    expect(json.status).toBe(404);
    expect(json.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('demo-express forwarding /api/* (BFF)', () => {
  /** A stand-in for the demo API: records what reaches it, challenges payments (RFC 9470). */
  const received: Array<{ method: string; url: string; authorization: string | undefined }> = [];
  const challenge =
    'Bearer error="insufficient_user_authentication", acr_values="urn:latchkey:acr:mfa", max_age=300';
  const api = createServer((req, res) => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
    if (req.method === 'POST') {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': challenge });
      res.end(JSON.stringify({ error: 'insufficient_user_authentication' }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ reports: [] }));
    }
  });
  let demo: Demo;
  let browser: TestBrowser;
  beforeAll(async () => {
    const apiUrl = await listen(api);
    demo = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0004',
      API_URL: apiUrl,
    });
    browser = new TestBrowser();
    await signInAtDevIdp(browser, await browser.get(`${demo.url}/auth/login?returnTo=/`), {
      username: 'alice',
      password: 'alice-password',
    });
  });
  afterAll(async () => {
    await demo?.stop();
    await close(api);
  });

  it('calls the API with the session access token, never the cookie', async () => {
    received.length = 0;
    const answer = await browser.request(`${demo.url}/api/reports?year=2025`, {
      headers: { accept: 'application/json' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ reports: [] });
    expect(received).toHaveLength(1);
    expect(received[0]?.url).toBe('/api/reports?year=2025');
    expect(received[0]?.authorization).toMatch(/^Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("passes the API's step-up challenge back unchanged", async () => {
    const answer = await browser.request(`${demo.url}/api/payments`, {
      method: 'POST',
      headers: { origin: demo.url, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 10, to: 'bob' }),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(challenge);
  });

  it('refuses API writes from another origin before they reach the API', async () => {
    received.length = 0;
    for (const origin of ['http://evil.example', undefined]) {
      const answer = await browser.request(`${demo.url}/api/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: '{"amount":10,"to":"mallory"}',
      });
      expect(answer.status).toBe(403);
      expect(answer.json()).toMatchObject({ error: 'origin_mismatch' });
    }
    expect(received).toHaveLength(0);
  });

  it('answers 401 without calling the API when signed out', async () => {
    received.length = 0;
    const answer = await new TestBrowser().request(`${demo.url}/api/reports`, {
      headers: { accept: 'application/json' },
    });
    expect(answer.status).toBe(401);
    expect(received).toHaveLength(0);
  });

  it('answers 502 api_unreachable when the API is down', async () => {
    const down = await startDemo({
      PORT: '0',
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0005',
      API_URL: `http://127.0.0.1:${await freePort()}`,
    });
    try {
      const b = new TestBrowser();
      await signInAtDevIdp(b, await b.get(`${down.url}/auth/login?returnTo=/`), {
        username: 'alice',
        password: 'alice-password',
      });
      const answer = await b.request(`${down.url}/api/me`, {
        headers: { accept: 'application/json' },
      });
      expect(answer.status).toBe(502);
      expect(answer.json()).toMatchObject({ error: 'api_unreachable' });
    } finally {
      await down.stop();
    }
  });
});
