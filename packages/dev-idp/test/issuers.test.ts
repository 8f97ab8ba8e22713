// Two dev IdPs in one process, used from one browser: what tests of apps with several issuers
// need. Each has its own keys, users' sessions and grants; neither accepts the other's tokens.
import { signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorize,
  type Fixture,
  idTokenClaims,
  redeem,
  startFixture,
  verifyWithJwks,
} from './helpers';

describe('two dev IdPs in one process', () => {
  let corp: Fixture;
  let partners: Fixture;
  beforeAll(async () => {
    [corp, partners] = await Promise.all([startFixture(), startFixture()]);
  });
  afterAll(async () => {
    await corp?.stop();
    await partners?.stop();
  });

  it('signs one browser in at both, each IdP keeping its own session, keys and grants', async () => {
    const browser = new TestBrowser();
    const signIn = async (f: Fixture, user: { username: string; password: string }) => {
      const flow = await authorize(browser, f.as, f.rp.redirectUri);
      const back = await signInAtDevIdp(browser, flow.page, user);
      return redeem(f.as, back.url, f.rp.redirectUri, flow);
    };
    const atCorp = await signIn(corp, { username: 'alice', password: 'alice-password' });
    const atPartners = await signIn(partners, { username: 'bob', password: 'bob-password' });
    expect(idTokenClaims(atCorp)).toMatchObject({ iss: corp.idp.issuer, sub: 'usr_alice' });
    expect(idTokenClaims(atPartners)).toMatchObject({ iss: partners.idp.issuer, sub: 'usr_bob' });
    expect(corp.idp.issuer).not.toBe(partners.idp.issuer);
    // Each ID token verifies against its own IdP's keys only.
    await expect(verifyWithJwks(corp.as, atCorp.id_token!)).resolves.toBeDefined();
    await expect(verifyWithJwks(partners.as, atCorp.id_token!)).rejects.toThrow();
    expect(corp.idp.grants).toHaveLength(1);
    expect(partners.idp.grants).toHaveLength(1);
    // Corp's session survived the sign-in at partners: a new request there needs no password.
    const again = await authorize(browser, corp.as, corp.rp.redirectUri);
    expect(again.page.url.startsWith(corp.rp.redirectUri)).toBe(true);
  });
});
