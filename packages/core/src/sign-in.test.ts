// Sign-in against test-utils' hostile IdP in its well-behaved mode (the core package cannot depend
// on the dev IdP); the hostile modes are tested in test/hostile-idp.test.ts.
import { describe, expect, it } from 'vitest';
import {
  baseUrl,
  cookiesAfter,
  hostileClient,
  secrets,
  signInParts,
  useHostileIdp,
} from '../test/hostile';
import type { LatchkeyOptions } from './config';
import { createLatchkey } from './latchkey';
import { transactionSlot } from './transaction';

const hostile = useHostileIdp();

function signInFor(overrides: Partial<LatchkeyOptions> = {}) {
  hostile.idp.mode = 'valid';
  hostile.idp.claims = {};
  return signInParts(hostile.idp.issuer, { acrLevels: ['pwd', 'mfa'], ...overrides });
}

const at = (path: string, cookie = '') =>
  new Request(`http://127.0.0.1:3999${path}`, {
    headers: { cookie, accept: 'application/json' },
  });

/** The IdP's redirect back to the callback, for a login response. */
async function authorize(login: Response): Promise<string> {
  const answer = await fetch(login.headers.get('location')!, { redirect: 'manual' });
  return answer.headers.get('location')!;
}

describe('SignIn.login', () => {
  it('redirects to the IdP with PKCE S256, state and nonce, and seals the transaction in the slot of its state', async () => {
    const { signIn } = signInFor();
    const login = await signIn.login(at('/auth/login'), { returnTo: '/reports' });
    expect(login.status).toBe(302);
    const url = new URL(login.headers.get('location')!);
    expect(url.origin).toBe(new URL(hostile.idp.issuer).origin);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    const state = url.searchParams.get('state')!;
    const [line] = login.headers.getSetCookie();
    expect(line).toMatch(
      new RegExp(
        `^lk_tx\\.${transactionSlot(state)}=[^;]+; Path=/; HttpOnly; SameSite=Lax; Max-Age=600$`,
      ),
    );
  });
});

