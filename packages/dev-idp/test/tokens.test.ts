import { ACR_MFA, ACR_PWD, signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorize,
  client,
  clientAuth,
  type Fixture,
  idTokenClaims,
  insecure,
  redeem,
  startFixture,
  verifyWithJwks,
} from './helpers';

const alice = { username: 'alice', password: 'alice-password' };
const API = 'urn:latchkey:demo-api';

async function refresh(f: Fixture, refreshToken: string, resource?: string) {
  const response = await oauth.refreshTokenGrantRequest(f.as, client, clientAuth, refreshToken, {
    ...insecure,
    ...(resource === undefined ? {} : { additionalParameters: { resource } }),
  });
  return oauth.processRefreshTokenResponse(f.as, client, response);
}

describe('dev IdP: tokens', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f.stop();
  });

  it('issues a refresh token for offline_access without a consent page, rotates it and records the grant', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri, {
      scope: 'openid profile offline_access',
    });
    expect(flow.page.body).toContain('name="password"');
    const back = await signInAtDevIdp(browser, flow.page, alice);
    expect(back.url.startsWith(f.rp.redirectUri)).toBe(true);
    // No form other than the password one was ever shown: signInAtDevIdp throws on unknown pages.
    const tokens = await redeem(f.as, back.url, f.rp.redirectUri, flow);
    expect(tokens.scope?.split(' ')).toContain('offline_access');
    const first = tokens.refresh_token;
    expect(first).toEqual(expect.any(String));

    const grantsBefore = f.idp.grants.length;
    const refreshed = await refresh(f, first ?? '');
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(first);
    expect(idTokenClaims(refreshed)).toMatchObject({
      sub: 'usr_alice',
      roles: ['admin', 'viewer'],
    });

    const newGrants = f.idp.grants.slice(grantsBefore);
    expect(newGrants.map((g) => [g.grantType, g.clientId])).toEqual([
      ['refresh_token', client.client_id],
    ]);

    // Reusing the rotated token fails (and oidc-provider revokes the whole grant).
    await expect(refresh(f, first ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(refresh(f, refreshed.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(f.idp.grants.slice(grantsBefore)).toHaveLength(1);
  });

  it('keeps offline_access when the request also carries prompt=login', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri, {
      scope: 'openid offline_access',
      prompt: 'login',
    });
    const back = await signInAtDevIdp(browser, flow.page, alice);
    const tokens = await redeem(f.as, back.url, f.rp.redirectUri, flow);
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('issues ES256 JWT access tokens for the resource with roles, acr and auth_time, also after a refresh', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri, {
      scope: 'openid offline_access payments:write',
      resource: API,
      acr_values: ACR_MFA,
    });
    const back = await signInAtDevIdp(browser, flow.page, alice);
    const tokens = await redeem(f.as, back.url, f.rp.redirectUri, flow, API);
    const idClaims = idTokenClaims(tokens);

    const at = await verifyWithJwks(f.as, tokens.access_token, { audience: API, typ: 'at+jwt' });
    expect(at.alg).toBe('ES256');
    expect(at.payload).toMatchObject({
      iss: f.idp.issuer,
      aud: API,
      sub: 'usr_alice',
      client_id: client.client_id,
      scope: 'payments:write',
      roles: ['admin', 'viewer'],
      acr: ACR_MFA,
      amr: ['pwd', 'otp'],
      auth_time: idClaims.auth_time,
    });

    const refreshed = await refresh(f, tokens.refresh_token ?? '', API);
    const again = await verifyWithJwks(f.as, refreshed.access_token, {
      audience: API,
      typ: 'at+jwt',
    });
    expect(again.payload).toMatchObject({
      aud: API,
      roles: ['admin', 'viewer'],
      acr: ACR_MFA,
      auth_time: idClaims.auth_time,
      scope: 'payments:write',
    });
    expect(again.payload.jti).not.toBe(at.payload.jti);
  });

  it('rejects a resource that is not configured', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri, { resource: 'urn:unknown:api' });
    const callback = new URL(flow.page.url);
    expect(callback.searchParams.get('error')).toBe('invalid_target');
  });

  it('honours id_token_signed_response_alg ES256 for a client that asks for it', async () => {
    const { startDevIdp } = await import('@latchkey/dev-idp');
    const idp = await startDevIdp({
      clients: [
        {
          client_id: client.client_id,
          client_secret: 'another-secret-another-secret-0123456789',
          redirect_uris: [f.rp.redirectUri],
          id_token_signed_response_alg: 'ES256',
        },
      ],
    });
    try {
      const as = await oauth.processDiscoveryResponse(
        new URL(idp.issuer),
        await oauth.discoveryRequest(new URL(idp.issuer), insecure),
      );
      const browser = new TestBrowser();
      const flow = await authorize(browser, as, f.rp.redirectUri);
      const back = await signInAtDevIdp(browser, flow.page, alice);
      const params = oauth.validateAuthResponse(as, client, new URL(back.url), flow.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic('another-secret-another-secret-0123456789'),
        params,
        f.rp.redirectUri,
        flow.verifier,
        insecure,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: flow.nonce,
      });
      const verified = await verifyWithJwks(as, tokens.id_token ?? '');
      expect(verified.alg).toBe('ES256');
    } finally {
      await idp.stop();
    }
  });

  it('rotates keys: new tokens carry a new kid, the old kid stays in the JWKS, sessions and refresh tokens survive', async () => {
    const browser = new TestBrowser();
    const flow = await authorize(browser, f.as, f.rp.redirectUri, {
      scope: 'openid offline_access',
    });
    const back = await signInAtDevIdp(browser, flow.page, alice);
    const before = await redeem(f.as, back.url, f.rp.redirectUri, flow);
    const oldKid = (await verifyWithJwks(f.as, before.id_token ?? '')).kid;
    expect(idTokenClaims(before).acr).toBe(ACR_PWD);

    await f.idp.rotateKeys();

    // The IdP session survives: no password form this time.
    const next = await authorize(browser, f.as, f.rp.redirectUri);
    expect(next.page.url.startsWith(f.rp.redirectUri)).toBe(true);
    const after = await redeem(f.as, next.page.url, f.rp.redirectUri, next);
    const verified = await verifyWithJwks(f.as, after.id_token ?? '');
    expect(verified.alg).toBe('RS256');
    expect(verified.kid).not.toBe(oldKid);

    const response = await fetch(f.as.jwks_uri ?? '');
    const { keys } = (await response.json()) as { keys: Array<{ kid: string; alg: string }> };
    const kids = keys.map((key) => key.kid);
    expect(kids).toContain(verified.kid);
    expect(kids).toContain(oldKid);
    expect(keys.filter((key) => key.alg === 'RS256')).toHaveLength(2);
    expect(keys.filter((key) => key.alg === 'ES256')).toHaveLength(2);

    // A token signed before the rotation still verifies, and its refresh token still works.
    await verifyWithJwks(f.as, before.id_token ?? '');
    const refreshed = await refresh(f, before.refresh_token ?? '');
    expect((await verifyWithJwks(f.as, refreshed.id_token ?? '')).kid).toBe(verified.kid);
  });
});
