// @vitest-environment node
// Server rendering: no window, document or BroadcastChannel may be touched during render.
import { renderToString } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import {
  AuthProvider,
  RequirePermission,
  RequireStepUp,
  SignedIn,
  SignedOut,
  useAuth,
  useUser,
} from './index';

const NOW = Math.floor(Date.now() / 1000);

function Page() {
  const { status } = useAuth();
  const user = useUser();
  return (
    <main>
      <p>status: {status}</p>
      <SignedIn>hello {user?.name}</SignedIn>
      <SignedOut>please sign in</SignedOut>
      <RequirePermission permission="reports:read" fallback="no reports">
        reports
      </RequirePermission>
      <RequireStepUp acr="urn:latchkey:acr:mfa" maxAge={300} fallback={() => 'verify'}>
        transfer
      </RequireStepUp>
    </main>
  );
}

describe('server rendering', () => {
  test('runs where there is no DOM', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  test('renders the signed-in page from initialSession', () => {
    const html = renderToString(
      <AuthProvider
        initialSession={{
          authenticated: true,
          user: { sub: 'alice', name: 'Alice' },
          roles: ['accountant'],
          permissions: ['reports:*'],
          acr: 'urn:latchkey:acr:mfa',
          amr: ['pwd', 'otp'],
          authTime: NOW - 10,
          expiresAt: NOW + 3600,
        }}
      >
        <Page />
      </AuthProvider>,
    );
    expect(html).toContain('status: <!-- -->authenticated');
    expect(html).toContain('hello <!-- -->Alice');
    expect(html).toContain('reports');
    expect(html).toContain('transfer');
    expect(html).not.toContain('please sign in');
    expect(html).not.toContain('verify');
  });

  test('renders the signed-out page from initialSession', () => {
    const html = renderToString(
      <AuthProvider initialSession={{ authenticated: false }}>
        <Page />
      </AuthProvider>,
    );
    expect(html).toContain('please sign in');
    expect(html).toContain('no reports');
    expect(html).toContain('verify');
  });

  test('renders loading, with no guarded content, without initialSession', () => {
    const html = renderToString(
      <AuthProvider>
        <Page />
      </AuthProvider>,
    );
    expect(html).toBe('<main><p>status: <!-- -->loading</p></main>');
  });
});
