// Sign-out routes against test-utils' hostile IdP in its well-behaved mode (its discovery names
// the end-session endpoint). Logout-token validation is tested in logout-token.test.ts, and
// back-channel logout end to end in the shared adapter suite against the dev IdP.
import { describe, expect, it } from 'vitest';
import {
  type coreParts,
  logoutParts,
  sessionCookieOf,
  standInIdToken,
  useHostileIdp,
} from '../test/hostile';
import { passkeyRecord } from './session-record';

const hostile = useHostileIdp();
const app = 'http://127.0.0.1:3999';

function logoutFor(options: Parameters<typeof coreParts>[1] = {}) {
  hostile.idp.mode = 'valid';
  return logoutParts(hostile.idp.issuer, { postLogoutRedirectPath: '/bye', ...options });
}

const idToken = standInIdToken({ sub: 'alice', sid: 'idp-sid' });
const sessionCookie = (parts: ReturnType<typeof logoutFor>) => sessionCookieOf(parts);

const post = (headers: Record<string, string>, body?: string) =>
  new Request(`${app}/auth/logout`, { method: 'POST', headers, body: body ?? null });

describe('Logout.confirmPage', () => {
  it("posts to the logout route and lets its form go on to the session's IdP origin", async () => {
    const parts = logoutFor();
    const page = await parts.logout.confirmPage(
      new Request(`${app}/auth/logout`, { headers: { cookie: await sessionCookie(parts) } }),
    );
    expect(await page.text()).toContain('<form method="post" action="/auth/logout">');
    expect(page.headers.get('content-security-policy')).toContain(
      `form-action 'self' ${new URL(hostile.idp.issuer).origin};`,
    );
  });

  it('keeps the form of a signed-out browser on this origin', async () => {
    const page = await logoutFor().logout.confirmPage(new Request(`${app}/auth/logout`));
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self';");
  });

  it('keeps the form of a passkey session on this origin: the IdP took no part in it', async () => {
    const parts = logoutFor();
    const now = Date.now();
    const record = passkeyRecord({ sub: 'alice' }, { acr: undefined, amr: ['hwk', 'user'] }, now);
    const cookie = (await parts.sessions.save(record, new Map(), now))
      .map((line) => line.split(';')[0])
      .join('; ');
    const page = await parts.logout.confirmPage(
      new Request(`${app}/auth/logout`, { headers: { cookie } }),
    );
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self';");
  });
});

