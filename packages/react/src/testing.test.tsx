// The testing kit, as an app's component test uses it: no server, no stub of the session route.
import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { stubFetch, stubLocation } from '../test/helpers';
import {
  AuthError,
  AuthLoading,
  AuthUnavailable,
  RequirePermission,
  RequireStepUp,
  useAuth,
} from './index';
import { MockAuthProvider, mockSession } from './testing';

const MFA = 'urn:latchkey:acr:mfa';

function Toolbar() {
  const { user, signIn, signOut, stepUp } = useAuth();
  return (
    <div>
      <span>{user?.name ?? 'nobody'}</span>
      <RequirePermission permission="invoices:approve" fallback="read only">
        approve
      </RequirePermission>
      <RequireStepUp acr={MFA} fallback="verify first">
        transfer
      </RequireStepUp>
      <button type="button" onClick={() => signIn({ returnTo: '/invoices' })}>
        sign in
      </button>
      <button type="button" onClick={() => stepUp({ acr: MFA, returnTo: '/transfer' })}>
        step up
      </button>
      <button type="button" onClick={() => void signOut({ returnTo: '/bye' })}>
        sign out
      </button>
    </div>
  );
}

describe('MockAuthProvider', () => {
  test('renders the session it is given, and makes no network call', () => {
    const fetchMock = stubFetch();
    const { container } = render(
      <MockAuthProvider session={mockSession({ roles: ['admin'], permissions: ['*'], acr: MFA })}>
        <Toolbar />
      </MockAuthProvider>,
    );
    expect(container.textContent).toContain('Test User');
    expect(container.textContent).toContain('approve');
    expect(container.textContent).toContain('transfer');
    fireEvent.focus(window);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('records sign-in, step-up and sign-out instead of navigating', () => {
    const assign = stubLocation();
    const fetchMock = stubFetch();
    const onNavigate = vi.fn();
    render(
      <MockAuthProvider session={mockSession()} onNavigate={onNavigate}>
        <Toolbar />
      </MockAuthProvider>,
    );
    for (const name of ['sign in', 'step up', 'sign out']) fireEvent.click(screen.getByText(name));
    expect(onNavigate.mock.calls.map(([navigation]) => navigation)).toEqual([
      { type: 'signIn', url: '/auth/login?returnTo=%2Finvoices' },
      { type: 'stepUp', url: `/auth/step-up?acr=${encodeURIComponent(MFA)}&returnTo=%2Ftransfer` },
      { type: 'signOut', url: '/auth/logout?returnTo=%2Fbye' },
    ]);
    expect(assign).not.toHaveBeenCalled();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('shows signed out without a session, and any status it is told', () => {
    const { container, unmount } = render(
      <MockAuthProvider>
        <Toolbar />
      </MockAuthProvider>,
    );
    expect(container.textContent).toContain('nobody');
    expect(container.textContent).toContain('read only');
    unmount();
    const error = new AuthError('network_error', 'offline');
    const states = render(
      <>
        <MockAuthProvider status="loading">
          <AuthLoading>checking</AuthLoading>
        </MockAuthProvider>
        <MockAuthProvider status="unavailable" error={error}>
          <AuthUnavailable>{(failure) => `unavailable: ${failure.code}`}</AuthUnavailable>
        </MockAuthProvider>
      </>,
    );
    expect(states.container.textContent).toBe('checkingunavailable: network_error');
  });
});
