// Step-up authentication, followed as printed: the page's dev IdP command, its server.ts, its run
// command; then alice signed in with her password meets the step-up route as an API call (the
// RFC 9470 challenge), as a form post (401, not replayed) and as a page (the IdP's one-time code,
// then the route). The React panel of the page is rendered on the server before and after.
import { signInAtDevIdp } from '@latchkey/dev-idp';
import { AuthProvider, type SessionResponse } from '@latchkey/react';
import { stopExamples, TestBrowser } from '@latchkey/test-utils';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, expect, it } from 'vitest';
import { TransferPanel } from '../../examples/step-up/Transfer';
import { signInFromHome, startGuide } from '../guide';

afterEach(stopExamples);

/** What a page's `fetch` sends to its own origin (a POST adds `Origin`). */
const FETCH = { accept: '*/*', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' };

const CHALLENGE =
  'Bearer error="insufficient_user_authentication", ' +
  'error_description="Step-up required: authentication level urn:latchkey:acr:mfa or higher is required", ' +
  'acr_values="urn:latchkey:acr:mfa", max_age=300';

const panel = (session: SessionResponse) =>
  renderToString(
    createElement(AuthProvider, { initialSession: session }, createElement(TransferPanel)),
  );

it('answers the API with the RFC 9470 challenge, and steps alice up to mfa with the one-time code', async () => {
  const { site, issuer } = await startGuide('step-up');
  const browser = new TestBrowser();
  const { landed: signedIn } = await signInFromHome(browser, site, 'alice');
  expect(signedIn.url).toBe(`${site}/`);
  expect(signedIn.body).toContain('Signed in at urn:latchkey:acr:pwd.');
  const before = (await browser.request(`${site}/auth/session`, { headers: FETCH })).json();
  expect(before).toMatchObject({ acr: 'urn:latchkey:acr:pwd', amr: ['pwd'] });
  expect(panel(before as SessionResponse)).toContain('Confirm it is you to send money');

  // The API call: 401 with the challenge; nothing is sent.
  const transfer = { amount: 10, to: 'bob' };
  const api = await browser.request(`${site}/api/transfers`, {
    method: 'POST',
    headers: { ...FETCH, origin: site, 'content-type': 'application/json' },
    body: JSON.stringify(transfer),
  });
  expect(api.status).toBe(401);
  expect(api.headers.get('www-authenticate')).toBe(CHALLENGE);
  expect(api.json()).toMatchObject({ error: 'insufficient_user_authentication' });

  // A form post (a navigation): 401 too, a page and no redirect, so it is never replayed.
  const posted = await browser.request(`${site}/transfer`, {
    method: 'POST',
    headers: {
      accept: 'text/html',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-site': 'same-origin',
      origin: site,
    },
    body: new URLSearchParams({ amount: '10', to: 'bob' }),
  });
  expect(posted.status).toBe(401);
  expect(posted.headers.get('location')).toBeNull();
  expect(posted.headers.get('content-type')).toMatch(/^text\/html/);
  expect(posted.body).toContain(
    'Step-up required: authentication level urn:latchkey:acr:mfa or higher is required.',
  );

  // The page: to /auth/step-up, then the IdP asks for the one-time code only.
  const challenge = await browser.get(`${site}/transfer`);
  expect(challenge.redirects.slice(0, 2)).toEqual([
    `${site}/transfer`,
    `${site}/auth/step-up?acr=urn%3Alatchkey%3Aacr%3Amfa&max_age=300&returnTo=%2Ftransfer`,
  ]);
  const authorization = new URL(challenge.redirects[2]!);
  expect(authorization.origin).toBe(issuer);
  expect(authorization.searchParams.get('acr_values')).toBe('urn:latchkey:acr:mfa');
  expect(authorization.searchParams.get('max_age')).toBe('300');
  expect(challenge.url.startsWith(`${issuer}/`)).toBe(true);
  expect(challenge.body).toContain('id="otp-form"');
  expect(challenge.body).not.toContain('id="login-form"');
  const page = await signInAtDevIdp(browser, challenge, {
    username: 'alice',
    password: 'alice-password',
  });
  expect(page.url).toBe(`${site}/transfer`);
  expect(page.status).toBe(200);
  expect(page.body).toContain('<h1>Transfer</h1>');

  const after = (await browser.request(`${site}/auth/session`, { headers: FETCH })).json();
  expect(after).toMatchObject({
    user: { sub: 'usr_alice' },
    acr: 'urn:latchkey:acr:mfa',
    amr: ['pwd', 'otp'],
  });
  expect(panel(after as SessionResponse)).toContain('Send 10 EUR');

  // Now the form and the API go through.
  const sent = await browser.submitForm(page);
  expect(sent.status).toBe(200);
  expect(sent.body).toContain('Sent 10 EUR to bob.');
  const paid = await browser.request(`${site}/api/transfers`, {
    method: 'POST',
    headers: { ...FETCH, origin: site, 'content-type': 'application/json' },
    body: JSON.stringify(transfer),
  });
  expect(paid.status).toBe(201);
  expect(paid.json()).toEqual({ ...transfer, by: 'usr_alice' });
}, 60_000);
