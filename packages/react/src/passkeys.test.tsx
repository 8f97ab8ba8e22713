// `@latchkey/passkeys/browser` is mocked: jsdom has no WebAuthn, so its ceremonies cannot run
// here (that module's own tests stub `navigator.credentials`; real Chromium runs the ceremonies in
// the e2e suite). These tests hold the React side: what is called with which basePath, what the
// hooks show, and how a passkey session reaches the provider of this tab and of the others. Two
// providers in one jsdom stand for two tabs, as in broadcast.test.tsx.
import { PasskeyError, type PasskeyJson } from '@latchkey/passkeys/browser';
import { act, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import {
  deferred,
  expectNavigation,
  fetchedPaths,
  json,
  Probe,
  settle,
  signedIn,
  signedOut,
  statusOf,
  stubFetch,
  stubLocation,
  userOf,
} from '../test/helpers';
import { AuthProvider, type SessionResponse, useAuth } from './index';
import {
  PasskeySignInButton,
  StepUpChoice,
  usePasskeySignIn,
  usePasskeyStepUp,
  usePasskeys,
} from './passkeys';

const browser = vi.hoisted(() => ({
  isPasskeySupported: vi.fn<() => boolean>(),
  listPasskeys: vi.fn(),
  registerPasskey: vi.fn(),
  renamePasskey: vi.fn(),
  removePasskey: vi.fn(),
  signInWithPasskey: vi.fn(),
  stepUpWithPasskey: vi.fn(),
}));

vi.mock('@latchkey/passkeys/browser', async (importOriginal) => ({
  // The real PasskeyError (and types); every function that would reach WebAuthn is a mock.
  ...(await importOriginal<typeof import('@latchkey/passkeys/browser')>()),
  ...browser,
}));

const MFA = 'urn:latchkey:acr:mfa';

const passkey = (id: string, name: string): PasskeyJson => ({
  id,
  name,
  createdAt: 1_893_456_000,
  lastUsedAt: null,
  backedUp: true,
  deviceType: 'multiDevice',
  transports: ['internal'],
});
const LAPTOP = passkey('cred-1', 'Laptop');
const PHONE = passkey('cred-2', 'Phone');

const cancelled = () => new PasskeyError('cancelled', 'The passkey request was cancelled.');

beforeEach(() => {
  for (const mock of Object.values(browser)) mock.mockReset();
  browser.isPasskeySupported.mockReturnValue(true);
  browser.listPasskeys.mockResolvedValue([LAPTOP]);
});

/** An account page: the list, its state and buttons for the changes. */
function Account() {
  const { passkeys, loading, error, supported, register, rename, remove } = usePasskeys();
  return (
    <div>
      <p data-testid="list">{passkeys ? passkeys.map((p) => p.name).join(', ') : 'none'}</p>
      <p data-testid="loading">{String(loading)}</p>
      <p data-testid="error">{error ? `${error.code}: ${error.message}` : ''}</p>
      <p data-testid="supported">{String(supported)}</p>
      <button type="button" onClick={() => void register()}>
        add
      </button>
      <button type="button" onClick={() => void rename('cred-1', 'Work laptop')}>
        rename
      </button>
      <button type="button" onClick={() => void remove('cred-1')}>
        remove
      </button>
    </div>
  );
}

const text = (id: string) => screen.getByTestId(id).textContent;

function renderAccount(session: SessionResponse = signedIn(), basePath = '/auth') {
  return render(
    <AuthProvider initialSession={session} basePath={basePath}>
      <Account />
    </AuthProvider>,
  );
}

describe('usePasskeys', () => {
  test('lists the signed-in user’s passkeys on mount, from the provider’s basePath', async () => {
    renderAccount(signedIn(), '/api/auth/');
    expect(text('list')).toBe('none');
    expect(text('loading')).toBe('true');
    await waitFor(() => expect(text('list')).toBe('Laptop'));
    expect(text('loading')).toBe('false');
    expect(text('supported')).toBe('true');
    expect(browser.listPasskeys).toHaveBeenCalledTimes(1);
    expect(browser.listPasskeys).toHaveBeenCalledWith({ basePath: '/api/auth' });
  });

  test('lists nothing when signed out', async () => {
    renderAccount(signedOut);
    await settle();
    expect(text('list')).toBe('none');
    expect(text('loading')).toBe('false');
    expect(browser.listPasskeys).not.toHaveBeenCalled();
  });

  test('lists when the user signs in, and shows no list after a sign-out', async () => {
    stubFetch(json(signedIn()), json(signedOut));
    render(
      <AuthProvider initialSession={signedOut}>
        <Account />
        <Probe />
      </AuthProvider>,
    );
    fireEvent.click(screen.getByText('refresh probe'));
    await waitFor(() => expect(text('list')).toBe('Laptop'));
    fireEvent.click(screen.getByText('refresh probe'));
    await waitFor(() => expect(statusOf()).toBe('unauthenticated'));
    expect(text('list')).toBe('none');
    expect(browser.listPasskeys).toHaveBeenCalledTimes(1);
  });

  test('register creates a passkey, then reloads the list', async () => {
    browser.registerPasskey.mockResolvedValue(PHONE);
    const { result } = renderHook(() => usePasskeys(), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <AuthProvider initialSession={signedIn()}>{children}</AuthProvider>
      ),
    });
    await waitFor(() => expect(result.current.passkeys).toEqual([LAPTOP]));
    browser.listPasskeys.mockResolvedValue([LAPTOP, PHONE]);
    let created: PasskeyJson | undefined;
    await act(async () => {
      created = await result.current.register();
    });
    expect(created).toEqual(PHONE);
    expect(browser.registerPasskey).toHaveBeenCalledWith({ basePath: '/auth' });
    await waitFor(() => expect(result.current.passkeys).toEqual([LAPTOP, PHONE]));
    expect(browser.listPasskeys).toHaveBeenCalledTimes(2);
    expect(result.current.error).toBeNull();
  });

  test('shows loading while a registration runs', async () => {
    const answer = deferred<PasskeyJson>();
    browser.registerPasskey.mockReturnValue(answer.promise);
    renderAccount();
    await waitFor(() => expect(text('loading')).toBe('false'));
    fireEvent.click(screen.getByText('add'));
    expect(text('loading')).toBe('true');
    browser.listPasskeys.mockResolvedValue([LAPTOP, PHONE]);
    answer.resolve(PHONE);
    await waitFor(() => expect(text('list')).toBe('Laptop, Phone'));
    expect(text('loading')).toBe('false');
  });

  test('a cancelled registration (the user closed the dialog) is no error and reloads nothing', async () => {
    browser.registerPasskey.mockRejectedValue(cancelled());
    const { result } = renderHook(() => usePasskeys(), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <AuthProvider initialSession={signedIn()}>{children}</AuthProvider>
      ),
    });
    await waitFor(() => expect(result.current.passkeys).toEqual([LAPTOP]));
    await expect(result.current.register()).resolves.toBeUndefined();
    await settle();
    expect(result.current.error).toBeNull();
    expect(browser.listPasskeys).toHaveBeenCalledTimes(1);
  });

  test('a failed registration shows its error and resolves undefined', async () => {
    browser.registerPasskey.mockRejectedValue(
      new PasskeyError('already_registered', 'This authenticator already holds a passkey.'),
    );
    renderAccount();
    await waitFor(() => expect(text('list')).toBe('Laptop'));
    fireEvent.click(screen.getByText('add'));
    await waitFor(() =>
      expect(text('error')).toBe('already_registered: This authenticator already holds a passkey.'),
    );
    expect(text('list')).toBe('Laptop');
    expect(text('loading')).toBe('false');
  });

  test('rename and remove call through with the id, then reload the list', async () => {
    browser.renamePasskey.mockResolvedValue(undefined);
    browser.removePasskey.mockResolvedValue(undefined);
    renderAccount(signedIn(), '/api/auth');
    await waitFor(() => expect(text('list')).toBe('Laptop'));

    browser.listPasskeys.mockResolvedValue([{ ...LAPTOP, name: 'Work laptop' }]);
    fireEvent.click(screen.getByText('rename'));
    await waitFor(() => expect(text('list')).toBe('Work laptop'));
    expect(browser.renamePasskey).toHaveBeenCalledWith('cred-1', 'Work laptop', {
      basePath: '/api/auth',
    });

    browser.listPasskeys.mockResolvedValue([]);
    fireEvent.click(screen.getByText('remove'));
    await waitFor(() => expect(text('list')).toBe(''));
    expect(browser.removePasskey).toHaveBeenCalledWith('cred-1', { basePath: '/api/auth' });
    expect(browser.listPasskeys).toHaveBeenCalledTimes(3);
  });

  test('rename and remove resolve false on failure, show the server’s error and keep the list', async () => {
    browser.removePasskey.mockRejectedValue(
      new PasskeyError('passkey_not_found', 'No such passkey.', 404),
    );
    const { result } = renderHook(() => usePasskeys(), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <AuthProvider initialSession={signedIn()}>{children}</AuthProvider>
      ),
    });
    await waitFor(() => expect(result.current.passkeys).toEqual([LAPTOP]));
    await expect(result.current.remove('cred-9')).resolves.toBe(false);
    await waitFor(() => expect(result.current.error?.code).toBe('passkey_not_found'));
    expect(result.current.error?.status).toBe(404);
    expect(result.current.passkeys).toEqual([LAPTOP]);
    expect(browser.listPasskeys).toHaveBeenCalledTimes(1);
  });

  test('a failed list shows its error, and reload() tries again', async () => {
    browser.listPasskeys.mockRejectedValueOnce(
      new PasskeyError('network_error', 'The passkey request did not reach the server.'),
    );
    const { result } = renderHook(() => usePasskeys(), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <AuthProvider initialSession={signedIn()}>{children}</AuthProvider>
      ),
    });
    await waitFor(() => expect(result.current.error?.code).toBe('network_error'));
    expect(result.current.passkeys).toBeNull();
    expect(result.current.loading).toBe(false);
    await act(() => result.current.reload());
    await waitFor(() => expect(result.current.passkeys).toEqual([LAPTOP]));
    expect(result.current.error).toBeNull();
  });

  test('supported is false where the browser has no WebAuthn', () => {
    browser.isPasskeySupported.mockReturnValue(false);
    renderAccount();
    expect(text('supported')).toBe('false');
  });
});

