import { stopExamples, TestBrowser } from '@latchkey/test-utils';
import { afterEach, expect, it } from 'vitest';
import { signInFromHome, startGuide } from '../guide';

afterEach(stopExamples);

/** A browser in which alice signed in from the home page. */
async function aliceSignsIn(site: string): Promise<TestBrowser> {
  const browser = new TestBrowser();
  const { landed: back } = await signInFromHome(browser, site, 'alice');
  expect(back.url).toBe(`${site}/`);
  expect(back.body).toContain('Signed in as Alice Example.');
  return browser;
}

/** The value of the session cookie the browser holds for the app. */
async function sessionCookie(browser: TestBrowser, site: string): Promise<string> {
  const cookie = (await browser.cookies(site)).find(({ name }) => name === 'lk_session');
  expect(cookie).toBeDefined();
  return `lk_session=${cookie?.value}`;
}

/** What the app says about a session cookie, without any browser's other cookies. */
async function sessionOf(site: string, cookie: string): Promise<unknown> {
  return (await fetch(`${site}/auth/session`, { headers: { cookie } })).json();
}

it('ends the sessions of an IdP session on back-channel logout, and signs out from the app', async () => {
  const { site, issuer, app } = await startGuide('sign-out');
  const endSession = `${issuer}/session/end`;

  // Two browsers, two IdP sessions.
  const first = await aliceSignsIn(site);
  const second = await aliceSignsIn(site);
  const firstCookie = await sessionCookie(first, site);

  // The IdP's own sign-out page, in the first browser: the IdP posts a logout token to the app.
  const atIdp = await first.get(endSession);
  expect(atIdp.body).toContain('Yes, sign me out');
  const signedOutAtIdp = await first.submitForm(atIdp, { logout: 'yes' });
  expect(signedOutAtIdp.body).toContain('You are signed out');
  await app.waitForOutput(/backchannel_logout usr_alice/);
  expect((await first.get(`${site}/`)).body).toContain('Sign in');
  expect(await sessionOf(site, firstCookie)).toEqual({ authenticated: false });
  // The other IdP session, and its app session, are untouched.
  expect((await second.get(`${site}/`)).body).toContain('Signed in as Alice Example.');
  // The next sign-in works at once (the IdP asks for the password again).
  await aliceSignsIn(site);

  // The back-channel route answers 400 to anything but a valid logout token.
  const forged = await fetch(`${site}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: 'not.a.token' }),
  });
  expect(forged.status).toBe(400);
  expect(forged.headers.get('cache-control')).toBe('no-store');
  expect(await forged.json()).toMatchObject({ error: 'logout_token_invalid' });

  // Sign-out must come from the app's own origin: 403, and the session stays.
  for (const headers of [{ origin: 'https://attacker.example' }, {}]) {
    const foreign = await second.request(`${site}/auth/logout`, {
      method: 'POST',
      headers: { ...headers, accept: 'application/json' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json()).toMatchObject({ error: 'origin_mismatch' });
  }
  expect((await second.get(`${site}/`)).body).toContain('Signed in as Alice Example.');

  // The Sign out button: a form's POST, answered 303 to the IdP's end-session endpoint.
  const secondCookie = await sessionCookie(second, site);
  const home = await second.get(`${site}/`);
  expect(home.body).toContain('<form method="post" action="/auth/logout">');
  const posted = await second.request(`${site}/auth/logout`, {
    method: 'POST',
    headers: { origin: site, 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  expect(posted.status).toBe(303);
  const location = new URL(posted.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(endSession);
  expect(location.searchParams.get('client_id')).toBe('latchkey-demo');
  expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${site}/auth/signed-out`);
  expect(location.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
  expect(location.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(posted.setCookies.some((line) => /^lk_session=;.*Max-Age=0/.test(line))).toBe(true);
  await app.waitForOutput(/^logout usr_alice$/m);
  // A copy of the cookie is refused too.
  expect(await sessionOf(site, secondCookie)).toEqual({ authenticated: false });
  // At the IdP: confirm, and back on the app's home page, signed out.
  const confirm = await second.get(location.href);
  expect(confirm.body).toContain('Yes, sign me out');
  const back = await second.submitForm(confirm, { logout: 'yes' });
  expect(back.redirects.at(-1)).toMatch(new RegExp(`^${site}/auth/signed-out\\?state=`));
  expect(back.url).toBe(`${site}/`);
  expect(back.body).toContain('Sign in');
  // Ending its session, the IdP also sent the app a logout token for it: a second one.
  await app.waitForOutput(/(backchannel_logout usr_alice\n[\s\S]*){2}/);

  // From a script: JSON { redirectTo } instead of the redirect.
  const third = await aliceSignsIn(site);
  const scripted = await third.request(`${site}/auth/logout`, {
    method: 'POST',
    headers: {
      origin: site,
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'cors',
      accept: 'application/json',
    },
  });
  expect(scripted.status).toBe(200);
  const { redirectTo } = scripted.json<{ redirectTo: string }>();
  expect(redirectTo.startsWith(`${endSession}?client_id=latchkey-demo&`)).toBe(true);
  expect(new URL(redirectTo).searchParams.get('id_token_hint')).toBeTruthy();
  expect(scripted.setCookies.some((line) => /^lk_session=;.*Max-Age=0/.test(line))).toBe(true);
  const scriptConfirm = await third.get(redirectTo);
  const scriptBack = await third.submitForm(scriptConfirm, { logout: 'yes' });
  expect(scriptBack.url).toBe(`${site}/`);
  expect(scriptBack.body).toContain('Sign in');
}, 90_000);
