import { createHash, randomUUID } from 'node:crypto';
import { TestBrowser } from '@latchkey/test-utils';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StartAdapterApp } from '../app';
import {
  type DevIdpWithApps,
  JSON_HEADERS,
  rawRequest,
  signedInBrowser,
  startDevIdpWithApps,
} from '../fixtures';

/**
 * The adapter's `requireBearer` with DPoP-bound tokens (RFC 9449): an app binds its tokens to its
 * own key pair (`dpop: keyPair`), which the test holds too, so it can prove possession the way an
 * API client does. The guard must pass the proof, the method and the URL the client called.
 */
export function dpopTests(startApp: StartAdapterApp): void {
  let running: DevIdpWithApps<'app'>;
  let pair: CryptoKeyPair;
  let jwk: Awaited<ReturnType<typeof exportJWK>>;
  beforeAll(async () => {
    pair = await generateKeyPair('ES256');
    jwk = await exportJWK(pair.publicKey);
    running = await startDevIdpWithApps(startApp, { app: { dpop: pair } });
  });
  afterAll(() => running?.stop());

  /** A proof for `method` and `url` with `token`, signed with the app's key pair. */
  const proof = (token: string, url: string, method = 'GET') =>
    new SignJWT({
      htm: method,
      htu: url,
      jti: randomUUID(),
      ath: createHash('sha256').update(token).digest('base64url'),
    })
      .setIssuedAt()
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(pair.privateKey);

  const call = (url: string, headers: Record<string, string>) =>
    new TestBrowser().request(url, { headers: { ...JSON_HEADERS, ...headers } });

  it('binds the session token to the key and lets its DPoP proof through requireBearer', async () => {
    const { app } = running.apps;
    const { browser } = await signedInBrowser(app);
    const token = (await browser.request(`${app.url}/raw-token`, { headers: JSON_HEADERS })).json<{
      token: string;
    }>().token;
    expect(decodeJwt(token).cnf).toEqual({ jkt: await calculateJwkThumbprint(jwk) });
    const reports = `${app.url}/api/reports`;

    const used = await proof(token, reports);
    const ok = await call(`${reports}?year=2026`, { authorization: `DPoP ${token}`, dpop: used });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ sub: expect.any(String) });

    const replayed = await call(reports, { authorization: `DPoP ${token}`, dpop: used });
    expect(replayed.status).toBe(401);
    expect(replayed.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(replayed.headers.get('www-authenticate')).toMatch(
      /^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="/,
    );

    const elsewhere = await call(reports, {
      authorization: `DPoP ${token}`,
      dpop: await proof(token, `${app.url}/api/audit`),
    });
    expect(elsewhere.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const posted = await call(reports, {
      authorization: `DPoP ${token}`,
      dpop: await proof(token, reports, 'POST'),
    });
    expect(posted.json()).toMatchObject({ error: 'invalid_dpop_proof' });

    const asBearer = await call(reports, { authorization: `Bearer ${token}` });
    expect(asBearer.status).toBe(401);
    expect(asBearer.json()).toMatchObject({ error: 'invalid_token' });

    const noProof = await call(reports, { authorization: `DPoP ${token}` });
    expect(noProof.status).toBe(401);
    expect(noProof.json()).toMatchObject({ error: 'invalid_dpop_proof' });

    // A Host header that smuggles in the path of the proof: /api/reports?/api/transfer would
    // parse as /api/reports. The guard refuses such a host instead of reading a URL from it.
    const { host } = new URL(app.url);
    const smuggled = await rawRequest(app.url, '/api/transfer', {
      ...JSON_HEADERS,
      host: `${host}/api/reports?`,
      authorization: `DPoP ${token}`,
      dpop: await proof(token, `http://${host}/api/reports`),
    });
    expect(smuggled.status).toBe(401);
    expect(JSON.parse(smuggled.body)).toMatchObject({ error: 'invalid_dpop_proof' });
  });
}
