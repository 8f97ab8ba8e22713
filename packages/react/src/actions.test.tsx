// The latchkey server is not running in unit tests: `fetch` is stubbed with Web Responses and
// `window.location` with an object whose `assign` records the navigation.
import { act, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, test } from 'vitest';
import {
  errorOf,
  expectNavigation,
  json,
  Probe,
  signedIn,
  statusOf,
  stubFetch,
  stubLocation,
} from '../test/helpers';
import { type Auth, AuthProvider, useAuth } from './index';

const MFA = 'urn:latchkey:acr:mfa';

function renderAuth(props: { basePath?: string; acrLevels?: readonly string[] } = {}) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AuthProvider initialSession={signedIn()} {...props}>
      {children}
    </AuthProvider>
  );
  return renderHook(() => useAuth(), { wrapper }).result as { current: Auth };
}

describe('signIn', () => {
  test('navigates to /auth/login with returnTo = the current path, query and hash', () => {
    const assign = stubLocation('http://localhost:3000/invoices?page=2#top');
    renderAuth().current.signIn();
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/login');
    expect(url.searchParams.get('returnTo')).toBe('/invoices?page=2#top');
  });

  test('keeps a same-origin returnTo and turns a foreign one into /', () => {
    const assign = stubLocation();
    const auth = renderAuth();
    auth.current.signIn({ returnTo: '/reports?year=2030' });
    auth.current.signIn({ returnTo: 'http://localhost:3000/settings' });
    auth.current.signIn({ returnTo: 'https://evil.example/phish' });
    auth.current.signIn({ returnTo: '//evil.example/phish' });
    auth.current.signIn({ returnTo: '/\\evil.example/phish' });
    const returnTos = assign.mock.calls.map(([href]) =>
      new URL(href, 'http://localhost:3000').searchParams.get('returnTo'),
    );
    expect(returnTos).toEqual(['/reports?year=2030', '/settings', '/', '/', '/']);
  });

  test('with an acr, goes through /auth/step-up (the login route takes no level)', () => {
    const assign = stubLocation();
    renderAuth().current.signIn({ acr: MFA, returnTo: '/transfer' });
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/step-up');
    expect(Object.fromEntries(url.searchParams)).toEqual({ acr: MFA, returnTo: '/transfer' });
  });

  test('passes prompt, login_hint and ui_locales to the login route (the server lets through those it allows)', () => {
    const assign = stubLocation('http://localhost:3000/start');
    renderAuth().current.signIn({
      prompt: 'login',
      loginHint: 'alice@example.com',
      uiLocales: 'fr en',
    });
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/login');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      returnTo: '/start',
      prompt: 'login',
      login_hint: 'alice@example.com',
      ui_locales: 'fr en',
    });
  });

  test('uses the configured basePath', () => {
    const assign = stubLocation();
    renderAuth({ basePath: '/bff/auth' }).current.signIn();
    expect(expectNavigation(assign).pathname).toBe('/bff/auth/login');
  });
});

describe('stepUp', () => {
  test('navigates to /auth/step-up with acr, max_age and returnTo', () => {
    const assign = stubLocation('http://localhost:3000/transfer?to=bob');
    renderAuth().current.stepUp({ acr: MFA, maxAge: 300 });
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/step-up');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      acr: MFA,
      max_age: '300',
      returnTo: '/transfer?to=bob',
    });
  });

  test('asks for the highest configured level by default', () => {
    const assign = stubLocation();
    renderAuth({ acrLevels: ['low', 'medium', 'high'] }).current.stepUp();
    expect(expectNavigation(assign).searchParams.get('acr')).toBe('high');
  });

  test('with only maxAge, asks for a fresh authentication at any level', () => {
    const assign = stubLocation();
    renderAuth().current.stepUp({ maxAge: 0 });
    const url = expectNavigation(assign);
    expect(url.searchParams.get('acr')).toBeNull();
    expect(url.searchParams.get('max_age')).toBe('0');
  });

  test('refuses a maxAge that is not a number of seconds', () => {
    const assign = stubLocation();
    const auth = renderAuth();
    expect(() => auth.current.stepUp({ maxAge: -1 })).toThrow(RangeError);
    expect(() => auth.current.stepUp({ maxAge: Number.NaN })).toThrow(RangeError);
    expect(assign).not.toHaveBeenCalled();
  });
});

describe('signOut', () => {
  test('POSTs /auth/logout as JSON, shows signed out, then assigns redirectTo', async () => {
    const assign = stubLocation();
    const endSession = 'https://idp.example/session/end?client_id=demo';
    const fetchMock = stubFetch(json({ redirectTo: endSession }));
    render(
      <AuthProvider initialSession={signedIn()}>
        <Probe />
      </AuthProvider>,
    );
    fireEvent.click(screen.getByText('sign out probe'));
    await waitFor(() => expect(assign).toHaveBeenCalledWith(endSession));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [input, init] = fetchMock.mock.calls[0]!;
    expect(input).toBe('/auth/logout');
    expect(init).toMatchObject({
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
    await waitFor(() => expect(statusOf()).toBe('unauthenticated'));
  });

  test('asks the server to land on returnTo, kept on this origin', async () => {
    stubLocation();
    const fetchMock = stubFetch(json({ redirectTo: 'https://idp.example/session/end' }));
    const auth = renderAuth();
    await act(() => auth.current.signOut({ returnTo: '/goodbye?from=menu' }));
    await act(() => auth.current.signOut({ returnTo: 'https://evil.example/phish' }));
    expect(fetchMock.mock.calls.map(([input]) => String(input))).toEqual([
      '/auth/logout?returnTo=%2Fgoodbye%3Ffrom%3Dmenu',
      '/auth/logout?returnTo=%2F',
    ]);
  });

  test('rejects and keeps the session when the server refuses (e.g. 403 origin_mismatch)', async () => {
    const assign = stubLocation();
    stubFetch(json({ error: 'origin_mismatch' }, 403));
    const auth = renderAuth();
    await act(async () => {
      await expect(auth.current.signOut()).rejects.toMatchObject({
        code: 'http_error',
        status: 403,
      });
    });
    expect(auth.current.status).toBe('authenticated');
    expect(auth.current.error?.code).toBe('http_error');
    expect(assign).not.toHaveBeenCalled();
  });

  test('never navigates to a redirectTo that is not http(s)', async () => {
    const assign = stubLocation();
    stubFetch(json({ redirectTo: 'javascript:alert(1)' }));
    render(
      <AuthProvider initialSession={signedIn()}>
        <Probe />
      </AuthProvider>,
    );
    fireEvent.click(screen.getByText('sign out probe'));
    await waitFor(() => expect(errorOf()).toBe('invalid_response'));
    expect(statusOf()).toBe('unauthenticated'); // the server did end the session
    expect(assign).not.toHaveBeenCalled();
  });
});