/** Two providers (two tabs), signed out, each with a probe; tab a has the passkey hooks. */
function twoTabs(session: SessionResponse, page: ReactNode) {
  return render(
    <>
      <AuthProvider initialSession={session}>
        <Probe id="a" />
        {page}
      </AuthProvider>
      <AuthProvider initialSession={session}>
        <Probe id="b" />
      </AuthProvider>
    </>,
  );
}

function SignInPage({ autofill = false }: { autofill?: boolean }) {
  const { signIn, pending, error } = usePasskeySignIn();
  return (
    <div>
      <button type="button" onClick={() => void signIn({ autofill })}>
        passkey sign-in
      </button>
      <p data-testid="pending">{String(pending)}</p>
      <p data-testid="sign-in-error">{error?.code ?? ''}</p>
    </div>
  );
}

describe('usePasskeySignIn', () => {
  test('a passkey sign-in shows the session in this tab and the others, without a session fetch', async () => {
    const fetchMock = stubFetch(json(signedOut));
    const post = vi.spyOn(BroadcastChannel.prototype, 'postMessage');
    const answer = deferred<SessionResponse>();
    browser.signInWithPasskey.mockReturnValue(answer.promise);
    twoTabs(signedOut, <SignInPage />);
    fireEvent.click(screen.getByText('passkey sign-in'));
    expect(text('pending')).toBe('true');
    answer.resolve(signedIn({ user: { sub: 'alice', name: 'Alice Passkey' } }));
    await waitFor(() => expect(statusOf('a')).toBe('authenticated'));
    expect(userOf('a')).toBe('Alice Passkey');
    await waitFor(() => expect(statusOf('b')).toBe('authenticated'));
    expect(userOf('b')).toBe('Alice Passkey');
    expect(text('pending')).toBe('false');
    expect(text('sign-in-error')).toBe('');
    expect(post).toHaveBeenCalledTimes(1);
    expect(post.mock.calls[0]![0]).toMatchObject({
      v: 1,
      basePath: '/auth',
      session: { authenticated: true, user: { sub: 'alice' } },
    });
    expect(browser.signInWithPasskey).toHaveBeenCalledWith({ basePath: '/auth', autofill: false });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('resolves true when signed in, false when cancelled (no error shown)', async () => {
    browser.signInWithPasskey.mockResolvedValueOnce(signedIn()).mockRejectedValueOnce(cancelled());
    const { result } = renderHook(() => ({ passkey: usePasskeySignIn(), auth: useAuth() }), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <AuthProvider initialSession={signedOut}>{children}</AuthProvider>
      ),
    });
    await expect(result.current.passkey.signIn()).resolves.toBe(true);
    await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
    await expect(result.current.passkey.signIn()).resolves.toBe(false);
    await settle();
    expect(result.current.passkey.error).toBeNull();
  });

  test('a failed sign-in shows the error and leaves the session as it was', async () => {
    browser.signInWithPasskey.mockRejectedValue(
      new PasskeyError('passkey_not_found', 'This passkey is not registered here.', 400),
    );
    twoTabs(signedOut, <SignInPage />);
    fireEvent.click(screen.getByText('passkey sign-in'));
    await waitFor(() => expect(text('sign-in-error')).toBe('passkey_not_found'));
    expect(statusOf('a')).toBe('unauthenticated');
    expect(text('pending')).toBe('false');
  });

  test('an autofill sign-in passes autofill and does not show as pending while it waits', async () => {
    browser.signInWithPasskey.mockReturnValue(new Promise(() => {}));
    render(
      <AuthProvider initialSession={signedOut}>
        <SignInPage autofill />
      </AuthProvider>,
    );
    fireEvent.click(screen.getByText('passkey sign-in'));
    await settle();
    expect(browser.signInWithPasskey).toHaveBeenCalledWith({ basePath: '/auth', autofill: true });
    expect(text('pending')).toBe('false');
  });

  test('a session body of another shape makes the provider ask the server', async () => {
    const fetchMock = stubFetch(json(signedIn()));
    browser.signInWithPasskey.mockResolvedValue({ ok: true });
    twoTabs(signedOut, <SignInPage />);
    fireEvent.click(screen.getByText('passkey sign-in'));
    await waitFor(() => expect(statusOf('a')).toBe('authenticated'));
    expect(fetchedPaths(fetchMock)).toEqual(['/auth/session']);
    await waitFor(() => expect(statusOf('b')).toBe('authenticated'));
  });
});

