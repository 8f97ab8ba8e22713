// Sign-out in detail, against test-utils' hostile IdP (a real OP over HTTP that signs logout tokens
// on demand): what the end-session request names, what happens when the IdP or the store is down,
// and each step of back-channel logout. The routes' ordinary use is in logout.test.ts.
import { describe, expect, it } from 'vitest';
import { type coreParts, logoutParts, sessionCookieOf, useHostileIdp } from '../test/hostile';
import { ErrorCodes, LatchkeyError } from './errors';
import { Logout } from './logout';
import { LOGOUT_TOKEN_MAX_AGE } from './logout-token';
import { MemorySessionStore } from './memory';
import { type SessionBackend, StoreSessions } from './session-backends';

const hostile = useHostileIdp();
const app = 'http://127.0.0.1:3999';

function logoutFor(options: Parameters<typeof coreParts>[1] = {}, issuer = hostile.idp.issuer) {
  hostile.idp.mode = 'valid';
  return logoutParts(issuer, options);
}

const sessionCookie = sessionCookieOf;

const post = (headers: Record<string, string>) =>
  new Request(`${app}/auth/logout`, { method: 'POST', headers });

describe('RP-initiated logout in detail', () => {
  it.each<[string, Record<string, unknown>, Record<string, string>]>([
    ['the login_hint claim', { sub: 'alice', sid: 's', login_hint: 'lh' }, { logout_hint: 'lh' }],
    ['the sid', { sub: 'alice', sid: 's' }, { logout_hint: 's' }],
    ['nothing', { sub: 'alice' }, {}],
  ])('with logout.idTokenHint false, names who signs out by %s', async (_, claims, hint) => {
    const parts = logoutFor({ logout: { idTokenHint: false } });
    const answer = await parts.logout.logout(
      post({ origin: app, cookie: await sessionCookie(parts, claims) }),
    );
    const target = new URL(answer.headers.get('location')!);
    const { state, ...named } = Object.fromEntries(target.searchParams);
    expect(named).toEqual({
      client_id: 'app',
      post_logout_redirect_uri: `${app}/auth/signed-out`,
      ...hint,
    });
  });

  it('answers a script the end-session URL with its state, and sets the state cookie too', async () => {
    const parts = logoutFor();
    const answer = await parts.logout.logout(
      post({ origin: app, accept: 'application/json', cookie: await sessionCookie(parts) }),
    );
    const { redirectTo } = (await answer.json()) as { redirectTo: string };
    const state = new URL(redirectTo).searchParams.get('state');
    expect(state).toMatch(/^[\w-]{43}$/);
    expect(answer.headers.getSetCookie()).toContain(
      `lk_logout=${state}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`,
    );
  });

  it('marks the state cookie Secure and __Host- on https', async () => {
    const parts = logoutFor({ baseUrl: 'https://app.example.com' });
    const cookie = await sessionCookie(parts);
    const answer = await parts.logout.logout(
      new Request('https://app.example.com/auth/logout', {
        method: 'POST',
        headers: { origin: 'https://app.example.com', cookie },
      }),
    );
    expect(answer.headers.getSetCookie().at(-1)).toMatch(
      /^__Host-lk_logout=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/,
    );
  });

  it('ends the local session and lands on the post-logout page when the IdP is down', async () => {
    const parts = logoutFor({ postLogoutRedirectPath: '/bye' }, 'http://127.0.0.1:1');
    const cookie = await sessionCookie(parts);
    const answer = await parts.logout.logout(post({ origin: app, cookie }));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(`${app}/bye`);
    expect(answer.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^lk_session=; .*Max-Age=0/),
    ]);
    const page = await parts.logout.confirmPage(
      new Request(`${app}/auth/logout`, { headers: { cookie: await sessionCookie(parts) } }),
    );
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self';");
  });

  it('keeps the session when the store cannot be read, and says so', async () => {
    const parts = logoutFor();
    const down = new LatchkeyError(ErrorCodes.storeUnavailable, 'The session store is down.');
    parts.contexts.read = () => ({ problem: down });
    let ended = false;
    parts.sessions.end = async () => {
      ended = true;
      return [];
    };
    await expect(parts.logout.logout(post({ origin: app }))).rejects.toBe(down);
    expect(ended).toBe(false);
  });
});