describe('the login route with loginParams', () => {
  const routeWith = (loginParams?: readonly string[]) => {
    hostile.idp.mode = 'valid';
    return createLatchkey({
      issuer: hostile.idp.issuer,
      ...hostileClient,
      baseUrl,
      secrets,
      ...(loginParams ? { loginParams } : {}),
    });
  };
  const login = async (auth: ReturnType<typeof routeWith>, query: string) =>
    (await auth.handle(at(`/auth/login?${query}`)))!;
  const asked =
    'returnTo=%2Fr&prompt=login&login_hint=alice%40example.com&ui_locales=fr&screen_hint=signup&scope=admin&client_id=evil&redirect_uri=https%3A%2F%2Fevil.example';

  it('passes on the parameters the app lists, and never the protocol parameters', async () => {
    const answer = await login(routeWith(['prompt', 'login_hint', 'ui_locales']), asked);
    expect(answer.status).toBe(302);
    const url = new URL(answer.headers.get('location')!);
    expect(url.searchParams.get('prompt')).toBe('login');
    expect(url.searchParams.get('login_hint')).toBe('alice@example.com');
    expect(url.searchParams.get('ui_locales')).toBe('fr');
    expect(url.searchParams.has('screen_hint')).toBe(false);
    expect(url.searchParams.get('scope')).toBe('openid profile email offline_access');
    expect(url.searchParams.get('client_id')).toBe(hostileClient.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${baseUrl}/auth/callback`);
  });

  it('skips an empty value, and takes one of exactly 1,024 characters', async () => {
    const hint = 'a'.repeat(1024);
    const answer = await login(routeWith(['prompt', 'login_hint']), `prompt=&login_hint=${hint}`);
    const url = new URL(answer.headers.get('location')!);
    expect(url.searchParams.has('prompt')).toBe(false);
    expect(url.searchParams.get('login_hint')).toBe(hint);
  });

  it('passes on nothing by default', async () => {
    const url = new URL((await login(routeWith(), asked)).headers.get('location')!);
    for (const name of ['prompt', 'login_hint', 'ui_locales', 'screen_hint']) {
      expect(url.searchParams.has(name)).toBe(false);
    }
  });

  it.each([
    ['given twice', 'prompt=login&prompt=none'],
    ['over 1,024 characters', `login_hint=${'a'.repeat(1025)}`],
    ['with a control character', 'login_hint=alice%0d%0aSet-Cookie'],
  ])('refuses a value %s with 400 invalid_request', async (_, query) => {
    const answer = await login(routeWith(['prompt', 'login_hint']), query);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: 'invalid_request' });
  });

  it.each([
    ['client_id'],
    ['redirect_uri'],
    ['scope'],
    ['state'],
    ['nonce'],
    ['code_challenge'],
    ['acr_values'],
    ['max_age'],
    ['claims'],
    ['request_uri'],
    ['returnTo'],
    ['not a name'],
  ])("refuses loginParams ['%s'] with config_invalid", (name) => {
    expect(() => routeWith([name])).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});

describe('SignIn.callback', () => {
  it('starts a session, clears the transaction, returns to returnTo and reports the login', async () => {
    const { signIn, events } = signInFor();
    const login = await signIn.login(at('/auth/login'), { returnTo: '/reports?y=1' });
    const callback = await authorize(login);
    const done = await signIn.callback(
      at(new URL(callback).pathname + new URL(callback).search, cookiesAfter(login)),
    );
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/reports?y=1');
    const lines = done.headers.getSetCookie();
    expect(lines[0]).toMatch(/^lk_tx\.\d=; .*Max-Age=0/);
    expect(lines.some((line) => line.startsWith('lk_session='))).toBe(true);
    expect(events).toEqual([{ type: 'login', sub: 'hostile-user', sessionId: expect.any(String) }]);

    // The same callback again: its transaction is gone.
    const replay = await signIn.callback(
      at(new URL(callback).pathname + new URL(callback).search, cookiesAfter(login, done)),
    );
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'state_mismatch' });
    expect(events.at(-1)).toEqual({ type: 'login_failed', code: 'state_mismatch' });
  });

  it('refuses a callback whose state is not the transaction of its slot, and keeps that one', async () => {
    const { signIn } = signInFor();
    const login = await signIn.login(at('/auth/login'));
    const callback = new URL(await authorize(login));
    // Another state (its last character changed), whatever slot it falls in.
    const state = callback.searchParams.get('state')!;
    callback.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const answer = await signIn.callback(
      at(callback.pathname + callback.search, cookiesAfter(login)),
    );
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: 'state_mismatch' });
  });
});

describe('afterCallback', () => {
  /** Signs in through `signIn`: the callback's answer and the session the browser then has. */
  async function complete({ signIn, contexts }: ReturnType<typeof signInFor>) {
    const login = await signIn.login(at('/auth/login'));
    const callback = new URL(await authorize(login));
    const done = await signIn.callback(
      at(callback.pathname + callback.search, cookiesAfter(login)),
    );
    const context = await contexts.authenticate(at('/', cookiesAfter(login, done)), () => {});
    return { done, session: context.session };
  }

  it('keeps what the hook returns as the session data, from the validated claims', async () => {
    const seen: unknown[] = [];
    const parts = signInFor({
      afterCallback: async ({ claims, request }) => {
        seen.push([claims.sub, new URL(request.url).pathname]);
        return { tenant: 'acme' };
      },
    });
    const { done, session } = await complete(parts);
    expect(done.status).toBe(303);
    expect(seen).toEqual([['hostile-user', '/auth/callback']]);
    expect(session?.data).toEqual({ tenant: 'acme' });
  });

  it('refuses the sign-in when the hook returns false or throws, and writes no session', async () => {
    const cases = [
      [() => false as const, 403, 'access_denied'],
      [() => Promise.reject(new Error('no')), 500, 'internal_error'],
    ] as const;
    for (const [afterCallback, status, error] of cases) {
      const { done, session } = await complete(signInFor({ afterCallback }));
      expect(done.status).toBe(status);
      expect(await done.json()).toMatchObject({ error });
      expect(done.headers.getSetCookie().some((line) => line.startsWith('lk_session='))).toBe(
        false,
      );
      expect(session).toBeNull();
    }
  });

  it('gives a session without a hook empty data', async () => {
    expect((await complete(signInFor())).session?.data).toEqual({});
  });
});

describe('a callback without its transaction', () => {
  it('refuses it and clears no cookie it does not have', async () => {
    const { signIn } = signInFor();
    const answer = await signIn.callback(at(`/auth/callback?code=x&state=${'s'.repeat(43)}`));
    expect(answer.status).toBe(400);
    expect(answer.headers.getSetCookie()).toEqual([]);
  });
});

describe('SignIn.stepUp', () => {
  it('starts a sign-in asking for the level and freshness', async () => {
    const { signIn } = signInFor();
    const login = await signIn.stepUp(at('/auth/step-up?acr=mfa&max_age=60&returnTo=/admin'));
    const url = new URL(login.headers.get('location')!);
    expect(url.searchParams.get('acr_values')).toBe('mfa');
    expect(url.searchParams.get('max_age')).toBe('60');
  });

  it('returns to / when the step-up names no returnTo', async () => {
    const { signIn } = signInFor();
    hostile.idp.claims = { acr: 'mfa' };
    const login = await signIn.stepUp(at('/auth/step-up?acr=mfa'));
    const callback = new URL(await authorize(login));
    const done = await signIn.callback(
      at(callback.pathname + callback.search, cookiesAfter(login)),
    );
    expect(done.headers.get('location')).toBe('/');
  });

  it('refuses a level that is not configured, before any redirect', async () => {
    const { signIn } = signInFor();
    await expect(signIn.stepUp(at('/auth/step-up?acr=gold'))).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});