describe('<PasskeySignInButton>', () => {
  test('signs in and calls onSignIn; shows the message of a failure', async () => {
    const onSignIn = vi.fn();
    browser.signInWithPasskey
      .mockRejectedValueOnce(new PasskeyError('timed_out', 'The passkey request timed out.'))
      .mockResolvedValueOnce(signedIn());
    render(
      <AuthProvider initialSession={signedOut}>
        <Probe />
        <PasskeySignInButton onSignIn={onSignIn} />
      </AuthProvider>,
    );
    const button = screen.getByRole('button', { name: 'Sign in with a passkey' });
    fireEvent.click(button);
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('The passkey request timed out.'),
    );
    expect(onSignIn).not.toHaveBeenCalled();
    fireEvent.click(button);
    await waitFor(() => expect(statusOf()).toBe('authenticated'));
    expect(onSignIn).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  test('renders nothing where the browser has no WebAuthn', () => {
    browser.isPasskeySupported.mockReturnValue(false);
    const { container } = render(
      <AuthProvider initialSession={signedOut}>
        <PasskeySignInButton />
      </AuthProvider>,
    );
    expect(container.innerHTML).toBe('');
  });
});

function StepUpPage() {
  const { stepUp } = usePasskeyStepUp();
  const { acr } = useAuth();
  return (
    <button type="button" onClick={() => void stepUp()}>
      {`step up from ${acr}`}
    </button>
  );
}

describe('usePasskeyStepUp', () => {
  test('raises the session in this tab and the others', async () => {
    const before = signedIn({ acr: 'urn:latchkey:acr:pwd' });
    browser.stepUpWithPasskey.mockResolvedValue({ ...before, acr: MFA, amr: ['pwd', 'swk'] });
    const post = vi.spyOn(BroadcastChannel.prototype, 'postMessage');
    twoTabs(before, <StepUpPage />);
    fireEvent.click(screen.getByText('step up from urn:latchkey:acr:pwd'));
    await waitFor(() => screen.getByText(`step up from ${MFA}`));
    expect(browser.stepUpWithPasskey).toHaveBeenCalledWith({ basePath: '/auth' });
    expect(post).toHaveBeenCalledWith(
      expect.objectContaining({ session: expect.objectContaining({ acr: MFA }) }),
    );
  });
});

describe('<StepUpChoice>', () => {
  const choice = (onStepUp?: () => void) => (
    <AuthProvider initialSession={signedIn()}>
      <Probe />
      <StepUpChoice acr={MFA} maxAge={300} returnTo="/transfer" {...(onStepUp && { onStepUp })} />
    </AuthProvider>
  );

  test('offers "Use the one-time code" and "Use a passkey"', () => {
    render(choice());
    expect(screen.getAllByRole('button').map((button) => button.textContent)).toEqual([
      'refresh probe',
      'sign out probe',
      'Use the one-time code',
      'Use a passkey',
    ]);
  });

  test('the one-time code goes to /auth/step-up with the requirement', () => {
    const assign = stubLocation();
    render(choice());
    fireEvent.click(screen.getByRole('button', { name: 'Use the one-time code' }));
    const url = expectNavigation(assign);
    expect(url.pathname).toBe('/auth/step-up');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      acr: MFA,
      max_age: '300',
      returnTo: '/transfer',
    });
    expect(browser.stepUpWithPasskey).not.toHaveBeenCalled();
  });

  test('a passkey steps up on the page, updates the session, then calls onStepUp', async () => {
    const assign = stubLocation();
    const onStepUp = vi.fn();
    browser.stepUpWithPasskey.mockResolvedValue(
      signedIn({ user: { sub: 'alice', name: 'Alice Stepped Up' }, acr: MFA }),
    );
    render(choice(onStepUp));
    fireEvent.click(screen.getByRole('button', { name: 'Use a passkey' }));
    await waitFor(() => expect(onStepUp).toHaveBeenCalledTimes(1));
    expect(userOf()).toBe('Alice Stepped Up');
    expect(assign).not.toHaveBeenCalled();
  });

  test('a failed passkey step-up shows the message and does not call onStepUp', async () => {
    const onStepUp = vi.fn();
    browser.stepUpWithPasskey.mockRejectedValue(
      new PasskeyError('passkey_not_found', 'You have no passkey yet: use the one-time code.', 400),
    );
    render(choice(onStepUp));
    fireEvent.click(screen.getByRole('button', { name: 'Use a passkey' }));
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'You have no passkey yet: use the one-time code.',
      ),
    );
    expect(onStepUp).not.toHaveBeenCalled();
  });

  test('a cancelled passkey step-up shows nothing', async () => {
    const onStepUp = vi.fn();
    browser.stepUpWithPasskey.mockRejectedValue(cancelled());
    render(choice(onStepUp));
    fireEvent.click(screen.getByRole('button', { name: 'Use a passkey' }));
    await settle();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(onStepUp).not.toHaveBeenCalled();
  });

  test('offers only the one-time code where the browser has no WebAuthn', () => {
    browser.isPasskeySupported.mockReturnValue(false);
    render(choice());
    expect(screen.queryByRole('button', { name: 'Use a passkey' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Use the one-time code' })).toBeTruthy();
  });

  test('renders on the server without the passkey button, so hydration matches', () => {
    const html = renderToString(
      <AuthProvider initialSession={signedIn()}>
        <StepUpChoice acr={MFA} />
        <PasskeySignInButton />
      </AuthProvider>,
    );
    expect(html).toBe('<button type="button">Use the one-time code</button>');
    expect(browser.isPasskeySupported).not.toHaveBeenCalled();
  });
});
