import { stopExamples, TestBrowser } from '@latchkey/test-utils';
import { afterEach, expect, it } from 'vitest';
import { guideExample, signInFromHome, startGuide } from '../guide';

afterEach(stopExamples);

it('answers a signed-in user through the app, and refuses a missing token, a bad one, a missing permission and a missing scope', async () => {
  // The page's run block: the API first, then the app.
  expect(guideExample('bearer-apis').runCommands).toEqual(['npx tsx api.ts', 'npx tsx app.ts']);
  const { site, issuer, api: apiUrl } = await startGuide('bearer-apis');

  // No token: 401 with a bare Bearer challenge (RFC 6750 section 3.1).
  const anonymous = await fetch(`${apiUrl}/api/reports`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  expect(await anonymous.json()).toMatchObject({ error: 'unauthenticated' });

  // A token that is no JWT of the IdP: 401 invalid_token.
  const forged = await fetch(`${apiUrl}/api/reports`, {
    headers: { authorization: 'Bearer not-a-real-token' },
  });
  expect(forged.status).toBe(401);
  expect(forged.headers.get('www-authenticate')).toMatch(
    /^Bearer error="invalid_token", error_description="[^"]+"$/,
  );
  expect(await forged.json()).toMatchObject({ error: 'invalid_token' });

  // Bob signs in at the app and lands on /api/reports, which the app calls with his token.
  const bob = new TestBrowser();
  const { login, landed: reports } = await signInFromHome(bob, site, 'bob');
  expect(login.url.startsWith(`${issuer}/`)).toBe(true);
  expect(reports.url).toBe(`${site}/api/reports`);
  expect(reports.status).toBe(200);
  expect(reports.json()).toEqual({ reports: ['q3-revenue', 'q3-costs'], for: 'usr_bob' });

  // Bob is a viewer: no reports:export. 403 forbidden, and no challenge.
  const exported = await bob.get(`${site}/api/reports/export`);
  expect(exported.status).toBe(403);
  expect(exported.headers.get('www-authenticate')).toBeNull();
  expect(exported.json()).toMatchObject({ error: 'forbidden' });

  // The app did not ask for payments:write: 403 insufficient_scope, naming the scope.
  const signedIn = await bob.get(`${site}/`);
  const paid = await bob.submitForm(signedIn, {}, 'form[action="/api/payments"]');
  expect(paid.status).toBe(403);
  expect(paid.headers.get('www-authenticate')).toBe(
    'Bearer error="insufficient_scope", error_description="insufficient scope", scope="payments:write"',
  );
  expect(paid.json()).toMatchObject({ error: 'insufficient_scope' });

  // Alice is an admin: the export works.
  const alice = new TestBrowser();
  await signInFromHome(alice, site, 'alice');
  const aliceExport = await alice.get(`${site}/api/reports/export`);
  expect(aliceExport.status).toBe(200);
  expect(aliceExport.json()).toEqual({ export: 'q3-revenue.csv', for: 'usr_alice' });
}, 60_000);
