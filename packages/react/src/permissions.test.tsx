import { grantCovers as serverGrantCovers } from '@latchkey/core';
import { render, renderHook, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, test } from 'vitest';
import { signedIn, signedOut } from '../test/helpers';
import {
  AuthProvider,
  grantCovers,
  RequirePermission,
  type SessionResponse,
  usePermission,
  useRole,
} from './index';

const wrapperFor =
  (initialSession: SessionResponse) =>
  ({ children }: { children: ReactNode }) => (
    <AuthProvider initialSession={initialSession}>{children}</AuthProvider>
  );

test("grantCovers is the server's rule itself, from @latchkey/core", () => {
  expect(grantCovers).toBe(serverGrantCovers);
});

describe('usePermission and useRole', () => {
  test('usePermission honours exact grants and wildcards', () => {
    const wrapper = wrapperFor(signedIn({ permissions: ['invoices:*', 'reports:read'] }));
    const { result } = renderHook(
      () => ({
        write: usePermission('invoices:write'),
        read: usePermission('reports:read'),
        export: usePermission('reports:export'),
      }),
      { wrapper },
    );
    expect(result.current).toEqual({ write: true, read: true, export: false });
  });

  test("the '*' grant covers every permission", () => {
    const { result } = renderHook(() => usePermission('admin:users:delete'), {
      wrapper: wrapperFor(signedIn({ permissions: ['*'] })),
    });
    expect(result.current).toBe(true);
  });

  test('signed out holds no permission and no role', () => {
    const { result } = renderHook(() => [usePermission('invoices:read'), useRole('accountant')], {
      wrapper: wrapperFor(signedOut),
    });
    expect(result.current).toEqual([false, false]);
  });

  test('useRole matches role names exactly', () => {
    const { result } = renderHook(
      () => [useRole('accountant'), useRole('account'), useRole('admin')],
      {
        wrapper: wrapperFor(signedIn({ roles: ['accountant'] })),
      },
    );
    expect(result.current).toEqual([true, false, false]);
  });
});

describe('<RequirePermission>', () => {
  const page = (initialSession: SessionResponse) => (
    <AuthProvider initialSession={initialSession}>
      <RequirePermission permission="invoices:approve" fallback={<p>not allowed</p>}>
        <p>approve button</p>
      </RequirePermission>
    </AuthProvider>
  );

  test('renders its children when a wildcard grant covers the permission', () => {
    render(page(signedIn({ permissions: ['invoices:*'] })));
    expect(screen.getByText('approve button')).toBeTruthy();
    expect(screen.queryByText('not allowed')).toBeNull();
  });

  test('renders the fallback when the permission is missing or signed out', () => {
    const { unmount } = render(page(signedIn({ permissions: ['invoices:read'] })));
    expect(screen.getByText('not allowed')).toBeTruthy();
    unmount();
    render(page(signedOut));
    expect(screen.getByText('not allowed')).toBeTruthy();
    expect(screen.queryByText('approve button')).toBeNull();
  });
});
