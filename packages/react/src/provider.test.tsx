// The latchkey server is not running in unit tests: `fetch` is stubbed with Web Responses.
import { act, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import { StrictMode, Suspense } from 'react';
import { describe, expect, test, vi } from 'vitest';
import {
  deferred,
  errorOf,
  fetchedPaths,
  json,
  Probe,
  settle,
  signedIn,
  signedOut,
  statusOf,
  stubFetch,
  userOf,
} from '../test/helpers';
import {
  AuthProvider,
  type AuthSession,
  createAuthClient,
  SignedIn,
  SignedOut,
  useAuth,
  useAuthSuspense,
  useUser,
} from './index';

/** Records every status it renders with. */
function Recorder({ seen }: { seen: string[] }) {
  seen.push(useAuth().status);
  return null;
}

describe("the server's own user fields (sessionClaims)", () => {
  test('reach useUser() as the server sent them, the standard ones checked', () => {
    const { result } = renderHook(() => useUser(), {
      wrapper: ({ children }) => (
        <AuthProvider
          initialSession={signedIn({
            user: { sub: 'alice', name: 'Alice', tenantId: 't-42', email: 42 } as never,
          })}
        >
          {children}
        </AuthProvider>
      ),
    });
    expect(result.current).toEqual({ sub: 'alice', name: 'Alice', tenantId: 't-42' });
  });
});

describe('AuthProvider with initialSession', () => {
  test('renders signed in on the very first render, without a loading flash or a fetch', () => {
    const fetchMock = stubFetch();
    const seen: string[] = [];
    render(
      <AuthProvider initialSession={signedIn()}>
        <Recorder seen={seen} />
        <Probe />
        <SignedOut>please sign in</SignedOut>
      </AuthProvider>,
    );
    expect(statusOf()).toBe('authenticated');
    expect(userOf()).toBe('Alice Example');
    expect(seen).toEqual(['authenticated']);
    expect(screen.queryByText('please sign in')).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('renders signed out at once for { authenticated: false } and for null', () => {
    const fetchMock = stubFetch();
    render(
      <>
        <AuthProvider initialSession={signedOut}>
          <Probe id="a" />
        </AuthProvider>
        <AuthProvider initialSession={null}>
          <Probe id="b" />
          <SignedIn>secret</SignedIn>
        </AuthProvider>
      </>,
    );
    expect(statusOf('a')).toBe('unauthenticated');
    expect(statusOf('b')).toBe('unauthenticated');
    expect(screen.queryByText('secret')).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('treats an initialSession that is not the contract as unknown and asks the server', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    render(
      // @ts-expect-error: deliberately malformed, as a bad server-side embed would be.
      <AuthProvider initialSession={{ authenticated: true, user: {} }}>
        <Probe />
      </AuthProvider>,
    );
    expect(statusOf()).toBe('loading');
    await waitFor(() => expect(statusOf()).toBe('authenticated'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe('AuthProvider without initialSession', () => {
  test('starts loading, then GETs /auth/session same-origin as JSON and shows the session', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    expect(statusOf()).toBe('loading');
    await waitFor(() => expect(statusOf()).toBe('authenticated'));
    expect(userOf()).toBe('Alice Example');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [input, init] = fetchMock.mock.calls[0]!;
    expect(input).toBe('/auth/session');
    expect(init).toMatchObject({
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
    expect(init?.method).toBeUndefined(); // GET
  });

  test('uses the configured basePath (trailing slash ignored)', async () => {
    const fetchMock = stubFetch(json(signedOut));
    render(
      <AuthProvider basePath="/bff/auth/">
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(statusOf()).toBe('unauthenticated'));
    expect(fetchedPaths(fetchMock)).toEqual(['/bff/auth/session']);
  });

  test('refuses a basePath that is not a same-origin path', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() =>
      render(
        <AuthProvider basePath="//evil.example/auth">
          <Probe />
        </AuthProvider>,
      ),
    ).toThrow(/basePath must be a path such as/);
  });

  test('fetches once on mount under StrictMode', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    render(
      <StrictMode>
        <AuthProvider>
          <Probe />
        </AuthProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(statusOf()).toBe('authenticated'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  test('a first check answered 503 makes the status unavailable and sets error; a later check recovers', async () => {
    stubFetch(json({ error: 'store_unavailable' }, 503), json(signedIn()));
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(errorOf()).toBe('store_unavailable'));
    expect(statusOf()).toBe('unavailable');
    fireEvent.click(screen.getByText('refresh probe'));
    await waitFor(() => expect(statusOf()).toBe('authenticated'));
    expect(errorOf()).toBe('');
  });

  test('a failed check keeps a known session (a server that cannot tell is not a sign-out)', async () => {
    stubFetch(json({ error: 'store_unavailable' }, 503));
    render(
      <AuthProvider initialSession={signedIn()}>
        <Probe />
      </AuthProvider>,
    );
    fireEvent.click(screen.getByText('refresh probe'));
    await waitFor(() => expect(errorOf()).toBe('store_unavailable'));
    expect(statusOf()).toBe('authenticated');
  });

  test('reports invalid_response when /auth/session answers something else (an SPA fallback page)', async () => {
    stubFetch(
      new Response('<!doctype html><html></html>', { headers: { 'content-type': 'text/html' } }),
    );
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(errorOf()).toBe('invalid_response'));
  });

  test('reports network_error when the request fails, and http_error for other statuses', async () => {
    stubFetch(); // every call rejects like a network failure
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(errorOf()).toBe('network_error'));
    expect(statusOf()).toBe('unavailable');
    stubFetch(json({ error: 'nope' }, 500));
    fireEvent.click(screen.getByText('refresh probe'));
    await waitFor(() => expect(errorOf()).toBe('http_error'));
    expect(statusOf()).toBe('unavailable');
    // The first answer, even signed out, leaves unavailable for good.
    stubFetch(json(signedOut), json({ error: 'nope' }, 500));
    fireEvent.click(screen.getByText('refresh probe'));
    await waitFor(() => expect(statusOf()).toBe('unauthenticated'));
    fireEvent.click(screen.getByText('refresh probe'));
    await waitFor(() => expect(errorOf()).toBe('http_error'));
    expect(statusOf()).toBe('unauthenticated');
  });
});

describe('freshness', () => {
  test('single-flights the session fetch: refresh, refresh and focus make one request', async () => {
    const held = deferred<Response>();
    const fetchMock = stubFetch(() => held.promise);
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000_000_000);
    render(
      <AuthProvider initialSession={signedIn()}>
        <Probe />
      </AuthProvider>,
    );
    now.mockReturnValue(1_000_000_060_000); // a minute later: no longer fresh
    fireEvent.click(screen.getByText('refresh probe'));
    fireEvent.click(screen.getByText('refresh probe'));
    fireEvent.focus(window);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    held.resolve(json(signedIn({ user: { sub: 'alice', name: 'Alice Renamed' } })));
    await waitFor(() => expect(userOf()).toBe('Alice Renamed'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  test('refetches on window focus and on visibilitychange, but not right after news', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000_000_000);
    render(
      <AuthProvider initialSession={signedIn()}>
        <Probe />
      </AuthProvider>,
    );
    fireEvent.focus(window); // the server's answer of the page render is fresh news
    expect(fetchMock).not.toHaveBeenCalled();

    now.mockReturnValue(1_000_000_060_000);
    fireEvent.focus(window);
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);

    fireEvent(document, new Event('visibilitychange')); // within the window of the last check
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);

    now.mockReturnValue(1_000_000_120_000);
    fireEvent(document, new Event('visibilitychange'));
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  test('checks again shortly before expiresAt and shows the end of the session (fake clock)', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const nowSeconds = Math.floor(Date.now() / 1000);
    const fetchMock = stubFetch(json(signedOut));
    render(
      <AuthProvider initialSession={signedIn({ expiresAt: nowSeconds + 120 })}>
        <Probe />
      </AuthProvider>,
    );
    await act(() => vi.advanceTimersByTimeAsync(80_000));
    expect(fetchMock).not.toHaveBeenCalled();
    await act(() => vi.advanceTimersByTimeAsync(10_000)); // 30 s lead, up to 5 s jitter
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(statusOf()).toBe('unauthenticated');
    await act(() => vi.advanceTimersByTimeAsync(3_600_000));
    expect(fetchMock).toHaveBeenCalledTimes(1); // signed out: nothing left to watch
  });

  test('a session unchanged at the lead check is looked at again just after it expires', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const expiresAt = Math.floor(Date.now() / 1000) + 120;
    const fetchMock = stubFetch(json(signedIn({ expiresAt })), json(signedOut));
    render(
      <AuthProvider initialSession={signedIn({ expiresAt })}>
        <Probe />
      </AuthProvider>,
    );
    await act(() => vi.advanceTimersByTimeAsync(91_000));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(statusOf()).toBe('authenticated');
    await act(() => vi.advanceTimersByTimeAsync(25_000)); // still before expiry
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await act(() => vi.advanceTimersByTimeAsync(12_000)); // expiry + 1 s + jitter
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(statusOf()).toBe('unauthenticated');
  });

  test('retries a failed first check with backoff (fake clock)', async () => {
    vi.useFakeTimers();
    const fetchMock = stubFetch(json({ error: 'store_unavailable' }, 503), json(signedIn()));
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(errorOf()).toBe('store_unavailable');
    expect(statusOf()).toBe('unavailable');
    await act(() => vi.advanceTimersByTimeAsync(5_000));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(statusOf()).toBe('authenticated');
    expect(errorOf()).toBe('');
  });

  test('stops listening when unmounted', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000_000_000);
    const { unmount } = render(
      <AuthProvider initialSession={signedIn()}>
        <Probe />
      </AuthProvider>,
    );
    unmount();
    now.mockReturnValue(1_000_000_060_000);
    fireEvent.focus(window);
    await settle();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('useUser', () => {
  test('is the signed-in user, and null while loading and when signed out', async () => {
    stubFetch(json(signedOut));
    const { result: signedInUser } = renderHook(() => useUser(), {
      wrapper: ({ children }) => (
        <AuthProvider initialSession={signedIn()}>{children}</AuthProvider>
      ),
    });
    expect(signedInUser.current).toEqual({
      sub: 'alice',
      name: 'Alice Example',
      email: 'alice@example.com',
    });
    const { result } = renderHook(() => [useUser(), useAuth().status] as const, {
      wrapper: ({ children }) => <AuthProvider>{children}</AuthProvider>,
    });
    expect(result.current).toEqual([null, 'loading']);
    await waitFor(() => expect(result.current).toEqual([null, 'unauthenticated']));
  });
});

test('useAuth outside an AuthProvider says what is missing', () => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
  expect(() => render(<Probe />)).toThrow(/wrap this component in an <AuthProvider>/);
});

describe('refetch options', () => {
  test('refetchOnWindowFocus={false} checks nothing on focus', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000_000_000);
    render(
      <AuthProvider initialSession={signedIn()} refetchOnWindowFocus={false}>
        <Probe />
      </AuthProvider>,
    );
    now.mockReturnValue(1_000_000_060_000);
    fireEvent.focus(window);
    await settle();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('refetchInterval checks every so many seconds, signed out too (fake clock)', async () => {
    vi.useFakeTimers();
    const fetchMock = stubFetch(json(signedOut), json(signedIn()));
    render(
      <AuthProvider initialSession={signedOut} refetchInterval={30}>
        <Probe />
      </AuthProvider>,
    );
    await act(() => vi.advanceTimersByTimeAsync(29_000));
    expect(fetchMock).not.toHaveBeenCalled();
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(statusOf()).toBe('authenticated');
  });

  test('refuses a refetchInterval under 10 seconds', () => {
    expect(() => createAuthClient({ refetchInterval: 1 })).toThrow(RangeError);
  });

  test('refetchWhenOffline={false} checks nothing while the browser is offline', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    render(
      <AuthProvider initialSession={signedIn()} refetchWhenOffline={false}>
        <Probe />
      </AuthProvider>,
    );
    fireEvent.click(screen.getByText('refresh probe'));
    await settle();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('refetchWhenOffline={false} still makes the first check, so an offline first load is unavailable', async () => {
    const fetchMock = stubFetch(); // the network is down: every fetch rejects
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    const client = createAuthClient({ refetchWhenOffline: false });
    expect((await client.ready()).status).toBe('unavailable');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    // Once it has an answer, offline re-checks wait for the network.
    await client.refresh();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe('onSessionChange', () => {
  test('reports a sign-out, a sign-in, a user switch and an acr change, and nothing else', async () => {
    const changes: Array<[string | null, string | null]> = [];
    const record = (next: AuthSession | null, previous: AuthSession | null) =>
      changes.push([
        next && `${next.user.sub}@${next.acr}`,
        previous && `${previous.user.sub}@${previous.acr}`,
      ]);
    const alice = signedIn();
    stubFetch(
      json(alice),
      json(signedOut),
      json(alice),
      json(signedIn({ user: { sub: 'bob' } })),
      json(signedIn({ user: { sub: 'bob' }, acr: 'urn:latchkey:acr:mfa' })),
    );
    render(
      <AuthProvider initialSession={alice} onSessionChange={record}>
        <Probe />
      </AuthProvider>,
    );
    for (let step = 0; step < 5; step++) {
      fireEvent.click(screen.getByText('refresh probe'));
      await settle();
    }
    expect(changes).toEqual([
      [null, 'alice@urn:latchkey:acr:pwd'],
      ['alice@urn:latchkey:acr:pwd', null],
      ['bob@urn:latchkey:acr:pwd', 'alice@urn:latchkey:acr:pwd'],
      ['bob@urn:latchkey:acr:mfa', 'bob@urn:latchkey:acr:pwd'],
    ]);
  });

  test('the first answer is not a change', async () => {
    const listener = vi.fn();
    stubFetch(json(signedIn()));
    render(
      <AuthProvider onSessionChange={listener}>
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(statusOf()).toBe('authenticated'));
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('createAuthClient', () => {
  test('ready() checks the session once, before any provider, and the provider then shares it', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    const client = createAuthClient();
    expect(client.getState().status).toBe('loading');
    const [first, second] = await Promise.all([client.ready(), client.ready()]);
    expect(first.status).toBe('authenticated');
    expect(second).toBe(first);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    render(
      <AuthProvider client={client}>
        <Probe />
      </AuthProvider>,
    );
    expect(statusOf()).toBe('authenticated');
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  test('ready() resolves unavailable when the first check fails, so a loader can say so', async () => {
    stubFetch(json({ error: 'oops' }, 500));
    const state = await createAuthClient().ready();
    expect(state.status).toBe('unavailable');
    expect(state.error?.code).toBe('http_error');
  });
});

/** Suspends until the session is known, then shows it. */
function Account() {
  const { status, user } = useAuthSuspense();
  return <span>{`${status} ${user?.name ?? ''}`}</span>;
}

describe('useAuthSuspense', () => {
  test('suspends until the first answer, with one session request', async () => {
    const held = deferred<Response>();
    const fetchMock = stubFetch(() => held.promise);
    const { container } = render(
      <StrictMode>
        <AuthProvider>
          <Suspense fallback="checking">
            <Account />
          </Suspense>
        </AuthProvider>
      </StrictMode>,
    );
    expect(container.textContent).toBe('checking');
    held.resolve(json(signedIn()));
    await waitFor(() => expect(container.textContent).toBe('authenticated Alice Example'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  test('does not suspend with an initialSession', () => {
    stubFetch();
    const { container } = render(
      <AuthProvider initialSession={signedOut}>
        <Suspense fallback="checking">
          <Account />
        </Suspense>
      </AuthProvider>,
    );
    expect(container.textContent).toBe('unauthenticated ');
  });
});
