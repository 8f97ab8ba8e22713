import { describe, expect, it } from 'vitest';
import { isPromiseLike } from './awaitable';
import { resolveConfig } from './config';
import type { LatchkeyEvent } from './events';
import { Guards } from './guards';
import { MemoryRevocationList } from './memory';
import { Providers } from './providers';
import { Keyring } from './seal';
import { CookieSessions } from './session-backends';
import { type AuthContext, SessionContexts } from './session-context';
import { createRecord } from './session-record';
import { TokenRefresher } from './tokens';

const start = 1_800_000_000_000;

/** Session contexts over sealed cookies, on a clock the test moves. */
function setup() {
  const clock = { now: start };
  const config = resolveConfig({
    issuer: 'https://idp.example.com',
    clientId: 'app',
    clientSecret: 's',
    baseUrl: 'https://app.example.com',
    secrets: ['context-test-secret-context-test-secret-1'],
    session: { touchInterval: 60 },
    now: () => clock.now,
  });
  const sessions = new CookieSessions(
    config,
    new Keyring(config.secrets),
    new MemoryRevocationList({ now: () => clock.now }),
  );
  const events: LatchkeyEvent[] = [];
  const providers = new Providers(config);
  const refresher = new TokenRefresher(config, providers, sessions);
  const contexts = new SessionContexts(
    config,
    providers,
    sessions,
    refresher,
    (event) => events.push(event),
    {
      guards: new Guards(config, { login: '/auth/login', stepUp: '/auth/step-up' }, () => {}),
      forward: { appOrigin: 'https://app.example.com', timeout: 1000, stepUpAssertion: undefined },
    },
  );
  return { clock, config, sessions, contexts, events, refresher };
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const record = (now: number) =>
  createRecord(
    {
      idToken: `${part({ alg: 'RS256' })}.${part({ sub: 'alice', name: 'Alice' })}.c2ln`,
      claims: undefined,
      accessToken: 'access-token',
      accessTokenExpiresAt: now / 1000 + 3600,
      refreshToken: 'refresh-token',
      scope: 'openid',
      tokenType: 'bearer',
    },
    now,
  );

const cookieOf = (lines: readonly string[]) => lines.map((line) => line.split(';')[0]).join('; ');
const request = (cookie?: string) =>
  new Request('https://app.example.com/reports', { headers: cookie ? { cookie } : {} });

async function contextFor(contexts: SessionContexts, cookie?: string) {
  const written: string[][] = [];
  const context: AuthContext = await contexts.authenticate(request(cookie), (lines) => {
    written.push([...lines]);
  });
  return { context, written };
}

describe('SessionContexts.authenticate', () => {
  it('reads a signed-out request without writing a cookie, and getAccessToken says so', async () => {
    const { contexts } = setup();
    const { context, written } = await contextFor(contexts);
    expect(context.session).toBeNull();
    expect(context.problem).toBeUndefined();
    expect(written).toEqual([]);
    await expect(context.getAccessToken()).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('reads a cookie session, synchronously once read recently, with its access token', async () => {
    const { contexts, sessions } = setup();
    const cookie = cookieOf(await sessions.save(record(start), new Map(), start));
    await contextFor(contexts, cookie);
    const result = contexts.authenticate(request(cookie), () => {});
    expect(isPromiseLike(result)).toBe(false);
    const context = result as AuthContext;
    expect(context.session?.user).toMatchObject({ sub: 'alice', name: 'Alice' });
    expect(await context.getAccessToken()).toBe('access-token');
  });

  it('re-seals a rolling session once per touch interval, however many requests carry the old cookie', async () => {
    const { contexts, sessions, clock } = setup();
    const cookie = cookieOf(await sessions.save(record(start), new Map(), start));
    expect((await contextFor(contexts, cookie)).written).toEqual([]);
    clock.now = start + 61_000;
    const first = await contextFor(contexts, cookie);
    const second = await contextFor(contexts, cookie);
    expect(first.written).toHaveLength(1);
    expect(second.written).toEqual(first.written);
    expect(first.context.session?.sessionId).toBe(second.context.session?.sessionId);
  });

  it('clears a cookie it cannot read, and gives the problem', async () => {
    const { contexts, config } = setup();
    const { context, written } = await contextFor(contexts, `${config.sessionCookie}=garbage`);
    expect(context.session).toBeNull();
    expect(context.problem).toMatchObject({ code: 'session_invalid' });
    expect(written.flat()).toEqual([expect.stringMatching(/^__Host-lk_session=; .*Max-Age=0/)]);
    await expect(context.getAccessToken()).rejects.toMatchObject({ code: 'session_invalid' });
  });
});

describe('SessionContexts.route', () => {
  it('answers the session as JSON without tokens, and null with the dead cookie cleared', async () => {
    const { contexts, sessions, config } = setup();
    const cookie = cookieOf(await sessions.save(record(start), new Map(), start));
    const signedIn = await contexts.route(request(cookie));
    expect(signedIn.headers.get('cache-control')).toContain('no-store');
    const body = await signedIn.text();
    expect(JSON.parse(body)).toMatchObject({ authenticated: true, user: { sub: 'alice' } });
    expect(body).not.toContain('access-token');
    expect(body).not.toContain('refresh-token');
    const dead = await contexts.route(request(`${config.sessionCookie}=garbage`));
    expect(await dead.json()).toMatchObject({ authenticated: false });
    expect(dead.headers.getSetCookie()).toEqual([expect.stringMatching(/^__Host-lk_session=; /)]);
  });
});

describe('TokenRefresher.needsRefresh', () => {
  it('refreshes from 60 seconds before the access token expires, and when there is none', () => {
    const { refresher } = setup();
    const fresh = record(start); // its access token expires at start + 3600 s
    const leeway = (start / 1000 + 3600 - 60) * 1000;
    expect(refresher.needsRefresh(fresh, leeway - 1000)).toBe(false);
    expect(refresher.needsRefresh(fresh, leeway)).toBe(true);
    const { at: _at, ...withoutToken } = fresh;
    expect(refresher.needsRefresh(withoutToken, start)).toBe(true);
  });
});
