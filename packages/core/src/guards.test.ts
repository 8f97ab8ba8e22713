import { beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from './config';
import { ErrorCodes, LatchkeyError } from './errors';
import type { LatchkeyEvent } from './events';
import { Guards, requireAuth, requirePermission, requireRole, requireStepUp } from './guards';
import { type AuthContext, LINK } from './session-context';
import type { Session } from './session-record';

const now = 1_800_000_000;
const options = {
  issuer: 'https://idp.example.com',
  clientId: 'app',
  clientSecret: 's',
  baseUrl: 'https://app.example.com',
  secrets: ['guards-test-secret-guards-test-secret-1'],
};
const config = resolveConfig({ ...options, acrLevels: ['pwd', 'mfa'], now: () => now * 1000 });
const events: LatchkeyEvent[] = [];
const guards = new Guards(config, { login: '/auth/login', stepUp: '/auth/step-up' }, (event) =>
  events.push(event),
);

/** A context signed in with these session fields (or signed out with `problem`), for {@link on}. */
function context(
  session: Partial<Session> | null,
  problem?: LatchkeyError,
): Omit<AuthContext, 'request' | typeof LINK> {
  const full = session && {
    user: { sub: 'alice' },
    roles: [],
    permissions: [],
    acr: undefined,
    acrs: undefined,
    authTime: undefined,
    ...session,
  };
  return {
    session: full as Session | null,
    problem,
    getAccessToken: () => Promise.reject(new Error('not used')),
    fetchWithToken: () => Promise.reject(new Error('not used')),
  };
}

/** The context as latchkey makes it for `request`. */
const on = (request: Request, partial: ReturnType<typeof context>): AuthContext => ({
  ...partial,
  request,
  [LINK]: {
    guards,
    forward: { appOrigin: 'https://app.example.com', timeout: 1000, stepUpAssertion: undefined },
  },
});

const page = new Request('https://app.example.com/reports?year=2026', {
  headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' },
});
const api = new Request('https://app.example.com/api/reports', {
  headers: { accept: 'application/json' },
});

beforeEach(() => {
  events.length = 0;
});

describe('requireAuth', () => {
  it('lets a session through', () => {
    expect(guards.requireAuth(on(api, context({})))).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('sends a signed-out page navigation to sign-in, returning to the page', () => {
    const response = guards.requireAuth(on(page, context(null)))!;
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/auth/login?returnTo=%2Freports%3Fyear%3D2026');
  });

  it('answers a signed-out API call 401, or the problem its cookie had', async () => {
    const response = guards.requireAuth(on(api, context(null)))!;
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: 'unauthenticated',
      message: 'Sign in to access this resource.',
    });
    const expired = new LatchkeyError(ErrorCodes.sessionExpired, 'The session has expired.');
    const answer = guards.requireAuth(on(api, context(null, expired)))!;
    expect(await answer.json()).toMatchObject({ error: 'session_expired' });
  });

  it('answers a signed-out write from a page 401 instead of redirecting it', () => {
    const post = new Request(page.url, { method: 'POST', headers: page.headers });
    expect(guards.requireAuth(on(post, context(null)))!.status).toBe(401);
  });
});

describe('requireRole and requirePermission', () => {
  it('let a session with the role or permission through and answer others 403 forbidden', async () => {
    const editor = context({ roles: ['editor'], permissions: ['invoices:read'] });
    expect(guards.requireRole(on(api, editor), 'editor')).toBeUndefined();
    expect(guards.requirePermission(on(api, editor), 'invoices:read')).toBeUndefined();
    const role = guards.requireRole(on(api, editor), 'admin')!;
    expect(role.status).toBe(403);
    expect(await role.json()).toEqual({
      error: 'forbidden',
      message: "The role 'admin' is required.",
    });
    const permission = guards.requirePermission(on(api, editor), 'invoices:write')!;
    expect(await permission.json()).toEqual({
      error: 'forbidden',
      message: "The permission 'invoices:write' is required.",
    });
    expect(events).toEqual([
      { type: 'access_denied', sub: 'alice', role: 'admin' },
      { type: 'access_denied', sub: 'alice', permission: 'invoices:write' },
    ]);
  });

  it('answer a signed-out request as requireAuth does', () => {
    expect(guards.requireRole(on(api, context(null)), 'editor')!.status).toBe(401);
    expect(guards.requirePermission(on(page, context(null)), 'invoices:read')!.status).toBe(302);
  });
});

describe('requireStepUp', () => {
  const pwd = context({ acr: 'pwd', authTime: now - 600 });

  it('lets a session at the level and freshness through', () => {
    const mfa = context({ acr: 'mfa', authTime: now - 10 });
    expect(guards.requireStepUp(on(api, mfa), { acr: 'pwd', maxAge: 60 })).toBeUndefined();
  });

  it('sends a page navigation to the step-up route with what is asked and where to return', () => {
    const response = guards.requireStepUp(on(page, pwd), { acr: 'mfa', maxAge: 60 })!;
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      '/auth/step-up?acr=mfa&max_age=60&returnTo=%2Freports%3Fyear%3D2026',
    );
    const fresh = guards.requireStepUp(on(page, pwd), { maxAge: 60 })!;
    expect(fresh.headers.get('location')).toBe(
      '/auth/step-up?max_age=60&returnTo=%2Freports%3Fyear%3D2026',
    );
    expect(events).toEqual([
      { type: 'step_up', sub: 'alice', acr: 'mfa', maxAge: 60 },
      { type: 'step_up', sub: 'alice', maxAge: 60 },
    ]);
  });

  it('asks only for what the requirement names, and answers a page that posts 401', async () => {
    const response = guards.requireStepUp(on(page, pwd), { acr: 'mfa' })!;
    expect(response.headers.get('location')).toBe(
      '/auth/step-up?acr=mfa&returnTo=%2Freports%3Fyear%3D2026',
    );
    expect(events).toStrictEqual([{ type: 'step_up', sub: 'alice', acr: 'mfa' }]);
    const post = new Request(page.url, { method: 'POST', headers: page.headers });
    const posted = guards.requireStepUp(on(post, pwd), { acr: 'mfa' })!;
    expect(posted.status).toBe(401);
    expect(posted.headers.get('www-authenticate')).toContain('acr_values="mfa"');
  });

  it("renders the app's errorPage for a page that posts below the level, and JSON for a script", async () => {
    const ownPage = new Guards(
      resolveConfig({
        ...options,
        acrLevels: ['pwd', 'mfa'],
        now: () => now * 1000,
        errorPage: (error) => new Response(`own ${error.code}`, { status: error.status }),
      }),
      { login: '/auth/login', stepUp: '/auth/step-up' },
      () => {},
    );
    const post = new Request(page.url, { method: 'POST', headers: page.headers });
    const posted = ownPage.requireStepUp(on(post, pwd), { acr: 'mfa' })!;
    expect([posted.status, await posted.text()]).toEqual([
      401,
      'own insufficient_user_authentication',
    ]);
    const script = ownPage.requireStepUp(on(api, pwd), { acr: 'mfa' })!;
    expect(await script.json()).toMatchObject({ error: 'insufficient_user_authentication' });
  });

  it('answers an API call 401 with the RFC 9470 challenge', async () => {
    const response = guards.requireStepUp(on(api, pwd), { acr: 'mfa' })!;
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="Step-up required: authentication level mfa or higher is required", acr_values="mfa"',
    );
    expect(await response.json()).toEqual({
      error: 'insufficient_user_authentication',
      message: 'Step-up required: authentication level mfa or higher is required.',
    });
  });

  it('answers a signed-out request as requireAuth does', () => {
    expect(guards.requireStepUp(on(api, context(null)), { acr: 'mfa' })!.status).toBe(401);
  });

  it('says to configure acrLevels when asked for a level they do not list, signed in or not', async () => {
    for (const session of [pwd, context(null)]) {
      const response = guards.requireStepUp(on(api, session), { acr: 'urn:other:acr' })!;
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: 'config_invalid',
        message:
          "requireStepUp asks for acr 'urn:other:acr', which acrLevels does not list (it lists 'pwd', 'mfa'): add it to createLatchkey({ acrLevels: [...] }), lowest level first.",
      });
    }
    const unconfigured = new Guards(
      resolveConfig({ ...options, acrLevels: [] }),
      { login: '/auth/login', stepUp: '/auth/step-up' },
      () => {},
    );
    const response = unconfigured.requireStepUp(on(api, pwd), { acr: 'mfa' })!;
    expect(await response.json()).toMatchObject({
      message: expect.stringContaining('which acrLevels does not list (it lists none)'),
    });
  });
});

describe('the guards as functions of a context', () => {
  it("answer through the guards of the context's instance", async () => {
    const editor = on(api, context({ roles: ['editor'], permissions: ['invoices:read'] }));
    expect(requireAuth(editor)).toBeUndefined();
    expect(requireRole(editor, 'editor')).toBeUndefined();
    expect(requirePermission(editor, 'invoices:read')).toBeUndefined();
    expect(requirePermission(editor, 'invoices:write')?.status).toBe(403);
    expect(requireRole(editor, 'admin')?.status).toBe(403);
    expect(requireStepUp(editor, { acr: 'mfa' })?.status).toBe(401);
  });

  it('refuse an object latchkey did not make, saying how to mount it', () => {
    const forged = { ...context(null), request: api } as unknown as AuthContext;
    expect(() => requireAuth(forged)).toThrow(
      'This is not an auth context from latchkey: mount its middleware or plugin before guards.',
    );
  });
});
