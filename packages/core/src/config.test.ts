import { describe, expect, it, vi } from 'vitest';
import { type LatchkeyOptions, resolveConfig } from './config';

const valid: LatchkeyOptions = {
  issuer: 'https://idp.example.com',
  clientId: 'app',
  clientSecret: 'app-secret',
  baseUrl: 'https://app.example.com',
  secrets: ['a-session-secret-of-32-characters!!'],
};

const resolve = (overrides: Partial<LatchkeyOptions>) => () =>
  resolveConfig({ ...valid, ...overrides });

/** Asserts `config_invalid` with a message that names what to fix. */
function refused(overrides: Partial<LatchkeyOptions>, names: RegExp) {
  expect(resolve(overrides)).toThrow(
    expect.objectContaining({ code: 'config_invalid', message: expect.stringMatching(names) }),
  );
}

describe('security options of createLatchkey', () => {
  it('logs with debug: true to console.error, to a function when given one, and not by default', () => {
    expect(resolveConfig(valid).log).toBeUndefined();
    expect(resolveConfig({ ...valid, debug: false }).log).toBeUndefined();
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      resolveConfig({ ...valid, debug: true }).log!('sign-in failed (state_mismatch): x');
      expect(printed).toHaveBeenCalledWith('[latchkey] sign-in failed (state_mismatch): x');
    } finally {
      printed.mockRestore();
    }
    const lines: string[] = [];
    resolveConfig({ ...valid, debug: (line) => lines.push(line) }).log!('a line');
    expect(lines).toEqual(['a line']);
  });

  it('applies the documented defaults', () => {
    const config = resolveConfig(valid);
    expect(config.clockTolerance).toBe(30);
    expect(config.idTokenAlgorithms).toEqual(['RS256', 'ES256', 'PS256', 'EdDSA']);
    expect(config.secure).toBe(true);
    expect(config.sessionCookie).toBe('__Host-lk_session');
    expect(config.transactionCookiePrefix).toBe('__Host-lk_tx.');
    expect(config.redirectUri).toBe('https://app.example.com/auth/callback');
    expect(config.idpTimeout).toBe(5000);
    expect(config.bodyTimeout).toBe(10_000);
    expect(config.logoutIdTokenHint).toBe(true);
    expect(config.sessionCookieChunks).toBe(4);
    expect(config.apiTimeout).toBe(5000);
    expect(config.routes).toEqual({
      login: '/login',
      callback: '/callback',
      session: '/session',
      logout: '/logout',
      stepUp: '/step-up',
      backchannelLogout: '/backchannel-logout',
      signedOut: '/signed-out',
    });
  });

  it('takes route paths below basePath, each used once', () => {
    refused({ routes: { login: 'sign-in' } }, /routes\.login must be false or a path/);
    refused({ routes: { login: '/a//b' } }, /routes\.login/);
    refused(
      { routes: { login: '/callback' } },
      /routes\.callback uses '\/callback', which another route uses too/,
    );
    refused({ routes: { session: true as unknown as string } }, /routes\.session/);
    expect(
      resolveConfig({ ...valid, routes: { callback: '/oidc/cb', session: false } }).routes,
    ).toMatchObject({
      callback: '/oidc/cb',
      session: false,
    });
  });

  it('bounds clockTolerance to 0..300 seconds', () => {
    refused({ clockTolerance: 301 }, /clockTolerance/);
    refused({ clockTolerance: -1 }, /clockTolerance/);
    refused({ clockTolerance: Number.NaN }, /clockTolerance/);
    expect(resolveConfig({ ...valid, clockTolerance: 300 }).clockTolerance).toBe(300);
    expect(resolveConfig({ ...valid, clockTolerance: 0 }).clockTolerance).toBe(0);
  });

  it.each([[['none']], [['RS256', 'None']], [['XYZ256']], [[]]])(
    'refuses idTokenAlgorithms %j',
    (idTokenAlgorithms) => {
      refused({ idTokenAlgorithms }, /idTokenAlgorithms/);
    },
  );

  it('says why none is refused', () => {
    refused({ idTokenAlgorithms: ['none'] }, /'none'.*unsigned/);
  });

  it('takes HMAC only when named, and only with a client secret as long as the hash', () => {
    refused({ idTokenAlgorithms: ['HS256'] }, /HS256.*clientSecret of at least 32 bytes/);
    const long = 'x'.repeat(64);
    expect(
      resolveConfig({ ...valid, clientSecret: long, idTokenAlgorithms: ['HS256'] })
        .idTokenAlgorithms,
    ).toEqual(['HS256']);
    refused({ clientSecret: 'x'.repeat(47), idTokenAlgorithms: ['HS384'] }, /48 bytes/);
    expect(() =>
      resolveConfig({ ...valid, clientSecret: 'x'.repeat(48), idTokenAlgorithms: ['HS384'] }),
    ).not.toThrow();
    refused({ clientSecret: 'x'.repeat(63), idTokenAlgorithms: ['HS512'] }, /64 bytes/);
    refused({ clientSecret: long, idTokenAlgorithms: ['HS128'] }, /not a JWS signature algorithm/);
  });

  it('requires https for the issuer and the base URL, except on loopback', () => {
    refused({ issuer: 'http://idp.example.com' }, /issuer must use https/);
    refused({ baseUrl: 'http://app.example.com' }, /baseUrl must use https/);
    for (const host of ['localhost', '127.0.0.1', '[::1]']) {
      expect(() => resolveConfig({ ...valid, baseUrl: `http://${host}:3000` })).not.toThrow();
    }
    const http = resolveConfig({ ...valid, baseUrl: 'http://localhost:3000' });
    expect(http.secure).toBe(false);
    expect(http.sessionCookie).toBe('lk_session');
  });

  it('refuses a URL with a query or fragment, or no URL at all', () => {
    refused(
      { baseUrl: 'localhost:3000' },
      /^baseUrl must start with https:\/\/ \(or http:\/\/ on localhost\): got 'localhost:3000'\.$/,
    );
    refused({ issuer: 'idp.example.com/realms/x' }, /^issuer must be an absolute URL/);
    refused({ issuer: 'ftp://idp.example.com' }, /^issuer must start with https:\/\//);
    refused({ issuer: 'https://idp.example.com/?x=1' }, /query or fragment/);
    refused({ baseUrl: 'https://app.example.com/#x' }, /query or fragment/);
    refused({ baseUrl: 'not a url' }, /absolute URL/);
    refused({ issuer: '' }, /issuer is required/);
  });

  it('requires the client and secrets of at least 32 characters', () => {
    refused({ clientId: '' }, /clientId/);
    refused({ clientSecret: '' }, /clientSecret/);
    refused({ secrets: [] }, /at least one secret/);
    refused({ secrets: ['short'] }, /32 characters/);
    refused({ secrets: ['a-session-secret-of-32-characters!!', 'x'.repeat(31)] }, /32 characters/);
    expect(resolveConfig({ ...valid, secrets: 'y'.repeat(32) }).secrets).toEqual(['y'.repeat(32)]);
  });

  it('refuses timeouts and sizes that are not positive', () => {
    refused({ idpTimeout: 0 }, /idpTimeout/);
    refused({ bodyTimeout: -5 }, /bodyTimeout/);
    refused({ session: { idleTimeout: 0 } }, /idleTimeout/);
    refused({ session: { absoluteTimeout: Number.POSITIVE_INFINITY } }, /absoluteTimeout/);
    refused({ session: { maxSize: 0 } }, /maxSize/);
  });

  it('keeps the post-logout redirect and base path on this origin', () => {
    refused({ postLogoutRedirectPath: '//evil.example' }, /postLogoutRedirectPath/);
    refused({ postLogoutRedirectPath: 'https://evil.example' }, /postLogoutRedirectPath/);
    refused({ basePath: 'auth' }, /basePath/);
    const config = resolveConfig({ ...valid, postLogoutRedirectPath: '/bye', basePath: '/login/' });
    expect(config.postLogoutRedirectUri).toBe('https://app.example.com/bye');
    expect(config.redirectUri).toBe('https://app.example.com/login/callback');
    // The IdP returns the browser to the signed-out route, which goes on to the post-logout page.
    expect(config.endSessionReturnUri).toBe('https://app.example.com/login/signed-out');
    expect(config.logoutStateCookie).toBe('__Host-lk_logout');
  });

  it('never lets the touch interval exceed the idle timeout', () => {
    expect(resolveConfig({ ...valid, session: { idleTimeout: 60 } }).touchInterval).toBe(60);
  });

  it('takes the passkey level only as a listed acr value', () => {
    const mfa = 'urn:latchkey:acr:mfa';
    expect(resolveConfig({ ...valid, stepUp: { passkey: { acr: mfa } } }).passkeyAcr).toBe(mfa);
    expect(resolveConfig(valid).passkeyAcr).toBeUndefined();
    refused({ stepUp: { passkey: { acr: '' } } }, /stepUp\.passkey\.acr must be an acr value/);
    refused({ stepUp: { passkey: {} as { acr: string } } }, /stepUp\.passkey\.acr/);
    refused(
      { acrLevels: ['urn:latchkey:acr:pwd'], stepUp: { passkey: { acr: mfa } } },
      /must be one of acrLevels \(urn:latchkey:acr:pwd\)/,
    );
    expect(
      resolveConfig({ ...valid, acrLevels: [mfa], stepUp: { passkey: { acr: mfa } } }).passkeyAcr,
    ).toBe(mfa);
  });

  it('never shows the step-up assertion key when the config is printed', async () => {
    const { inspect } = await import('node:util');
    const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'the-private-part' };
    const config = resolveConfig({
      ...valid,
      stepUp: { passkey: { acr: 'urn:latchkey:acr:mfa', assertionKey: key } },
    });
    expect(config.passkeyAssertionKey).toBe(key);
    expect(JSON.stringify(config)).not.toContain('the-private-part');
    expect(inspect(config, { depth: 5 })).not.toContain('the-private-part');
  });
});
