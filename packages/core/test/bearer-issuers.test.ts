// An API trusting two issuers, each with its own audience and keys: the dev IdP over HTTP, and
// this suite's token issuer (which stands in for a second IdP and signs what the tests need,
// such as a token naming the dev IdP as its issuer).
import type { DevIdp } from '@latchkey/dev-idp';
import { freePort } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BearerVerifierOptions, createBearerVerifier } from '../src/index';
import { accessTokenFor, type CoreApp, startCoreApp, startIdpFor } from './helpers';
import { API, ISSUER, useTokenIssuer } from './token-issuer';

const DEMO_API = 'urn:latchkey:demo-api';
const issuer = useTokenIssuer();
let idp: DevIdp;
let app: CoreApp;
let devIdpToken: string;
beforeAll(async () => {
  const idpPort = await freePort();
  app = await startCoreApp({ issuer: `http://127.0.0.1:${idpPort}`, resource: DEMO_API });
  idp = await startIdpFor(app.url, idpPort);
  devIdpToken = await accessTokenFor(app);
});
afterAll(async () => {
  await app?.stop();
  await idp?.stop();
});

const verifier = () =>
  createBearerVerifier({
    issuers: [
      { issuer: ISSUER, audience: API, jwksUri: issuer.jwksUri },
      { issuer: idp.issuer, audience: DEMO_API },
    ],
  });

const outcome = async (token: string) => {
  const { token: verified, response } = await verifier().authenticate(`Bearer ${token}`);
  return verified
    ? { iss: verified.claims.iss }
    : { status: response!.status, ...(await response!.json()) };
};

describe('several trusted issuers', () => {
  it("accepts each issuer's tokens with its own keys and audience", async () => {
    expect(await outcome(await issuer.mint())).toEqual({ iss: ISSUER });
    expect(await outcome(devIdpToken)).toEqual({ iss: idp.issuer });
  });

  it('refuses a token naming one issuer but signed by another, or with the audience of another', async () => {
    const forged = await issuer.mint({}, { iss: idp.issuer, aud: DEMO_API });
    expect(await outcome(forged)).toMatchObject({ status: 401, error: 'invalid_token' });
    const otherAudience = await issuer.mint({}, { aud: DEMO_API });
    expect(await outcome(otherAudience)).toMatchObject({ status: 401, error: 'invalid_token' });
  });

  it('refuses a token from an issuer it does not trust', async () => {
    expect(await outcome(await issuer.mint({}, { iss: 'https://elsewhere.example' }))).toEqual({
      status: 401,
      error: 'invalid_token',
      message: 'The access token is invalid: the token is not from an issuer this API trusts.',
    });
  });

  it.each<[string, Partial<BearerVerifierOptions>, string]>([
    [
      'issuers beside issuer',
      { issuer: ISSUER, issuers: [{ issuer: ISSUER, audience: API }] },
      'not both',
    ],
    ['no issuer', { issuers: [] }, 'issuers needs at least one issuer.'],
    [
      'one issuer twice',
      {
        issuers: [
          { issuer: ISSUER, audience: API },
          { issuer: ISSUER, audience: 'b' },
        ],
      },
      'issuers names one issuer twice.',
    ],
    [
      'an issuer without audience',
      { issuers: [{ issuer: ISSUER, audience: '' }] },
      `audience is required (for ${ISSUER}).`,
    ],
  ])('refuses %s', (_name, options, message) => {
    expect(() => createBearerVerifier(options as BearerVerifierOptions)).toThrow(message);
  });
});
