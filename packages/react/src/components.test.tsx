// The latchkey server is not running in unit tests: `fetch` is stubbed with Web Responses.
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import {
  errorOf,
  expectNavigation,
  json,
  Probe,
  signedIn,
  signedOut,
  statusOf,
  stubFetch,
  stubLocation,
} from '../test/helpers';
import {
  AuthLoading,
  AuthProvider,
  AuthUnavailable,
  RequireAuth,
  RequirePermission,
  RequireStepUp,
  type SessionResponse,
  SignedIn,
  SignedOut,
} from './index';

const MFA = 'urn:latchkey:acr:mfa';
const PWD = 'urn:latchkey:acr:pwd';

/** Each guard, with a text for each of its sides. */
const guards = (
  <>
    <SignedIn>welcome back</SignedIn>
    <SignedOut>please sign in</SignedOut>
    <RequirePermission permission="invoices:read" fallback="no invoices">
      invoices
    </RequirePermission>
    <RequireStepUp acr={PWD} fallback="verify">
      transfer
    </RequireStepUp>
  </>
);

describe('<SignedIn> and <SignedOut>', () => {
  const page = (initialSession?: SessionResponse) => (
    <AuthProvider {...(initialSession ? { initialSession } : {})}>{guards}</AuthProvider>
  );

  test('show only the matching side', () => {
    const { container, unmount } = render(page(signedIn()));
    expect(container.textContent).toBe('welcome backinvoicestransfer');
    unmount();
    expect(render(page(signedOut)).container.textContent).toBe('please sign inno invoicesverify');
  });

  test('render nothing while loading, then the answer', async () => {
    stubFetch(json(signedIn()));
    const { container } = render(page());
    expect(container.textContent).toBe('');
    await waitFor(() => expect(container.textContent).toBe('welcome backinvoicestransfer'));
  });
});