describe('Logout.logout', () => {
  it('refuses a sign-out that is not posted from the app', async () => {
    const { logout } = logoutFor();
    await expect(logout.logout(post({ origin: 'https://evil.example' }))).rejects.toMatchObject({
      code: 'origin_mismatch',
      status: 403,
    });
    await expect(logout.logout(post({}))).rejects.toMatchObject({ code: 'origin_mismatch' });
  });

  it("ends the session, clears its cookie and sends the browser to the IdP's end-session endpoint", async () => {
    const parts = logoutFor();
    const cookie = await sessionCookie(parts);
    const answer = await parts.logout.logout(post({ origin: app, cookie }));
    expect(answer.status).toBe(303);
    const target = new URL(answer.headers.get('location')!);
    expect(`${target.origin}${target.pathname}`).toBe(`${hostile.idp.issuer}/logout`);
    expect(target.searchParams.get('id_token_hint')).toBe(idToken);
    expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${app}/auth/signed-out`);
    const state = target.searchParams.get('state');
    expect(state).toMatch(/^[\w-]{43}$/);
    expect(answer.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^lk_session=; .*Max-Age=0/),
      `lk_logout=${state}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`,
    ]);
    expect(parts.events).toEqual([{ type: 'logout', sub: 'alice', sessionId: expect.any(String) }]);
    // The copied cookie is dead.
    expect(
      (await parts.contexts.read(new Map([['lk_session', cookie.slice(11)]]))).record,
    ).toBeUndefined();
  });

  it('answers a script JSON with where to go, and a signed-out browser the post-logout page', async () => {
    const { logout } = logoutFor();
    const answer = await logout.logout(post({ origin: app, accept: 'application/json' }));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ redirectTo: `${app}/bye` });
    const asked = await logout.logout(
      new Request(`${app}/auth/logout?returnTo=%2Fsee-you`, {
        method: 'POST',
        headers: { origin: app, accept: 'application/json' },
      }),
    );
    expect(await asked.json()).toEqual({ redirectTo: `${app}/see-you` });
  });
});

describe('Logout.signedOut', () => {
  const back = (query: string, cookie?: string) =>
    new Request(`${app}/auth/signed-out${query}`, { headers: cookie ? { cookie } : {} });

  it("lands on the sign-out's returnTo, kept on this origin, once the IdP hands back this browser's state", async () => {
    for (const [asked, landing] of [
      ['/goodbye?from=menu', `${app}/goodbye?from=menu`],
      ['https://evil.example/phish', `${app}/`],
      ['//evil.example/phish', `${app}/`],
    ]) {
      const parts = logoutFor();
      const out = await parts.logout.logout(
        new Request(`${app}/auth/logout?returnTo=${encodeURIComponent(asked!)}`, {
          method: 'POST',
          headers: { origin: app, cookie: await sessionCookie(parts) },
        }),
      );
      const state = new URL(out.headers.get('location')!).searchParams.get('state')!;
      const logoutCookie = out.headers
        .getSetCookie()
        .find((line) => line.startsWith('lk_logout='))!;
      expect(logoutCookie.split(';')[0]!.split('=')[1]!.startsWith(`${state}.`)).toBe(true);
      const answer = await parts.logout.signedOut(
        back(`?state=${state}`, logoutCookie.split(';')[0]),
      );
      expect(answer.headers.get('location')).toBe(landing);
    }
  });

  it('checks the returnTo it kept again when it reads it back', async () => {
    const parts = logoutFor();
    const evil = Buffer.from('//evil.example/phish').toString('base64url');
    const answer = await parts.logout.signedOut(back('?state=abc', `lk_logout=abc.${evil}`));
    expect(answer.headers.get('location')).toBe(`${app}/`);
  });

  it("sends the browser on to the post-logout page when the IdP hands back this browser's state", async () => {
    const parts = logoutFor();
    const out = await parts.logout.logout(
      post({ origin: app, cookie: await sessionCookie(parts) }),
    );
    const state = new URL(out.headers.get('location')!).searchParams.get('state')!;
    const answer = await parts.logout.signedOut(back(`?state=${state}`, `lk_logout=${state}`));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(`${app}/bye`);
    expect(answer.headers.getSetCookie()).toEqual([
      'lk_logout=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    ]);
  });

  it.each([
    ['no state', '', 'lk_logout=abc'],
    ['no cookie', '?state=abc', undefined],
    ['another state', '?state=abd', 'lk_logout=abc'],
    ['a longer state', '?state=abcd', 'lk_logout=abc'],
    ['two states', '?state=abc&state=abc', 'lk_logout=abc'],
    ['an empty state and cookie', '?state=', 'lk_logout='],
  ])('refuses a return with %s as state_mismatch', async (_, query, cookie) => {
    await expect(logoutFor().logout.signedOut(back(query, cookie))).rejects.toMatchObject({
      code: 'state_mismatch',
      status: 400,
    });
  });

  it('with routes.signedOut off, the IdP sends the browser straight to the post-logout page, with no state', async () => {
    const parts = logoutFor({ routes: { signedOut: false } });
    const answer = await parts.logout.logout(
      post({ origin: app, cookie: await sessionCookie(parts) }),
    );
    const target = new URL(answer.headers.get('location')!);
    expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${app}/bye`);
    expect(target.searchParams.has('state')).toBe(false);
    expect(answer.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^lk_session=; .*Max-Age=0/),
    ]);
  });

  it('sets no state when there is no IdP session to end', async () => {
    const answer = await logoutFor().logout.logout(post({ origin: app }));
    expect(answer.headers.get('location')).toBe(`${app}/bye`);
    expect(answer.headers.getSetCookie()).toEqual([]);
  });
});

describe('Logout.backchannel', () => {
  const backchannel = (type: string, body: string) =>
    logoutFor().logout.backchannel(
      new Request(`${app}/auth/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': type },
      }),
      body,
    );

  it.each([
    [
      'application/json',
      '{}',
      'Invalid logout token: the body must be application/x-www-form-urlencoded.',
    ],
    [
      'application/x-www-form-urlencoded',
      'logout_token=a&logout_token=b',
      'Invalid logout token: exactly one logout_token parameter is required.',
    ],
    [
      'application/x-www-form-urlencoded',
      'logout_token=',
      'Invalid logout token: exactly one logout_token parameter is required.',
    ],
  ])('answers %s with %j 400 logout_token_invalid in JSON', async (type, body, message) => {
    const answer = await backchannel(type, body);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: 'logout_token_invalid', message });
  });

  it('refuses a token that is not a valid logout token of the IdP', async () => {
    const answer = await backchannel('application/x-www-form-urlencoded', 'logout_token=a.b.c');
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: 'logout_token_invalid' });
  });
});
