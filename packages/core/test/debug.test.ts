// `debug`: each protocol step is logged, and no line names a token, a code, a cookie, a secret, a
// session id or a user. Against the dev IdP over HTTP, with DPoP nonces and a session store, so
// that every kind of step (discovery, JWKS, code exchange, refresh, store calls, a DPoP nonce
// retry, sign-out) shows.
import { createServer } from 'node:http';
import { MemorySessionStore } from '@latchkey/core';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import { close, listen, TestBrowser } from '@latchkey/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { debugLog, eventLine, loggedFetch } from '../src/debug';
import { startAppWithIdp } from './helpers';

const SECRET = 'debug-test-secret-debug-test-secret-0001';
const running: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of running) await stop();
});

/** Every line matching `pattern`, in order. */
const matching = (lines: string[], pattern: RegExp) => lines.filter((line) => pattern.test(line));

describe('debug logging against the dev IdP', () => {
  it('logs each step by name, status and time, and nothing a credential or a user is made of', async () => {
    const lines: string[] = [];
    const { app, idp, stop } = await startAppWithIdp(
      {
        secrets: [SECRET],
        clientSecret: 'core-app-secret',
        dpop: true,
        store: new MemorySessionStore(),
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        debug: (line) => lines.push(line),
      },
      { client_secret: 'core-app-secret', dpop_bound_access_tokens: true },
      { requireDpopNonce: true },
    );
    running.push(stop);
    const browser = new TestBrowser();
    const login = await browser.get(`${app.url}/auth/login?returnTo=/access-token`);
    // Access tokens live 30 s, under the 60 s margin: the landing page refreshes at once.
    const landed = await signInAtDevIdp(browser, login, {
      username: 'alice',
      password: 'alice-password',
    });
    const { accessToken } = landed.json<{ accessToken: string }>();
    const cookie = (await browser.cookies(app.url)).find((c) => c.name === 'lk_session')!.value;
    const signOut = await browser.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: app.url },
    });
    expect(signOut.status).toBe(303);
    const after = await browser.request(`${app.url}/access-token`, {
      headers: { accept: 'application/json', cookie: `lk_session=${cookie}` },
    });
    expect(after.status).toBe(401);

    const idpCall = (method: string, path: string) =>
      new RegExp(`^idp: ${method} ${idp.issuer}${path} answered 200 in \\d+ ms$`);
    expect(matching(lines, idpCall('GET', '/\\.well-known/openid-configuration'))).toHaveLength(1);
    expect(lines).toContain(`sign-in: authorization redirect to ${idp.issuer}/auth`);
    expect(matching(lines, idpCall('POST', '/token')).length).toBeGreaterThanOrEqual(2);
    expect(matching(lines, idpCall('GET', '/jwks'))).toHaveLength(1);
    expect(lines).toContain('jwks: ID token key needs the keys fetched');
    expect(lines).toContain('jwks: ID token key looked up in the cached keys');
    expect(lines).toContain(
      'dpop: the server asked for a nonce (use_dpop_nonce); sending the request again with it',
    );
    const [claims] = matching(lines, /^callback: code exchanged; ID token claims /);
    expect(claims?.split(', ')).toEqual(expect.arrayContaining(['email', 'name']));
    for (const step of [
      /^store: set done in \d+ ms$/,
      /^store: get found one in \d+ ms$/,
      /^store: lock taken in \d+ ms$/,
      /^store: destroy done in \d+ ms$/,
      /^store: get found none in \d+ ms$/,
    ]) {
      expect(matching(lines, step).length, String(step)).toBeGreaterThan(0);
    }
    expect(matching(lines, /^event: /)).toEqual([
      'event: login (acr=urn:latchkey:acr:pwd)',
      'event: refresh',
      'event: logout',
    ]);
    // In order: sign-in, refresh, sign-out.
    const order = ['sign-in:', 'callback:', 'event: login', 'event: refresh', 'event: logout'];
    const at = order.map((prefix) => lines.findIndex((line) => line.startsWith(prefix)));
    expect(at).toEqual([...at].sort((a, b) => a - b));

    const all = lines.join('\n');
    for (const secret of [
      accessToken,
      cookie,
      SECRET,
      'core-app-secret',
      'alice@example.com',
      'Alice',
      'usr_alice',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/eyJ|[\w-]{32,}/);
  });
});

describe('debugLog', () => {
  it('replaces secrets, JWTs, email addresses and long opaque values, whatever built the line', () => {
    const lines: string[] = [];
    const log = debugLog((line) => lines.push(line), ['a-secret-value', '', 'abc']);
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const opaque = 'Xy1_'.repeat(8);
    log(`a-secret-value ${jwt} mail alice@example.com, ${opaque} abc short_value`);
    expect(lines).toEqual(['[redacted] [redacted] mail [redacted], [redacted] abc short_value']);
  });

  it('keeps each line one line of at most 2,000 characters, and ignores a sink that throws', () => {
    const lines: string[] = [];
    debugLog((line) => lines.push(line), [])(`error 'x\r\nforged: line' ${'a.'.repeat(5000)}`);
    expect(lines[0]).toMatch(/^error 'x {2}forged: line' (a\.)+$/);
    expect(lines[0]).toHaveLength(2000);
    const throwing = debugLog(() => {
      throw new Error('the sink is broken');
    }, []);
    expect(() => throwing('a line')).not.toThrow();
  });

  it('logs a call to the IdP by method, origin and path: never its query', async () => {
    const server = createServer((_, res) => res.writeHead(204).end());
    const url = await listen(server);
    try {
      const lines: string[] = [];
      const call = loggedFetch(debugLog((line) => lines.push(line), []));
      expect((await call(`${url}/token?code=the-code&state=s`, { method: 'GET' })).status).toBe(
        204,
      );
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^idp: GET ${url}/token answered 204 in \\d+ ms$`)),
      ]);
    } finally {
      await close(server);
    }
  });

  it('writes an event as its type and codes, never its user or session', () => {
    const line = eventLine({
      type: 'access_denied',
      sub: 'usr_alice',
      sessionId: 'session-id',
      permission: 'reports:read',
    } as never);
    expect(line).toBe('event: access_denied (permission=reports:read)');
    expect(eventLine({ type: 'login_failed', code: 'state_mismatch' })).toBe(
      'event: login_failed (code=state_mismatch)',
    );
    expect(eventLine({ type: 'logout', sub: 'usr_alice', sessionId: 'x'.repeat(43) })).toBe(
      'event: logout',
    );
  });
});
