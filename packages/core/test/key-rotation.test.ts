// The IdP starts signing with a new key moments after latchkey fetched its JWKS (the dev IdP's
// rotateKeys() swaps the key at once). An ID token comes from the token endpoint in exchange for
// latchkey's own code, so its unknown kid refetches the JWKS at once instead of failing the sign-in.
import { type DevIdp, signInAtDevIdp } from '@latchkey/dev-idp';
import { freePort, TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CoreApp, startCoreApp, startIdpFor } from './helpers';

let idp: DevIdp;
let app: CoreApp;
beforeAll(async () => {
  const idpPort = await freePort();
  app = await startCoreApp({ issuer: `http://127.0.0.1:${idpPort}` });
  idp = await startIdpFor(app.url, idpPort);
});
afterAll(async () => {
  await app?.stop();
  await idp?.stop();
});

/** Signs alice in; resolves the status of the page she lands on. */
async function signIn(): Promise<number> {
  const browser = new TestBrowser();
  const landed = await signInAtDevIdp(
    browser,
    await browser.get(`${app.url}/auth/login?returnTo=/access-token`),
    { username: 'alice', password: 'alice-password' },
  );
  return landed.status;
}

it('signs in with a key the IdP began to use right after latchkey fetched its JWKS', async () => {
  expect(await signIn()).toBe(200); // latchkey fetches the JWKS now
  await idp.rotateKeys();
  expect(await signIn()).toBe(200); // well within the 1 s cooldown of that fetch
});
