import { createServer } from 'node:http';
import { createLatchkey, requireAuth, toWebRequest } from '@latchkey/core';
import {
  ACR_LEVELS,
  ACR_MFA,
  DEV_OTP,
  type DevIdp,
  signInAtDevIdp,
  startDevIdp,
} from '@latchkey/dev-idp';
import { close, freePort, listen, TestBrowser } from '@latchkey/test-utils';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../src/api';

/**
 * A minimal sign-in app on core gets real access tokens from the dev IdP (the demo BFF does the
 * same); the demo API is then called with them, as a BFF or curl would.
 */
let idp: DevIdp;
let api: FastifyInstance;
let appUrl: string;
let stopApp: () => Promise<void>;

beforeAll(async () => {
  const idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  const server = createServer(async (req, res) => {
    const request = toWebRequest(req, latchkey.config.baseUrl);
    const cookies: string[] = [];
    const response =
      (await latchkey.handle(request)) ??
      (await (async () => {
        const context = await latchkey.authenticate(request, (lines) => cookies.push(...lines));
        return requireAuth(context) ?? Response.json({ token: await context.getAccessToken() });
      })());
    res.statusCode = response.status;
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') res.setHeader(name, value);
    });
    res.setHeader('set-cookie', [...cookies, ...response.headers.getSetCookie()]);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  appUrl = await listen(server);
  stopApp = () => close(server);
  const latchkey = createLatchkey({
    issuer,
    clientId: 'bff',
    clientSecret: 'bff-secret',
    baseUrl: appUrl,
    secrets: ['demo-fastify-test-secret-demo-fastify-1'],
    resource: 'urn:latchkey:demo-api',
    acrLevels: ACR_LEVELS,
    scopes: ['openid', 'profile', 'email', 'offline_access', 'reports:read', 'payments:write'],
  });
  idp = await startDevIdp({
    port: idpPort,
    clients: [
      { client_id: 'bff', client_secret: 'bff-secret', redirect_uris: [`${appUrl}/auth/callback`] },
    ],
  });
  api = createApi({ issuer });
  await api.ready();
});
afterAll(async () => {
  await api?.close();
  await stopApp?.();
  await idp?.stop();
});

async function tokenFor(user: { username: string; password: string; otp?: string }, acr?: string) {
  const browser = new TestBrowser();
  const query = acr
    ? `step-up?acr=${encodeURIComponent(acr)}&max_age=300&returnTo=/token`
    : 'login?returnTo=/token';
  const landed = await signInAtDevIdp(browser, await browser.get(`${appUrl}/auth/${query}`), user);
  return landed.json<{ token: string }>().token;
}

const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: unknown) =>
  api.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(payload ? { payload: payload as Record<string, unknown> } : {}),
  });

describe('demo API', () => {
  it('answers /api/me for a valid token and 401 with a Bearer challenge without one', async () => {
    const token = await tokenFor({ username: 'alice', password: 'alice-password' });
    const me = await call('GET', '/api/me', token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ roles: ['admin', 'viewer'], acr: 'urn:latchkey:acr:pwd' });
    const anonymous = await call('GET', '/api/me');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
  });

  it('serves /api/reports to holders of reports:read (bob, a viewer)', async () => {
    const bob = await tokenFor({ username: 'bob', password: 'bob-password' });
    expect((await call('GET', '/api/reports', bob)).statusCode).toBe(200);
  });

  it('answers a payment at the password level with the RFC 9470 challenge, and accepts it after step-up', async () => {
    const password = await tokenFor({ username: 'alice', password: 'alice-password' });
    const challenged = await call('POST', '/api/payments', password, { amount: 10, to: 'bob' });
    expect(challenged.statusCode).toBe(401);
    expect(challenged.headers['www-authenticate']).toMatch(
      /^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="urn:latchkey:acr:mfa", max_age=300$/,
    );
    const mfa = await tokenFor(
      { username: 'alice', password: 'alice-password', otp: DEV_OTP },
      ACR_MFA,
    );
    const paid = await call('POST', '/api/payments', mfa, { amount: 10, to: 'bob' });
    expect(paid.statusCode).toBe(201);
    expect(paid.json()).toMatchObject({ amount: 10, to: 'bob' });
  });
});