describe('back-channel logout in detail', () => {
  const form = (token: string, type = 'application/x-www-form-urlencoded') =>
    [
      new Request(`${app}/auth/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': type },
      }),
      `logout_token=${token}`,
    ] as const;

  it('ends the sessions of the IdP session the token names, remembering its jti long enough', async () => {
    const parts = logoutFor();
    const seen: Array<[string, number]> = [];
    const ended: unknown[] = [];
    parts.sessions.markSeen = async (key, ttl) => {
      seen.push([key, ttl]);
      return true;
    };
    parts.sessions.endBy = async (filter) => {
      ended.push(filter);
    };
    const token = await hostile.idp.logoutToken({ sub: 'alice', sid: 'idp-sid', jti: 'j-1' });
    const answer = await parts.logout.backchannel(
      ...form(token, 'Application/X-WWW-Form-Urlencoded; charset=UTF-8'),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await answer.text()).toBe('');
    expect(seen).toEqual([['jti:j-1', LOGOUT_TOKEN_MAX_AGE + 2 * 30]]);
    expect(ended).toEqual([{ idpSid: 'idp-sid' }]);
    expect(parts.events).toEqual([{ type: 'backchannel_logout', sub: 'alice', idpSid: 'idp-sid' }]);
  });

  it('ends every session of the user when the token names no IdP session', async () => {
    const parts = logoutFor();
    const ended: unknown[] = [];
    parts.sessions.endBy = async (filter) => {
      ended.push(filter);
    };
    const answer = await parts.logout.backchannel(
      ...form(await hostile.idp.logoutToken({ sub: 'alice' })),
    );
    expect(answer.status).toBe(200);
    expect(ended).toEqual([{ sub: 'alice' }]);
  });

  it('refuses a replayed token, and a token of an issuer that is not the IdP', async () => {
    const parts = logoutFor();
    const token = await hostile.idp.logoutToken({ sub: 'alice' });
    expect((await parts.logout.backchannel(...form(token))).status).toBe(200);
    const again = await parts.logout.backchannel(...form(token));
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({
      error: 'logout_token_invalid',
      message: 'Invalid logout token: its jti was already used (replay).',
    });
    const foreign = await parts.logout.backchannel(
      ...form(await hostile.idp.logoutToken({ sub: 'alice', iss: 'https://elsewhere.example' })),
    );
    expect(await foreign.json()).toEqual({
      error: 'logout_token_invalid',
      message: "Invalid logout token: its issuer is not one of this app's identity providers.",
    });
    expect(foreign.headers.get('content-type')).toMatch(/^application\/json/);
  });

  // The store failing between the jti and the sessions: a stand-in for a store outage at that
  // moment (the Redis suite takes a real one away at other moments).
  /** The parts of {@link logoutFor} with its sessions in a session store instead of cookies. */
  const inStore = (parts: ReturnType<typeof logoutFor>) => {
    const sessions = new StoreSessions(parts.config, new MemorySessionStore(), parts.keyring);
    const { config, providers, contexts, emit } = parts;
    const logout = new Logout(config, providers, sessions, contexts, emit, '/auth/logout');
    return { ...parts, sessions, logout };
  };

  it.each<
    [
      string,
      (parts: ReturnType<typeof logoutFor>) => {
        sessions: SessionBackend;
        logout: Logout;
        events: unknown[];
      },
    ]
  >([
    ['cookie sessions', (parts) => parts],
    ['a session store', inStore],
  ])(
    'answers 503 when %s cannot end the sessions, and takes the IdP retry of that token',
    async (_, backend) => {
      const parts = backend(logoutFor());
      const endBy = parts.sessions.endBy.bind(parts.sessions);
      const down = new LatchkeyError(ErrorCodes.storeUnavailable, 'The session store is down.');
      const ended: unknown[] = [];
      parts.sessions.endBy = async () => {
        throw down;
      };
      const token = await hostile.idp.logoutToken({ sub: 'alice', sid: 'idp-sid' });
      const failed = await parts.logout.backchannel(...form(token));
      expect(failed.status).toBe(503);
      expect(await failed.json()).toMatchObject({ error: 'store_unavailable' });
      expect(parts.events).toEqual([]);

      parts.sessions.endBy = async (filter, now) => {
        ended.push(filter);
        await endBy(filter, now);
      };
      const retried = await parts.logout.backchannel(...form(token));
      expect(retried.status).toBe(200);
      expect(ended).toEqual([{ idpSid: 'idp-sid' }]);
      expect(parts.events).toEqual([
        { type: 'backchannel_logout', sub: 'alice', idpSid: 'idp-sid' },
      ]);
      // Once the sessions ended, the token is spent.
      expect((await parts.logout.backchannel(...form(token))).status).toBe(400);
    },
  );

  it('answers the first failure when the store cannot forget the jti either', async () => {
    const parts = logoutFor();
    const down = new LatchkeyError(ErrorCodes.storeUnavailable, 'The session store is down.');
    parts.sessions.endBy = async () => {
      throw down;
    };
    parts.sessions.forgetSeen = async () => {
      throw new Error('still down');
    };
    const token = await hostile.idp.logoutToken({ sub: 'alice' });
    const failed = await parts.logout.backchannel(...form(token));
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({
      error: 'store_unavailable',
      message: 'The session store is down.',
    });
  });
});
