// The BFF and its API are not running in unit tests: `fetch` is stubbed with Web Responses and
// `window.location` with an object whose `assign` records the navigation.
import { stepUpChallenge, unmetStepUp } from '@latchkey/core';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, test } from 'vitest';
import {
  expectNavigation,
  fetchedPaths,
  json,
  settle,
  signedIn,
  signedOut,
  stubFetch,
  stubLocation,
} from '../test/helpers';
import { type AuthFetchOptions, useAuthFetch } from './fetch';
import { AuthProvider, useAuth } from './index';

const PWD = 'urn:latchkey:acr:pwd';
const MFA = 'urn:latchkey:acr:mfa';

function renderAuthFetch(options?: AuthFetchOptions) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AuthProvider initialSession={signedIn()}>{children}</AuthProvider>
  );
  return renderHook(() => ({ authFetch: useAuthFetch(options), auth: useAuth() }), { wrapper })
    .result;
}

const challenge = (header: string) =>
  json({ error: 'insufficient_user_authentication' }, 401, { 'www-authenticate': header });

describe('useAuthFetch', () => {
  test('a 401 step-up challenge navigates to /auth/step-up with its acr and max_age, back to this page, and is not replayed', async () => {
    const assign = stubLocation('http://localhost:3000/transfer?to=bob');
    // The challenge exactly as @latchkey/core writes it for a password session that needs MFA.
    const requirement = { acr: MFA, maxAge: 300 };
    const unmet = unmetStepUp({ acr: PWD, authTime: 1000 }, requirement, [PWD, MFA], 2000, 0);
    const fetchMock = stubFetch(
      challenge(stepUpChallenge(requirement, `Step-up required: ${unmet}`)),
      json({ ok: true }),
    );
    const result = renderAuthFetch();
    await act(async () => {
      await expect(
        result.current.authFetch('/api/payments', { method: 'POST', body: '{"amount":100}' }),
      ).rejects.toMatchObject({ code: 'step_up_required', status: 401 });
    });
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/step-up');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      acr: MFA,
      max_age: '300',
      returnTo: '/transfer?to=bob',
    });
    await settle();
    expect(fetchedPaths(fetchMock)).toEqual(['/api/payments']); // no replay, no session fetch
  });

  test('reads unquoted parameters in any order, after another challenge', async () => {
    const assign = stubLocation('http://localhost:3000/transfer');
    stubFetch(
      challenge(
        `DPoP algs="ES256 PS256", Bearer max_age=60, acr_values=${MFA}, error=insufficient_user_authentication`,
      ),
    );
    const result = renderAuthFetch();
    await act(async () => {
      await expect(result.current.authFetch('/api/payments')).rejects.toMatchObject({
        code: 'step_up_required',
      });
    });
    const url = expectNavigation(assign);
    expect(url.searchParams.get('acr')).toBe(MFA);
    expect(url.searchParams.get('max_age')).toBe('60');
  });

  test('picks the first acr_values entry that the provider knows', async () => {
    const assign = stubLocation();
    stubFetch(
      challenge(
        `Bearer error="insufficient_user_authentication", acr_values="urn:other:gold ${MFA}"`,
      ),
    );
    const result = renderAuthFetch();
    await act(async () => {
      await result.current.authFetch('/api/payments').catch(() => {});
    });
    const url = expectNavigation(assign);
    expect(url.searchParams.get('acr')).toBe(MFA);
    expect(url.searchParams.get('max_age')).toBeNull();
  });

  test('a plain 401 (session gone) returns the response and refreshes the session state', async () => {
    const assign = stubLocation();
    const fetchMock = stubFetch(
      json({ error: 'unauthenticated' }, 401, {
        'www-authenticate': 'Bearer error="invalid_token"',
      }),
      json(signedOut),
    );
    const result = renderAuthFetch();
    let status = 0;
    await act(async () => {
      status = (await result.current.authFetch('/api/me')).status;
    });
    expect(status).toBe(401);
    expect(fetchedPaths(fetchMock)).toEqual(['/api/me', '/auth/session']);
    await waitFor(() => expect(result.current.auth.status).toBe('unauthenticated'));
    expect(assign).not.toHaveBeenCalled();
  });

  test("with onUnauthenticated: 'signIn', a plain 401 sends the user to sign in and back, even when the session still looks good", async () => {
    const assign = stubLocation('http://localhost:3000/reports#q2');
    const fetchMock = stubFetch(json({ error: 'unauthenticated' }, 401), json(signedIn()));
    const result = renderAuthFetch({ onUnauthenticated: 'signIn' });
    await act(async () => {
      await expect(result.current.authFetch('/api/reports')).rejects.toMatchObject({
        code: 'session_expired',
        status: 401,
      });
    });
    expect(fetchedPaths(fetchMock)).toEqual(['/api/reports', '/auth/session']);
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/login');
    expect(url.searchParams.get('returnTo')).toBe('/reports#q2');
  });

  test("with onUnauthenticated: 'reject', a plain 401 rejects with session_expired and navigates nowhere", async () => {
    const assign = stubLocation();
    stubFetch(json({ error: 'unauthenticated' }, 401), json(signedIn()));
    const result = renderAuthFetch({ onUnauthenticated: 'reject' });
    await act(async () => {
      await expect(result.current.authFetch('/api/reports')).rejects.toMatchObject({
        code: 'session_expired',
      });
    });
    expect(assign).not.toHaveBeenCalled();
    expect(result.current.auth.status).toBe('authenticated');
  });

  test('returns other responses as they are, sending the session cookie same-origin', async () => {
    stubLocation();
    const fetchMock = stubFetch(
      json({ error: 'insufficient_scope' }, 403, {
        'www-authenticate': 'Bearer error="insufficient_scope"',
      }),
    );
    const result = renderAuthFetch();
    let response: Response | undefined;
    await act(async () => {
      response = await result.current.authFetch('/api/reports', { credentials: 'include' });
    });
    expect(response?.status).toBe(403);
    expect(fetchMock.mock.calls[0]![1]).toMatchObject({ credentials: 'same-origin' });
    expect(result.current.auth.status).toBe('authenticated');
  });

  test('refuses another origin without calling fetch', async () => {
    stubLocation();
    const fetchMock = stubFetch(json({}));
    const result = renderAuthFetch();
    await expect(result.current.authFetch('https://api.example.com/payments')).rejects.toThrow(
      TypeError,
    );
    await expect(
      result.current.authFetch(new Request('https://api.example.com/payments')),
    ).rejects.toThrow(/only calls this app's origin/);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('is the same function across renders', () => {
    stubLocation();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <AuthProvider initialSession={signedIn()}>{children}</AuthProvider>
    );
    const { result, rerender } = renderHook(() => useAuthFetch(), { wrapper });
    const first = result.current;
    rerender();
    expect(result.current).toBe(first);
  });
});