describe('<AuthLoading> and <AuthUnavailable>', () => {
  const page = (
    <AuthProvider>
      <AuthLoading>checking your session</AuthLoading>
      <AuthUnavailable>
        {(error, retry) => (
          <button type="button" onClick={() => void retry()}>
            {`unavailable: ${error.code}, retry`}
          </button>
        )}
      </AuthUnavailable>
      {guards}
    </AuthProvider>
  );

  test('a first check that fails shows why and a retry that checks at once; the guards stay empty', async () => {
    const fetchMock = stubFetch(json({ error: 'oops' }, 503), json(signedIn()));
    const { container } = render(page);
    expect(container.textContent).toBe('checking your session');
    await waitFor(() => expect(container.textContent).toBe('unavailable: http_error, retry'));
    fireEvent.click(screen.getByRole('button'));
    await waitFor(() => expect(container.textContent).toBe('welcome backinvoicestransfer'));
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  test('a network failure first, then signed out', async () => {
    stubFetch();
    const { container } = render(page);
    await waitFor(() => expect(container.textContent).toBe('unavailable: network_error, retry'));
    stubFetch(json(signedOut));
    fireEvent.click(screen.getByRole('button'));
    await waitFor(() => expect(container.textContent).toBe('please sign inno invoicesverify'));
  });

  test('an outage after the first answer keeps the page as it was', async () => {
    const fetchMock = stubFetch(json({ error: 'store_unavailable' }, 503));
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000_000_000);
    render(
      <AuthProvider initialSession={signedIn()}>
        <AuthUnavailable>{() => 'the server is unavailable'}</AuthUnavailable>
        <AuthLoading>loading</AuthLoading>
        <Probe />
      </AuthProvider>,
    );
    now.mockReturnValue(1_000_000_060_000); // a minute later: the focus checks again
    fireEvent.focus(window);
    await waitFor(() => expect(errorOf()).toBe('store_unavailable'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(statusOf()).toBe('authenticated');
    expect(screen.queryByText('the server is unavailable')).toBeNull();
    expect(screen.queryByText('loading')).toBeNull();
  });
});

describe('<RequireAuth>', () => {
  const guarded = (
    props: Omit<Parameters<typeof RequireAuth>[0], 'children'> = {},
    session?: SessionResponse,
  ) => (
    <AuthProvider {...(session ? { initialSession: session } : {})}>
      <RequireAuth loading="one moment" {...props}>
        invoices
      </RequireAuth>
    </AuthProvider>
  );

  test('renders its children when signed in, and loading until the session is known', async () => {
    const assign = stubLocation();
    stubFetch(json(signedIn()));
    const { container } = render(guarded());
    expect(container.textContent).toBe('one moment');
    await waitFor(() => expect(container.textContent).toBe('invoices'));
    expect(assign).not.toHaveBeenCalled();
  });

  test('sends a signed-out visitor to sign in and back to this page, hash included', () => {
    const assign = stubLocation('http://localhost:3000/invoices?page=2#unpaid');
    const { container } = render(guarded({}, signedOut));
    expect(container.textContent).toBe('one moment');
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/login');
    expect(url.searchParams.get('returnTo')).toBe('/invoices?page=2#unpaid');
  });

  test('comes back to returnTo when given, and renders fallback without redirect', () => {
    const assign = stubLocation();
    render(guarded({ returnTo: '/home' }, signedOut)).unmount();
    expect(expectNavigation(assign).searchParams.get('returnTo')).toBe('/home');
    assign.mockClear();
    const { container } = render(
      guarded({ redirect: false, fallback: 'please sign in' }, signedOut),
    );
    expect(container.textContent).toBe('please sign in');
    expect(assign).not.toHaveBeenCalled();
  });
});

describe('<RequireStepUp>', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const guard = (session: SessionResponse, props: { acr?: string; maxAge?: number }) => (
    <AuthProvider initialSession={session}>
      <RequireStepUp
        {...props}
        fallback={(stepUp) => (
          <button type="button" onClick={stepUp}>
            verify it's you
          </button>
        )}
      >
        transfer form
      </RequireStepUp>
    </AuthProvider>
  );
  const shows = (session: SessionResponse, props: { acr?: string; maxAge?: number }) => {
    const { container, unmount } = render(guard(session, props));
    const text = container.textContent;
    unmount();
    return text === 'transfer form';
  };

  test('a session at the level or above passes; below does not', () => {
    expect(shows(signedIn({ acr: MFA }), { acr: MFA })).toBe(true);
    expect(shows(signedIn({ acr: MFA }), { acr: PWD })).toBe(true);
    expect(shows(signedIn({ acr: PWD }), { acr: MFA })).toBe(false);
    expect(shows(signedIn({ acr: null }), { acr: PWD })).toBe(false);
    expect(shows(signedOut, { acr: PWD })).toBe(false);
  });

  test('honours the ordered levels configured on the provider', () => {
    const { container } = render(
      <AuthProvider
        initialSession={signedIn({ acr: 'gold' })}
        acrLevels={['bronze', 'silver', 'gold']}
      >
        <RequireStepUp acr="silver" fallback="verify">
          transfer form
        </RequireStepUp>
      </AuthProvider>,
    );
    expect(container.textContent).toBe('transfer form');
  });

  test('maxAge needs an authentication that recent; an unknown authTime fails closed', () => {
    expect(
      shows(signedIn({ acr: MFA, authTime: nowSeconds() - 60 }), { acr: MFA, maxAge: 300 }),
    ).toBe(true);
    expect(
      shows(signedIn({ acr: MFA, authTime: nowSeconds() - 600 }), { acr: MFA, maxAge: 300 }),
    ).toBe(false);
    expect(shows(signedIn({ acr: MFA, authTime: null }), { maxAge: 300 })).toBe(false);
  });

  test('the fallback gets a stepUp() that asks for this requirement and comes back here', () => {
    const assign = stubLocation('http://localhost:3000/transfer?to=bob');
    render(guard(signedIn({ acr: PWD }), { acr: MFA, maxAge: 300 }));
    fireEvent.click(screen.getByText("verify it's you"));
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/step-up');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      acr: MFA,
      max_age: '300',
      returnTo: '/transfer?to=bob',
    });
  });

  test('switches to the fallback when maxAge runs out while shown (fake clock)', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    render(guard(signedIn({ acr: MFA, authTime: nowSeconds() - 240 }), { acr: MFA, maxAge: 300 }));
    expect(screen.queryByText('transfer form')).not.toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(59_000));
    expect(screen.queryByText('transfer form')).not.toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(2_000));
    expect(screen.queryByText('transfer form')).toBeNull();
    expect(screen.getByText("verify it's you")).toBeTruthy();
  });

  test("judges maxAge by the server's clock (Date header), not a wrong local one", async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:10:00Z'), toFake: ['Date'] }); // 10 min fast
    const serverNow = Date.parse('2030-01-01T00:00:00Z') / 1000;
    const session = signedIn({ acr: MFA, authTime: serverNow - 30, expiresAt: serverNow + 3600 });
    stubFetch(json(session, 200, { date: new Date(serverNow * 1000).toUTCString() }));
    render(
      <AuthProvider>
        <RequireStepUp acr={MFA} maxAge={300} fallback="verify">
          transfer form
        </RequireStepUp>
      </AuthProvider>,
    );
    await waitFor(() => expect(screen.queryByText('transfer form')).not.toBeNull());
  });
});
